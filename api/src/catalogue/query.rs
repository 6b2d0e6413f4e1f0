use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::{service as svc, technology};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait},
};

use super::types::{
    Service, ServiceCategory, ServiceConnection, Technology, TechnologyConnection, TechnologySector,
};
use crate::{
    assessment::types::Capital,
    auth::policy,
    error::ApiError,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
        search::contains,
    },
    money,
};

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

/// The JSON text of a list column (PostgreSQL has no LIKE on `json`; SQLite ignores the cast).
fn as_text<C: ColumnTrait>(col: C) -> Expr {
    Expr::col(col).cast_as(Alias::new("TEXT"))
}

/// JSON string lists are stored as `["A","B"]`; `"A"` with its quotes is a safe substring test
/// for values that are upper-case identifiers or digit codes.
fn json_list_contains<C: ColumnTrait>(col: C, value: &str) -> Condition {
    Condition::all().add(as_text(col).like(format!("%\"{value}\"%")))
}

/// Area suitability: an empty list, or any prefix of `code` listed.
fn suits_area<C: ColumnTrait + Copy>(
    col: C,
    code: &str,
    field: &str,
) -> Result<Condition, ApiError> {
    if !matches!(code.len(), 2 | 4 | 6 | 8) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_input(field, "not a DOPA area code"));
    }
    let mut cond = Condition::any().add(as_text(col).eq("[]"));
    for n in (2..=code.len()).step_by(2) {
        cond = cond.add(json_list_contains(col, &code[..n]));
    }
    Ok(cond)
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
        let mut select = technology::Entity::find().filter(technology::Column::Active.eq(f.active));
        if let Some(c) = f.capital {
            let name = sea_orm::ActiveEnum::to_value(&entity::enums::Capital::from(c));
            select = select.filter(json_list_contains(
                technology::Column::CapitalsRaised,
                &name,
            ));
        }
        if let Some(s) = f.sector {
            select = select
                .filter(technology::Column::Sector.eq(entity::enums::TechnologySector::from(s)));
        }
        if let Some(code) = f.area_code.as_deref() {
            select = select.filter(suits_area(
                technology::Column::SuitableAreas,
                code.trim(),
                "filter.areaCode",
            )?);
        }
        if let Some(max) = f.max_unit_cost {
            money::whole_baht("filter.maxUnitCost", max, money::UNIT_COST)?;
            select = select.filter(technology::Column::UnitCostBaht.lte(max));
        }
        if let Some(min) = f.min_readiness_level {
            select = select.filter(technology::Column::ReadinessLevel.gte(min));
        }
        if let Some(agency) = &f.agency_id {
            select = select.filter(technology::Column::AgencyId.eq(node::decode_uuid(
                agency,
                "Agency",
                "filter.agencyId",
            )?));
        }
        if let Some(search) = f.search.as_deref().filter(|s| !s.trim().is_empty()) {
            select = select.filter(contains([technology::Column::Name], search));
        }
        let db = &services(ctx).db;
        let page = fetch_page(
            db,
            select.clone(),
            Keyset::uuid(technology::Column::Id),
            &args,
        )
        .await?;
        Ok(TechnologyConnection::from_page(
            page.map(Technology),
            |t| t.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
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
        let mut select = svc::Entity::find().filter(svc::Column::Active.eq(f.active));
        if let Some(c) = f.category {
            select =
                select.filter(svc::Column::Category.eq(entity::enums::ServiceCategory::from(c)));
        }
        if let Some(c) = f.capital {
            let name = sea_orm::ActiveEnum::to_value(&entity::enums::Capital::from(c));
            select = select.filter(json_list_contains(svc::Column::TargetCapitals, &name));
        }
        if let Some(code) = f.area_code.as_deref() {
            select = select.filter(suits_area(
                svc::Column::Coverage,
                code.trim(),
                "filter.areaCode",
            )?);
        }
        if let Some(agency) = &f.agency_id {
            select = select.filter(svc::Column::AgencyId.eq(node::decode_uuid(
                agency,
                "Agency",
                "filter.agencyId",
            )?));
        }
        let db = &services(ctx).db;
        let page = fetch_page(db, select.clone(), Keyset::uuid(svc::Column::Id), &args).await?;
        Ok(ServiceConnection::from_page(
            page.map(Service),
            |s| s.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
    }
}
