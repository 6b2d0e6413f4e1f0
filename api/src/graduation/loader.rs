//! Graduation loaders: one statement per batch of households, through the same visibility as
//! every other record of a household (`in_visible_household`).
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{assessment, graduation};
use uuid::Uuid;

use super::service::{latest_counting_assessments, latest_graduations, visible_graduations};
use crate::{
    assessment::service::visible_assessments, child_page_loader, graphql::loaders::DbLoader,
};

/// The latest two counting assessments (ACTIVE or SUPERSEDED) of a household, latest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountingAssessmentsOf(pub Uuid);

impl Loader<CountingAssessmentsOf> for DbLoader {
    type Value = Vec<assessment::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[CountingAssessmentsOf],
    ) -> Result<HashMap<CountingAssessmentsOf, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("CountingAssessmentsOf", keys.len());
        let rows = latest_counting_assessments(
            &self.db,
            visible_assessments(&self.scope),
            keys.iter().map(|k| k.0).collect(),
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| (*k, rows.get(&k.0).cloned().unwrap_or_default()))
            .collect())
    }
}

/// The latest graduation of a household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LatestGraduationOf(pub Uuid);

impl Loader<LatestGraduationOf> for DbLoader {
    type Value = graduation::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LatestGraduationOf],
    ) -> Result<HashMap<LatestGraduationOf, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("LatestGraduationOf", keys.len());
        let rows = latest_graduations(
            &self.db,
            visible_graduations(&self.scope),
            keys.iter().map(|k| k.0).collect(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(h, g)| (LatestGraduationOf(h), g))
            .collect())
    }
}

child_page_loader!(
    HouseholdGraduations,
    HouseholdGraduationCount,
    graduation,
    HouseholdId,
    Id,
    visible_graduations
);
