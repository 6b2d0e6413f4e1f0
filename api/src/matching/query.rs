use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::r#match as matches;

use super::{
    service::{MatchListFilter, Scoring, list_matches, recommend_services, recommend_technologies},
    types::{
        Match, MatchConnection, MatchStatus, MatchingRun, Reason, ServiceRecommendation,
        TechnologyRecommendation,
    },
};
use crate::{
    auth::policy,
    catalogue::types::{Service, Technology},
    error::ApiError,
    graphql::{
        context::{scope, services},
        node,
        pagination::{Keyset, PageArgs},
    },
};

fn top(first: Option<i32>) -> Result<usize, ApiError> {
    let n = first.unwrap_or(10);
    if !(1..=100).contains(&n) {
        return Err(ApiError::bad_input(
            "first",
            "first must be between 1 and 100",
        ));
    }
    Ok(n as usize)
}

/// Filters for `matches`.
#[derive(InputObject, Default)]
pub struct MatchFilter {
    /// Households in this area (DOPA prefix).
    pub area_code: Option<String>,
    /// Only these states.
    #[graphql(default)]
    pub status: Vec<MatchStatus>,
    /// Only this technology.
    pub technology_id: Option<ID>,
    /// Only this household.
    pub household_id: Option<ID>,
}

#[derive(Default)]
pub struct MatchingQuery;

#[Object]
impl MatchingQuery {
    /// Technologies ranked for one household (ADMIN, COORDINATOR, SURVEYOR in their areas),
    /// each with its score in [0, 1] and the reasons that add up to it. Technologies that fail
    /// a hard filter (minimum capital scores, land, working-age members) are left out.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn recommend_technologies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household (needs an ACTIVE assessment).")] household_id: ID,
        #[graphql(desc = "How many (1–100, default 10).")] first: Option<i32>,
    ) -> Result<Vec<TechnologyRecommendation>> {
        let id = node::decode_uuid(&household_id, "Household", "householdId")?;
        let s = services(ctx);
        let ranked = recommend_technologies(
            &s.db,
            &s.catalogue,
            &scope(ctx),
            Scoring::of(s),
            id,
            top(first)?,
        )
        .await?;
        Ok(ranked
            .into_iter()
            .map(|r| TechnologyRecommendation {
                technology: Technology(r.item),
                score: r.score_millis as f64 / 1000.0,
                reasons: r.reasons.iter().map(Reason::from).collect(),
            })
            .collect())
    }

    /// Services covering the household's area, ranked with reasons.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn recommend_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household (needs an ACTIVE assessment).")] household_id: ID,
        #[graphql(desc = "How many (1–100, default 10).")] first: Option<i32>,
    ) -> Result<Vec<ServiceRecommendation>> {
        let id = node::decode_uuid(&household_id, "Household", "householdId")?;
        let ranked = recommend_services(&services(ctx).db, &scope(ctx), id, top(first)?).await?;
        Ok(ranked
            .into_iter()
            .map(|r| ServiceRecommendation {
                service: Service(r.item),
                score: r.score_millis as f64 / 1000.0,
                reasons: r.reasons.iter().map(Reason::from).collect(),
            })
            .collect())
    }

    /// Matches you may see (households in your areas; for agency staff, their agency's
    /// technologies), oldest first. Not ANALYST: a match names a household.
    #[graphql(
        guard = "policy::HOUSEHOLD_READERS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which matches.")] filter: Option<MatchFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<MatchConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let technology_id = f
            .technology_id
            .as_ref()
            .map(|t| node::decode_uuid(t, "Technology", "filter.technologyId"))
            .transpose()?;
        let household_id = f
            .household_id
            .as_ref()
            .map(|h| node::decode_uuid(h, "Household", "filter.householdId"))
            .transpose()?;
        let select = list_matches(
            &scope(ctx),
            MatchListFilter {
                area_code: f.area_code,
                status: f.status.into_iter().map(Into::into).collect(),
                technology_id,
                household_id,
            },
        )?;
        Ok(MatchConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(matches::Column::Id),
            &args,
            Match::new,
            |m| m.0.id.to_string(),
        )
        .await?)
    }

    /// A matching run (ADMIN, COORDINATOR of its area).
    #[graphql(guard = "policy::COORDINATORS")]
    async fn matching_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<MatchingRun>> {
        node::fetch(ctx, &id, "id").await
    }
}
