use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums, graduation};
use sea_orm::ActiveEnum;

use super::{
    loader::{
        CountingAssessmentsOf, HouseholdGraduationCount, HouseholdGraduations, LatestGraduationOf,
    },
    service::{self, Snapshot, SnapshotAssessment},
};
use crate::{
    account::{loader::AccountId, types::Account},
    assessment::{
        loader::AssessmentId,
        types::{Assessment, IncomeLevel, LadderLevel},
    },
    auth::policy,
    connection,
    graphql::{
        context::{loader, services},
        pagination::PageArgs,
    },
};

/// The four graduation criteria (docs/graduation.md).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::graduation::service::CriterionName")]
pub enum GraduationCriterionName {
    /// The household is ENROLLED.
    Enrolled,
    /// Both latest counting assessments reach the minimum overall ladder level
    /// (`APP_GRADUATION_MIN_LEVEL`).
    OverallLevel,
    /// Both reach the minimum income level (`APP_GRADUATION_MIN_INCOME_LEVEL`).
    IncomeLevel,
    /// They were made at least the minimum number of days apart
    /// (`APP_GRADUATION_MIN_GAP_DAYS`).
    AssessmentGap,
}

/// Where a household stands on graduation, for the households filter.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::graduation::service::GraduationState")]
pub enum GraduationState {
    /// Status GRADUATED.
    Graduated,
    /// Status GRADUATED, and an assessment inside the monitoring window fell back below the
    /// criteria (relapse risk flagged).
    AtRisk,
    /// Went back from GRADUATED to ENROLLED at least once.
    Relapsed,
}

/// One graduation criterion as judged.
#[derive(SimpleObject, Clone)]
pub struct GraduationCriterion {
    /// Which criterion.
    pub name: GraduationCriterionName,
    /// Whether it holds (a value exactly at the threshold holds).
    pub holds: bool,
    /// The threshold: a status, a ladder level, an income level, or a number of days.
    pub threshold: Option<String>,
    /// What was observed, latest assessment first: the status; the two overall levels; the
    /// two income levels; the days between the two assessments. Empty when there was
    /// nothing to observe (fewer than two counting assessments).
    pub observed: Vec<String>,
    /// A sentence saying why it holds or not.
    pub detail: String,
}

impl From<&service::Criterion> for GraduationCriterion {
    fn from(c: &service::Criterion) -> Self {
        GraduationCriterion {
            name: c.name.into(),
            holds: c.holds,
            threshold: Some(c.threshold.clone()),
            observed: c.observed.clone(),
            detail: c.detail.clone(),
        }
    }
}

/// Whether a household may graduate now, criterion by criterion, under the thresholds in
/// force.
pub struct GraduationReadiness(service::Readiness);

/// Whether a household may graduate now (`transitionHousehold(to: GRADUATED)` succeeds only
/// when `ready`), criterion by criterion, under the thresholds in force.
#[Object]
impl GraduationReadiness {
    /// Every criterion holds.
    async fn ready(&self) -> bool {
        self.0.ready()
    }

    /// The four criteria, in the order ENROLLED, OVERALL_LEVEL, INCOME_LEVEL, ASSESSMENT_GAP.
    async fn criteria(&self) -> Vec<GraduationCriterion> {
        self.0.criteria.iter().map(Into::into).collect()
    }

    /// The counting assessments judged (at most two, latest first).
    async fn assessments(&self) -> Vec<Assessment> {
        self.0.assessments.iter().cloned().map(Assessment).collect()
    }
}

/// One of the two assessments a graduation was judged on, as it was then.
pub struct GraduationSnapshotAssessment(SnapshotAssessment);

/// One of the two assessments a graduation was judged on, as it was then.
#[Object]
impl GraduationSnapshotAssessment {
    /// The assessment itself (null if you may not see it).
    async fn assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        Ok(loader(ctx)
            .load_one(AssessmentId(self.0.id))
            .await?
            .map(Assessment))
    }

    /// Date of the assessment.
    async fn assessed_on(&self) -> NaiveDate {
        self.0.assessed_on
    }

    /// Overall ladder level.
    async fn overall_level(&self) -> Option<LadderLevel> {
        enums::LadderLevel::try_from_value(&self.0.overall_level)
            .ok()
            .map(Into::into)
    }

    /// Mean of the five capital scores.
    async fn overall_score(&self) -> f64 {
        f64::from(self.0.overall_score) / 100.0
    }

    /// Income level.
    async fn income_level(&self) -> Option<IncomeLevel> {
        enums::IncomeLevel::try_from_value(&self.0.income_level)
            .ok()
            .map(Into::into)
    }

    /// Income per person per month, baht.
    async fn income_per_person(&self) -> f64 {
        self.0.income_per_person_satang as f64 / 100.0
    }
}

/// What a graduation was judged on: the thresholds then in force, the two assessments and
/// every criterion as it held.
pub struct GraduationCriteriaSnapshot(Snapshot);

