use async_graphql::{Context, ID, Object, Result};

use super::{
    service::poverty_lines,
    types::{Assessment, PovertyLine},
};
use crate::{
    auth::policy,
    graphql::{context::services, node},
};

#[derive(Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// The poverty-line table, oldest year first (a handful of rows).
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn poverty_lines(&self, ctx: &Context<'_>) -> Result<Vec<PovertyLine>> {
        let rows = poverty_lines(&services(ctx).db).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One assessment by id; null when its household is not in your areas (not ANALYST).
    #[graphql(guard = "policy::HOUSEHOLD_READERS")]
    async fn assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Assessment>> {
        node::fetch(ctx, &id, "id").await
    }
}
