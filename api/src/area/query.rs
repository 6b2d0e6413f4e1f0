use async_graphql::{Context, Object, Result};
use entity::area;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    loader::AreaCode,
    types::{Area, AreaCohort, AreaConnection, AreaLevel},
};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::{loader, services},
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
        search::contains,
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
    #[allow(clippy::too_many_arguments)]
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
        let mut select = area::Entity::find();
        match (&parent_code, level) {
            (Some(parent), _) => {
                let parent = parent.trim();
                if parent.is_empty()
                    || parent.len() > 6
                    || !parent.chars().all(|c| c.is_ascii_digit())
                {
                    return Err(ApiError::bad_input("parentCode", "not a DOPA code").into());
                }
                select = select.filter(area::Column::ParentCode.eq(parent));
            }
            (None, None) if search.is_none() && cohort.is_none() => {
                select = select.filter(area::Column::Level.eq(entity::enums::AreaLevel::Province));
            }
            _ => {}
        }
        if let Some(level) = level {
            select = select.filter(area::Column::Level.eq(entity::enums::AreaLevel::from(level)));
        }
        if let Some(search) = search.as_deref().filter(|s| !s.trim().is_empty()) {
            select = select.filter(contains(
                [area::Column::NameTh, area::Column::NameEn],
                search,
            ));
        }
        match cohort {
            Some(AreaCohort::Target) => select = select.filter(area::Column::IsTarget.eq(true)),
            Some(AreaCohort::Sra) => select = select.filter(area::Column::IsSra.eq(true)),
            None => {}
        }
        let db = &services(ctx).db;
        let page = fetch_page(db, select.clone(), Keyset::text(area::Column::Code), &args).await?;
        Ok(AreaConnection::from_page(
            page.map(Area),
            |a| a.0.code.clone(),
            TotalCount::of_select(db, select),
        ))
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
