use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::{service as svc, technology};

use super::{
    service,
    types::{
        Service, ServiceCategory, ServiceConnection, Technology, TechnologyConnection,
        TechnologySector,
    },
};
use crate::{
    assessment::types::Capital,
    auth::policy,
    error::ApiError,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs},
    },
};

/// The `agencyId` of a filter.
fn agency_filter(id: Option<&ID>) -> Result<Option<uuid::Uuid>, ApiError> {
    id.map(|a| node::decode_uuid(a, "Agency", "filter.agencyId"))
        .transpose()
}

/// Filters for `technologies`.
#[derive(InputObject, Default)]
pub struct TechnologyFilter {
    /// Only technologies that raise this capital.
    pub capital: Option<Capital>,
    /// Only this sector.
    pub sector: Option<TechnologySector>,
    /// Only technologies suitable in this area (no area list, or a listed prefix of it).
    pub area_code: Option<String>,
    /// Cost per household at most this, baht: 0 to 10,000,000.
    pub max_unit_cost: Option<i32>,
    /// Readiness level at least this.
    pub min_readiness_level: Option<i32>,
    /// Only this provider.
    pub agency_id: Option<ID>,
    /// Active (default) or inactive ones.
    #[graphql(default = true)]
    pub active: bool,
    /// Part of the name.
    pub search: Option<String>,
}

/// Filters for `services`.
#[derive(InputObject, Default)]
pub struct ServiceFilter {
    /// Only this category.
    pub category: Option<ServiceCategory>,
    /// Only services that target this capital.
    pub capital: Option<Capital>,
    /// Only services covering this area.
    pub area_code: Option<String>,
    /// Only this provider.
    pub agency_id: Option<ID>,
    /// Active (default) or inactive ones.
    #[graphql(default = true)]
    pub active: bool,
}

#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The technology catalogue, oldest first.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn technologies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which technologies.")] filter: Option<TechnologyFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<TechnologyConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or(TechnologyFilter {
            active: true,
            ..Default::default()
        });
        let select = service::technologies(service::TechnologyListFilter {
            capital: f.capital.map(Into::into),
            sector: f.sector.map(Into::into),
            area_code: f.area_code,
            max_unit_cost: f.max_unit_cost,
            min_readiness_level: f.min_readiness_level,
            agency_id: agency_filter(f.agency_id.as_ref())?,
            active: f.active,
            search: f.search,
        })?;
        Ok(TechnologyConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(technology::Column::Id),
            &args,
            Technology,
            |t| t.0.id.to_string(),
        )
        .await?)
    }

    /// One technology by id.
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Technology>> {
        node::fetch(ctx, &id, "id").await
    }

    /// Partner-agency services, oldest first.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which services.")] filter: Option<ServiceFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<ServiceConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or(ServiceFilter {
            active: true,
            ..Default::default()
        });
        let select = service::services(service::ServiceListFilter {
            category: f.category.map(Into::into),
            capital: f.capital.map(Into::into),
            area_code: f.area_code,
            agency_id: agency_filter(f.agency_id.as_ref())?,
            active: f.active,
        })?;
        Ok(ServiceConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(svc::Column::Id),
            &args,
            Service,
            |s| s.0.id.to_string(),
        )
        .await?)
    }
}
