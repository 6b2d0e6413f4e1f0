use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::area;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Value};

use crate::{
    error::ApiError,
    graphql::{
        loaders::DbLoader,
        pagination::{Keyset, Page, PageArgs, count_children, fetch_child_pages},
    },
};

/// An area by code. Areas are public reference data: any signed-in viewer sees them all.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AreaCode(pub String);

impl Loader<AreaCode> for DbLoader {
    type Value = area::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AreaCode]) -> Result<HashMap<AreaCode, area::Model>, Self::Error> {
        crate::metrics::observe_batch("AreaCode", keys.len());
        let rows = area::Entity::find()
            .filter(area::Column::Code.is_in(keys.iter().map(|k| k.0.clone())))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|a| (AreaCode(a.code.clone()), a))
            .collect())
    }
}

/// One page of the areas directly inside an area.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildAreas {
    pub parent: String,
    pub page: PageArgs,
}

impl Loader<ChildAreas> for DbLoader {
    type Value = Page<area::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildAreas],
    ) -> Result<HashMap<ChildAreas, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("ChildAreas", keys.len());
        let mut by_page: HashMap<&PageArgs, Vec<String>> = HashMap::new();
        for key in keys {
            by_page
                .entry(&key.page)
                .or_default()
                .push(key.parent.clone());
        }
        let mut out = HashMap::new();
        for (page, parents) in by_page {
            let mut pages = fetch_child_pages(
                &self.db,
                area::Entity::find(),
                area::Column::ParentCode,
                parents.iter().map(|p| Value::from(p.clone())).collect(),
                Keyset::text(area::Column::Code),
                page,
            )
            .await?;
            for parent in parents {
                let rows = pages.remove(&parent).unwrap_or_default();
                out.insert(
                    ChildAreas {
                        parent,
                        page: page.clone(),
                    },
                    rows,
                );
            }
        }
        Ok(out)
    }
}

/// How many areas lie directly inside an area.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildAreaCount(pub String);

impl Loader<ChildAreaCount> for DbLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildAreaCount],
    ) -> Result<HashMap<ChildAreaCount, u64>, Self::Error> {
        crate::metrics::observe_batch("ChildAreaCount", keys.len());
        let counts = count_children(
            &self.db,
            area::Entity::find(),
            area::Column::ParentCode,
            keys.iter().map(|k| Value::from(k.0.clone())).collect(),
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}
