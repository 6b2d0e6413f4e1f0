use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    enums::Reason as StoredReason, r#match as matches, match_event, matching_run, technology,
};

use crate::{
    auth::policy::identifying,
    catalogue::types::{Service, Technology},
    connection,
    graphql::pagination::{PageArgs, Prefetched},
    graphql::{context::loader, node},
    household::{loader::HouseholdId, types::Household},
};

/// Match lifecycle.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::MatchStatus")]
pub enum MatchStatus {
    /// Proposed by the system or a coordinator.
    Suggested,
    /// Offered to the household.
    Offered,
    /// Accepted by the household (baseline income recorded).
    Accepted,
    /// In training.
    InTraining,
    /// Using the technology.
    Adopted,
    /// Still using it at follow-up.
    Sustained,
    /// Not taken up.
    Declined,
    /// Given up after acceptance.
    Dropped,
}

/// One reason behind a score.
#[derive(SimpleObject, Clone)]
pub struct Reason {
    /// CAPITAL, INCOME, AFFORDABILITY, AREA, TRACK_RECORD or NEED.
    pub factor: String,
    /// What it means for this household.
    pub detail: String,
    /// Share of the score; the contributions of a recommendation add up to its score.
    pub contribution: f64,
    /// For TRACK_RECORD: the measured effect the factor used (null for the other factors, and
    /// for reasons stored before it was measured).
    pub evidence: Option<OutcomeEvidence>,
}

/// A technology's measured effect in the household's province (docs/mobility.md): its
/// adopters against comparable households of the same starting overall level that were never
/// matched to it, over the last 24 months.
#[derive(SimpleObject, Clone)]
pub struct OutcomeEvidence {
    /// Reassessed households whose match of the technology reached ADOPTED between their
    /// baseline and endline.
    pub adopters: i64,
    /// Of them, moved up the ladder (overall level).
    pub adopters_moved_up: i64,
    /// Reassessed households of the adopters' starting levels never matched to it.
    pub comparison: i64,
    /// Of them, moved up the ladder.
    pub comparison_moved_up: i64,
    /// adoptersMovedUp / adopters.
    pub adopter_up_rate: Option<f64>,
    /// The comparison's rate, standardised to the adopters' starting levels.
    pub comparison_up_rate: Option<f64>,
    /// Adopters' mean change of income per person per month, baht.
    pub adopter_income_change: Option<f64>,
    /// The comparison's mean change of income per person per month, baht (standardised).
    pub comparison_income_change: Option<f64>,
    /// Start of the period measured (the end is the day it was computed).
    pub since: chrono::NaiveDate,
    /// Households each group needs before the factor counts (`APP_EVIDENCE_MIN_SAMPLE`).
    pub min_sample: i64,
}

impl From<&entity::enums::OutcomeEvidence> for OutcomeEvidence {
    fn from(e: &entity::enums::OutcomeEvidence) -> Self {
        OutcomeEvidence {
            adopters: e.adopters.into(),
            adopters_moved_up: e.adopters_moved_up.into(),
            comparison: e.comparison.into(),
            comparison_moved_up: e.comparison_moved_up.into(),
            adopter_up_rate: e.adopter_up_rate,
            comparison_up_rate: e.comparison_up_rate,
            adopter_income_change: e.adopter_income_change_satang.map(|s| s / 100.0),
            comparison_income_change: e.comparison_income_change_satang.map(|s| s / 100.0),
            since: e.since,
            min_sample: e.min_sample.into(),
        }
    }
}

impl From<&StoredReason> for Reason {
    fn from(r: &StoredReason) -> Self {
        Reason {
            factor: r.factor.clone(),
            detail: r.detail.clone(),
            contribution: r.contribution_millis as f64 / 1000.0,
            evidence: r.evidence.as_ref().map(Into::into),
        }
    }
}

/// A technology ranked for a household.
#[derive(SimpleObject)]
pub struct TechnologyRecommendation {
    /// The technology.
    pub technology: Technology,
    /// Fit in [0, 1].
    pub score: f64,
    /// Why, factor by factor.
    pub reasons: Vec<Reason>,
}

/// A service ranked for a household.
#[derive(SimpleObject)]
pub struct ServiceRecommendation {
    /// The service.
    pub service: Service,
    /// Fit in [0, 1].
    pub score: f64,
    /// Why, factor by factor.
    pub reasons: Vec<Reason>,
}

/// A match, with its technology when the list it came from read it in the same statement.
#[derive(Clone)]
pub struct Match(pub matches::Model, pub Prefetched<technology::Model>);

impl Match {
    /// A match whose technology is read through the loader when asked for.
    pub fn new(m: matches::Model) -> Self {
        Self(m, Prefetched::NotRead)
    }

    fn with_technology((m, t): super::loader::MatchRow) -> Self {
        Self(m, Prefetched::Read(t))
    }
}

