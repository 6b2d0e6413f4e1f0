use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;
use entity::{household, potential_duplicate};

use super::{
    duplicates::list_duplicates,
    service::{Caller, HouseholdFilter as Filter, list_households},
    types::{
        DuplicateStatus, Household, HouseholdConnection, HouseholdSource, HouseholdStatus, Person,
        PotentialDuplicate, PotentialDuplicateConnection,
    },
};
use crate::{
    auth::policy,
    graphql::{
        context::{actor, scope, services, viewer},
        node,
        pagination::{Keyset, PageArgs},
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
        let s = services(ctx);
        let (scope, actor) = (scope(ctx), actor(ctx)?);
        let caller = Caller {
            db: &s.db,
            scope: &scope,
            actor: &actor,
        };
        let select = list_households(
            &caller,
            viewer(ctx),
            &s.pii,
            &Filter {
                area_code: f.area_code,
                statuses: f.status.into_iter().map(Into::into).collect(),
                sources: f.source.into_iter().map(Into::into).collect(),
                search: f.search,
                verified_from: f.verified_from,
                verified_to: f.verified_to,
                graduation: f.graduation.map(Into::into),
            },
        )
        .await?;
        Ok(HouseholdConnection::of_select(
            &s.db,
            select,
            Keyset::uuid(household::Column::Id),
            &args,
            Household::new,
            |h| h.model().id.to_string(),
        )
        .await?)
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
        Ok(PotentialDuplicateConnection::of_select(
            &services(ctx).db,
            list_duplicates(&scope(ctx), status),
            Keyset::uuid(potential_duplicate::Column::Id),
            &args,
            PotentialDuplicate,
            |d| d.0.id.to_string(),
        )
        .await?)
    }
}
