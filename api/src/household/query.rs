use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;
use entity::{enums::AuditAction, household, potential_duplicate};
use sea_orm::{ColumnTrait, QueryFilter};

use super::{
    duplicates::visible_duplicates,
    service::{HouseholdFilter as Filter, filter_households, visible_households},
    types::{
        DuplicateStatus, Household, HouseholdConnection, HouseholdSource, HouseholdStatus, Person,
        PotentialDuplicate, PotentialDuplicateConnection,
    },
};
use crate::{
    audit::service::{AuditEntry, record},
    auth::policy,
    error::ApiError,
    graphql::{
        context::{actor, scope, services, viewer},
        node,
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
    },
};

/// Filters for `households`.
#[derive(InputObject, Default)]
pub struct HouseholdFilter {
    /// DOPA code prefix: a province, district, subdistrict or village.
    pub area_code: Option<String>,
    /// Only these states.
    #[graphql(default)]
    pub status: Vec<HouseholdStatus>,
    /// Only these sources.
    #[graphql(default)]
    pub source: Vec<HouseholdSource>,
    /// A member's name (partial), a house number, an external id, or a full national ID
    /// (exact, through its keyed hash; recorded as SEARCH in the audit log).
    pub search: Option<String>,
    /// Verified on or after this date.
    pub verified_from: Option<NaiveDate>,
    /// Verified on or before this date.
    pub verified_to: Option<NaiveDate>,
    /// Where it stands on graduation: GRADUATED, AT_RISK (graduated, relapse risk flagged)
    /// or RELAPSED (went back to ENROLLED at least once).
    pub graduation: Option<crate::graduation::types::GraduationState>,
}

#[derive(Default)]
pub struct HouseholdQuery;

#[Object]
impl HouseholdQuery {
    /// Households in your areas, oldest first (not ANALYST, who reads aggregates: `dashboard`).
    #[graphql(
        guard = "policy::HOUSEHOLD_READERS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which households.")] filter: Option<HouseholdFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<HouseholdConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        if f.search.is_some() && !policy::sees_id_numbers(viewer(ctx)) {
            return Err(ApiError::bad_input(
                "filter.search",
                "searching by personal data needs a role that sees it",
            )
            .into());
        }
        let s = services(ctx);
        let (select, searched_id) = filter_households(
            visible_households(&scope(ctx)),
            &Filter {
                area_code: f.area_code,
                statuses: f.status.into_iter().map(Into::into).collect(),
                sources: f.source.into_iter().map(Into::into).collect(),
                search: f.search,
                verified_from: f.verified_from,
                verified_to: f.verified_to,
                graduation: f.graduation.map(Into::into),
            },
            &s.pii,
        )?;
        if searched_id {
            record(
                &s.db,
                AuditEntry::by(&actor(ctx)?, AuditAction::Search)
                    .entity("Household", "national-id-search")
                    .fields(["nationalId"]),
            )
            .await?;
        }
        let page = fetch_page(
            &s.db,
            select.clone(),
            Keyset::uuid(household::Column::Id),
            &args,
        )
        .await?;
        Ok(HouseholdConnection::from_page(
            page.map(Household::new),
            |h| h.model().id.to_string(),
            TotalCount::of_select(&s.db, select),
        ))
    }

    /// One household by id; null when there is none in your areas (not ANALYST).
    #[graphql(guard = "policy::HOUSEHOLD_READERS")]
    async fn household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Household>> {
        node::fetch(ctx, &id, "id").await
    }

    /// One person by id; null when they belong to no household in your areas (not ANALYST).
    #[graphql(guard = "policy::HOUSEHOLD_READERS")]
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Person>> {
        node::fetch(ctx, &id, "id").await
    }

    /// Potential duplicates between households in your areas, oldest first (ADMIN,
    /// COORDINATOR).
    #[graphql(
        guard = "policy::COORDINATORS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn potential_duplicates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this review state (default OPEN).")] status: Option<DuplicateStatus>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<PotentialDuplicateConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let status: entity::enums::DuplicateStatus = status.unwrap_or(DuplicateStatus::Open).into();
        let select =
            visible_duplicates(&scope(ctx)).filter(potential_duplicate::Column::Status.eq(status));
        let db = &services(ctx).db;
        let page = fetch_page(
            db,
            select.clone(),
            Keyset::uuid(potential_duplicate::Column::Id),
            &args,
        )
        .await?;
        Ok(PotentialDuplicateConnection::from_page(
            page.map(PotentialDuplicate),
            |d| d.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
    }
}