/// A household matched to a technology, with its score, reasons and lifecycle.
#[Object]
impl Match {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Match", self.0.id)
    }

    /// The household (null when you may not see it).
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        Ok(loader(ctx)
            .load_one(HouseholdId(self.0.household_id))
            .await?
            .map(Household::new))
    }

    /// The technology.
    async fn technology(&self, ctx: &Context<'_>) -> Result<Option<Technology>> {
        if let Prefetched::Read(t) = &self.1 {
            return Ok(t.clone().map(Technology));
        }
        Ok(loader(ctx)
            .load_one(super::loader::TechnologyId(self.0.technology_id))
            .await?
            .map(Technology))
    }

    /// State.
    async fn status(&self) -> MatchStatus {
        self.0.status.into()
    }

    /// Fit in [0, 1] when suggested.
    async fn score(&self) -> f64 {
        self.0.score_millis as f64 / 1000.0
    }

    /// Why it was suggested.
    async fn reasons(&self) -> Vec<Reason> {
        self.0.reasons.0.iter().map(Into::into).collect()
    }

    /// Agency delivering it.
    async fn delivering_agency(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::agency::types::Agency>> {
        Ok(loader(ctx)
            .load_one(crate::agency::loader::AgencyId(self.0.delivering_agency_id))
            .await?
            .map(crate::agency::types::Agency))
    }

    /// Income per person per month at acceptance, baht.
    async fn baseline_income(&self) -> Option<f64> {
        self.0.baseline_income_satang.map(|v| v as f64 / 100.0)
    }

    /// Income per person per month at follow-up, baht.
    async fn follow_up_income(&self) -> Option<f64> {
        self.0.follow_up_income_satang.map(|v| v as f64 / 100.0)
    }

    /// The matching run that suggested it, if any.
    async fn run_id(&self) -> Option<ID> {
        self.0.run_id.map(|r| node::encode("MatchingRun", r))
    }

    /// Every status change, oldest first (a handful).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<MatchEvent>> {
        Ok(loader(ctx)
            .load_one(super::loader::MatchEventsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(MatchEvent)
            .collect())
    }

    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When it was suggested.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(MatchConnection, MatchEdge, Match, "matches");

pub struct MatchEvent(pub match_event::Model);

/// One status change of a match. The reason is null for viewers who may not see who the
/// household is: a decline or drop reason often names or locates people.
#[Object]
impl MatchEvent {
    /// State before (null when suggested).
    async fn from_status(&self) -> Option<MatchStatus> {
        self.0.from_status.map(Into::into)
    }

    /// State after.
    async fn to_status(&self) -> MatchStatus {
        self.0.to_status.into()
    }

    /// Why.
    async fn reason(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.reason.as_deref())
    }

    /// When.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

pub struct MatchingRun(pub matching_run::Model);

/// One area-wide matching run: its input, totals, and the matches it suggested.
#[Object]
impl MatchingRun {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("MatchingRun", self.0.id)
    }

    /// The area matched.
    async fn area_code(&self) -> &str {
        &self.0.area_code
    }

    /// Input as given (technologies, seats, weights).
    async fn parameters(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.parameters.0.clone())
    }

    /// Households considered.
    async fn households_considered(&self) -> i32 {
        self.0.households_considered
    }

    /// Eligible household–technology pairs.
    async fn pairs_considered(&self) -> i64 {
        self.0.pairs_considered
    }

    /// Matches suggested.
    async fn matches_created(&self) -> i32 {
        self.0.matches_created
    }

    /// Total ladder-weighted benefit of the suggested matches (score in thousandths × ladder weight:
    /// STRUGGLING 8, DIFFICULT 4, MANAGEABLE 2, WELL 1).
    async fn total_benefit(&self) -> i64 {
        self.0.total_benefit
    }

    /// What a greedy pass would have reached on the same input.
    async fn greedy_benefit(&self) -> i64 {
        self.0.greedy_benefit
    }

    /// The suggested matches, by id.
    #[graphql(
        complexity = "crate::graphql::pagination::PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<MatchConnection> {
        use super::loader::{MatchesOfRun, RunMatchCount};
        let page = crate::graphql::pagination::PageArgs::new(first, after, last, before)?;
        MatchConnection::of_children(
            ctx,
            MatchesOfRun {
                parent: self.0.id,
                page,
            },
            RunMatchCount(self.0.id),
            Match::with_technology,
            |m| m.0.id.to_string(),
        )
        .await
    }

    /// When it ran.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A household's technology matches.
pub struct MatchesOfHousehold(pub std::sync::Arc<entity::household::Model>);

/// A household's technology matches.
#[Object]
impl MatchesOfHousehold {
    /// Technology matches of the household, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<MatchConnection> {
        use super::loader::{MatchCount, MatchesOf};
        let page = PageArgs::new(first, after, last, before)?;
        MatchConnection::of_children(
            ctx,
            MatchesOf {
                parent: self.0.id,
                page,
            },
            MatchCount(self.0.id),
            Match::with_technology,
            |m| m.0.id.to_string(),
        )
        .await
    }
}

crate::by_id_loader!(MatchingRunId, matching_run, super::service::visible_runs);
crate::node_by_loader!(
    Match,
    "Match",
    super::loader::MatchId,
    Match::new,
    crate::auth::policy::HOUSEHOLD_READERS
);
crate::node_by_loader!(
    MatchingRun,
    "MatchingRun",
    MatchingRunId,
    MatchingRun,
    crate::auth::policy::COORDINATORS
);
