use async_graphql::{Context, Object, Result};
use entity::area;

use super::{
    loader::AreaCode,
    service,
    types::{Area, AreaCohort, AreaConnection, AreaLevel},
};
use crate::{
    auth::policy,
    graphql::{
        context::{loader, services},
        pagination::{Keyset, PageArgs},
    },
};

#[derive(Default)]
pub struct AreaQuery;

#[Object]
impl AreaQuery {
    /// Areas, by code. With no filter, the provinces.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "each GraphQL argument of the field is one parameter of its resolver"
    )]
    async fn areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the areas directly inside this one.")] parent_code: Option<String>,
        #[graphql(desc = "Only areas of this level.")] level: Option<AreaLevel>,
        #[graphql(desc = "Part of the Thai or English name.")] search: Option<String>,
        #[graphql(desc = "Only areas in this cohort.")] cohort: Option<AreaCohort>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AreaConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let select = service::list(service::AreaListFilter {
            parent_code,
            level: level.map(Into::into),
            search,
            cohort: cohort.map(|c| match c {
                AreaCohort::Target => service::Cohort::Target,
                AreaCohort::Sra => service::Cohort::Sra,
            }),
        })?;
        Ok(AreaConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::text(area::Column::Code),
            &args,
            Area,
            |a| a.0.code.clone(),
        )
        .await?)
    }

    /// One area by DOPA code; null when there is none.
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "DOPA code.")] code: String,
    ) -> Result<Option<Area>> {
        Ok(loader(ctx)
            .load_one(AreaCode(code.trim().to_string()))
            .await?
            .map(Area))
    }
}
