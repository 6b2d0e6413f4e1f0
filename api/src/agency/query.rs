use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::{agency, agency_coverage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use super::types::{Agency, AgencyConnection, AgencyType};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
        search::contains,
    },
};

/// Filters for `agencies`.
#[derive(InputObject, Default)]
pub struct AgencyFilter {
    /// Only agencies of this type.
    #[graphql(name = "type")]
    pub agency_type: Option<AgencyType>,
    /// Only agencies whose coverage includes this area (a coverage area equal to it or
    /// enclosing it).
    pub covers_area: Option<String>,
    /// Part of the name.
    pub search: Option<String>,
    /// Only active (true) or inactive (false) agencies.
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct AgencyQuery;

#[Object]
impl AgencyQuery {
    /// Partner agencies, oldest first.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which agencies.")] filter: Option<AgencyFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AgencyConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut select = agency::Entity::find();
        if let Some(t) = filter.agency_type {
            select =
                select.filter(agency::Column::AgencyType.eq(entity::enums::AgencyType::from(t)));
        }
        if let Some(active) = filter.active {
            select = select.filter(agency::Column::Active.eq(active));
        }
        if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
            select = select.filter(contains(
                [agency::Column::Name, agency::Column::NameEn],
                search,
            ));
        }
        if let Some(code) = filter.covers_area.as_deref().map(str::trim) {
            if !matches!(code.len(), 2 | 4 | 6 | 8) || !code.chars().all(|c| c.is_ascii_digit()) {
                return Err(
                    ApiError::bad_input("filter.coversArea", "not a DOPA area code").into(),
                );
            }
            let prefixes: Vec<String> = (1..=code.len() / 2)
                .map(|n| code[..n * 2].to_string())
                .collect();
            select = select.filter(
                agency::Column::Id.in_subquery(
                    agency_coverage::Entity::find()
                        .select_only()
                        .column(agency_coverage::Column::AgencyId)
                        .filter(agency_coverage::Column::AreaCode.is_in(prefixes))
                        .into_query(),
                ),
            );
        }
        let db = &services(ctx).db;
        let page = fetch_page(db, select.clone(), Keyset::uuid(agency::Column::Id), &args).await?;
        Ok(AgencyConnection::from_page(
            page.map(Agency),
            |a| a.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
    }

    /// One agency by id; null when there is none.
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn agency(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Agency>> {
        node::fetch(ctx, &id, "id").await
    }
}
