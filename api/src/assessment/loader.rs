use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{assessment, enums::AssessmentStatus};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::service::visible_assessments;
use crate::{by_id_loader, child_page_loader, error::ApiError, graphql::loaders::DbLoader};

by_id_loader!(AssessmentId, assessment, visible_assessments);

/// The ACTIVE assessment of a household the viewer may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActiveAssessmentOf(pub Uuid);

impl Loader<ActiveAssessmentOf> for DbLoader {
    type Value = assessment::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ActiveAssessmentOf],
    ) -> Result<HashMap<ActiveAssessmentOf, assessment::Model>, Self::Error> {
        crate::metrics::observe_batch("ActiveAssessmentOf", keys.len());
        let rows = visible_assessments(&self.scope)
            .filter(assessment::Column::HouseholdId.is_in(keys.iter().map(|k| k.0)))
            .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|a| (ActiveAssessmentOf(a.household_id), a))
            .collect())
    }
}

child_page_loader!(
    AssessmentsOf,
    AssessmentCount,
    assessment,
    HouseholdId,
    Id,
    visible_assessments
);