/// What a graduation was judged on: the thresholds then in force, the two assessments and
/// every criterion as it held.
#[Object]
impl GraduationCriteriaSnapshot {
    /// Minimum overall ladder level.
    async fn min_level(&self) -> Option<LadderLevel> {
        enums::LadderLevel::try_from_value(&self.0.min_level)
            .ok()
            .map(Into::into)
    }

    /// Minimum income level.
    async fn min_income_level(&self) -> Option<IncomeLevel> {
        enums::IncomeLevel::try_from_value(&self.0.min_income_level)
            .ok()
            .map(Into::into)
    }

    /// Minimum days between the two assessments.
    async fn min_gap_days(&self) -> u32 {
        self.0.min_gap_days
    }

    /// Length of the monitoring window, months.
    async fn monitor_months(&self) -> u32 {
        self.0.monitor_months
    }

    /// Days between the two assessments.
    async fn gap_days(&self) -> Option<i64> {
        self.0.gap_days
    }

    /// The two assessments, latest first.
    async fn assessments(&self) -> Vec<GraduationSnapshotAssessment> {
        self.0
            .assessments
            .iter()
            .cloned()
            .map(GraduationSnapshotAssessment)
            .collect()
    }

    /// Every criterion as it held.
    async fn criteria(&self) -> Vec<GraduationCriterion> {
        self.0.criteria.iter().map(Into::into).collect()
    }
}

/// A household's graduation (พ้นความยากจน): when, on what criteria, and what the monitoring
/// window after it saw.
pub struct Graduation(pub graduation::Model);

/// A household's graduation (พ้นความยากจน): when, on what criteria, and what the monitoring
/// window after it saw. The relapse reason is null for viewers who may not see who the
/// household is.
#[Object]
impl Graduation {
    /// The day it graduated.
    async fn graduated_on(&self) -> NaiveDate {
        self.0.graduated_on
    }

    /// Who graduated it (visible to ADMIN, or when it was you).
    async fn graduated_by(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.graduated_by else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(AccountId(id)).await?.map(Account))
    }

    /// The criteria snapshot it was judged on.
    async fn criteria(&self) -> Result<GraduationCriteriaSnapshot> {
        Ok(GraduationCriteriaSnapshot(Snapshot::parse(&self.0)?))
    }

    /// The last day of the monitoring window.
    async fn monitor_until(&self) -> NaiveDate {
        self.0.monitor_until
    }

    /// Still watched: not relapsed and the window has not ended (today, UTC).
    async fn in_monitoring(&self) -> bool {
        self.0.relapsed_at.is_none() && Utc::now().date_naive() <= self.0.monitor_until
    }

    /// An assessment inside the window fell back below the criteria.
    async fn relapse_risk(&self) -> bool {
        self.0.relapse_risk_at.is_some()
    }

    /// When the relapse risk was flagged.
    async fn relapse_risk_at(&self) -> Option<DateTime<Utc>> {
        self.0.relapse_risk_at
    }

    /// The assessment that flagged the relapse risk (null if you may not see it).
    async fn relapse_risk_assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        let Some(id) = self.0.relapse_risk_assessment_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(AssessmentId(id))
            .await?
            .map(Assessment))
    }

    /// When the household went back from GRADUATED to ENROLLED.
    async fn relapsed_at(&self) -> Option<DateTime<Utc>> {
        self.0.relapsed_at
    }

    /// Why it relapsed (free text about the family: null for viewers who may not see who the
    /// household is).
    async fn relapse_reason(&self, ctx: &Context<'_>) -> Option<String> {
        policy::identifying(ctx, self.0.relapse_reason.clone())
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(
    GraduationConnection,
    GraduationEdge,
    Graduation,
    "graduations"
);

/// A household's graduation readiness and graduations.
pub struct GraduationOfHousehold(pub Arc<entity::household::Model>);

/// A household's graduation readiness and graduations.
#[Object]
impl GraduationOfHousehold {
    /// Whether it may graduate now, criterion by criterion.
    async fn graduation_readiness(&self, ctx: &Context<'_>) -> Result<GraduationReadiness> {
        let latest = loader(ctx)
            .load_one(CountingAssessmentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(GraduationReadiness(service::evaluate(
            self.0.status,
            &latest,
            &services(ctx).settings.measurement,
        )))
    }

    /// Its latest graduation (null if it never graduated).
    async fn graduation(&self, ctx: &Context<'_>) -> Result<Option<Graduation>> {
        Ok(loader(ctx)
            .load_one(LatestGraduationOf(self.0.id))
            .await?
            .map(Graduation))
    }

    /// Every graduation, oldest first (a household graduates again after a relapse).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn graduations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<GraduationConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = HouseholdGraduations {
            parent: self.0.id,
            page,
        };
        GraduationConnection::of_children(
            ctx,
            key,
            HouseholdGraduationCount(self.0.id),
            Graduation,
            |g| g.0.id.to_string(),
        )
        .await
    }
}
