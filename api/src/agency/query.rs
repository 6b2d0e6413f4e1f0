use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::agency;

use super::{
    service,
    types::{Agency, AgencyConnection, AgencyType},
};
use crate::{
    auth::policy,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs},
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
        let f = filter.unwrap_or_default();
        let select = service::list(service::AgencyListFilter {
            agency_type: f.agency_type.map(Into::into),
            covers_area: f.covers_area,
            search: f.search,
            active: f.active,
        })?;
        Ok(AgencyConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(agency::Column::Id),
            &args,
            Agency,
            |a| a.0.id.to_string(),
        )
        .await?)
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
