use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{assessment, enums};

use super::service::Scores;
use crate::{
    account::{loader::AccountId, types::Account},
    auth::policy::sees_identity,
    connection,
    graphql::pagination::PageArgs,
    graphql::{
        context::{loader, viewer},
        node,
    },
};

/// The four-step ladder out of poverty.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LadderLevel")]
pub enum LadderLevel {
    /// อยู่ลำบาก (score below 1.75).
    Struggling,
    /// อยู่ยาก (1.75 to below 2.50).
    Difficult,
    /// อยู่พอได้ (2.50 to below 3.25).
    Manageable,
    /// อยู่ดี (3.25 and above).
    Well,
}

/// Income per person per month against the poverty-line table.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::IncomeLevel")]
pub enum IncomeLevel {
    /// At or below the poverty line (2563: 2,762 baht).
    BelowPovertyLine,
    /// Above the line, at or below the poorest-40% cut (2563: 5,346 baht).
    BelowPoorest40,
    /// Above that, at or below the median (2563: 6,531 baht).
    BelowMedian,
    /// Above the median.
    AboveMedian,
}

/// State of an assessment.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AssessmentStatus")]
pub enum AssessmentStatus {
    /// Recorded, not yet in force.
    Draft,
    /// The household's current assessment (one at a time).
    Active,
    /// Replaced by a newer one.
    Superseded,
    /// Withdrawn.
    Cancelled,
}

/// One of the five livelihood capitals.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Capital")]
pub enum Capital {
    /// ทุนมนุษย์: skills, health, labour.
    Human,
    /// ทุนกายภาพ: housing, tools, infrastructure.
    Physical,
    /// ทุนการเงิน/ทุนเศรษฐกิจ: income, savings, debt.
    Financial,
    /// ทุนธรรมชาติ: land, water, natural resources.
    Natural,
    /// ทุนทางสังคม: networks, groups, support.
    Social,
}

/// The five capital scores (1.00–4.00).
#[derive(SimpleObject, Clone, Copy)]
pub struct CapitalScores {
    /// Human capital.
    pub human: f64,
    /// Physical capital.
    pub physical: f64,
    /// Financial capital.
    pub financial: f64,
    /// Natural capital.
    pub natural: f64,
    /// Social capital.
    pub social: f64,
}

impl From<Scores> for CapitalScores {
    fn from(s: Scores) -> Self {
        let f = |v: i32| v as f64 / 100.0;
        CapitalScores {
            human: f(s.human),
            physical: f(s.physical),
            financial: f(s.financial),
            natural: f(s.natural),
            social: f(s.social),
        }
    }
}

/// Ladder levels, overall and per capital, with the income level.
#[derive(SimpleObject, Clone, Copy)]
pub struct Ladder {
    /// From the mean of the five capitals.
    pub overall: LadderLevel,
    /// Human capital.
    pub human: LadderLevel,
    /// Physical capital.
    pub physical: LadderLevel,
    /// Financial capital.
    pub financial: LadderLevel,
    /// Natural capital.
    pub natural: LadderLevel,
    /// Social capital.
    pub social: LadderLevel,
    /// Income per person against the poverty lines.
    pub income_level: IncomeLevel,
}

impl Ladder {
    pub fn of(a: &assessment::Model) -> Ladder {
        let l = |v: i32| enums::LadderLevel::of_score(v).into();
        Ladder {
            overall: a.overall_level.into(),
            human: l(a.human),
            physical: l(a.physical),
            financial: l(a.financial),
            natural: l(a.natural),
            social: l(a.social),
            income_level: a.income_level.into(),
        }
    }
}

pub struct Assessment(pub assessment::Model);

/// A household's capability assets at one date (never overwritten; a newer one supersedes
/// it); not readable by ANALYST. Notes and raw indicator answers are null for a viewer who
/// may not see who the household is.
#[Object]
impl Assessment {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Assessment", self.0.id)
    }

    /// State.
    async fn status(&self) -> AssessmentStatus {
        self.0.status.into()
    }

    /// Date of the assessment.
    async fn assessed_on(&self) -> NaiveDate {
        self.0.assessed_on
    }

    /// The five capital scores.
    async fn scores(&self) -> CapitalScores {
        Scores::of(&self.0).into()
    }

    /// Mean of the five scores.
    async fn overall_score(&self) -> f64 {
        self.0.overall_score as f64 / 100.0
    }

    /// Ladder levels derived from the scores and income.
    async fn ladder(&self) -> Ladder {
        Ladder::of(&self.0)
    }

    /// People in the household when assessed.
    async fn household_size(&self) -> i32 {
        self.0.household_size
    }

    /// Income per person per month, baht.
    async fn income_per_person(&self) -> f64 {
        self.0.income_per_person_satang as f64 / 100.0
    }

    /// Buddhist-era year of the poverty lines used for the income level.
    async fn poverty_line_year(&self) -> i32 {
        self.0.poverty_line_year
    }

    /// Whether the household has land to farm.
    async fn has_land(&self) -> Option<bool> {
        self.0.has_land
    }

    /// Raw indicator answers (provenance).
    async fn indicators(
        &self,
        ctx: &Context<'_>,
    ) -> Option<async_graphql::Json<serde_json::Value>> {
        if !sees_identity(viewer(ctx)) {
            return None;
        }
        self.0
            .indicators
            .as_ref()
            .map(|d| async_graphql::Json(d.0.clone()))
    }

    /// Collector's notes.
    async fn notes(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx))
            .then_some(self.0.notes.as_deref())
            .flatten()
    }

    /// Who recorded it (visible to ADMIN, or when it was you).
    async fn collector(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.collector_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(AccountId(id)).await?.map(Account))
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it became ACTIVE.
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }

    /// When it was superseded or cancelled.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
}

connection!(
    AssessmentConnection,
    AssessmentEdge,
    Assessment,
    "assessments"
);

/// A household's assessments (its capability assets over time).
pub struct AssessmentsOfHousehold(pub std::sync::Arc<entity::household::Model>);

/// A household's assessments (its capability assets over time).
#[Object]
impl AssessmentsOfHousehold {
    /// The ACTIVE assessment (the household's current capability assets), if any.
    async fn latest_assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        Ok(loader(ctx)
            .load_one(super::loader::ActiveAssessmentOf(self.0.id))
            .await?
            .map(Assessment))
    }

    /// Ladder levels from the ACTIVE assessment (null before the first one).
    async fn ladder(&self, ctx: &Context<'_>) -> Result<Option<Ladder>> {
        Ok(loader(ctx)
            .load_one(super::loader::ActiveAssessmentOf(self.0.id))
            .await?
            .map(|a| Ladder::of(&a)))
    }

    /// Every assessment, oldest first (including drafts, superseded and cancelled ones).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AssessmentConnection> {
        use super::loader::{AssessmentCount, AssessmentsOf};
        let page = PageArgs::new(first, after, last, before)?;
        AssessmentConnection::of_children(
            ctx,
            AssessmentsOf {
                parent: self.0.id,
                page,
            },
            AssessmentCount(self.0.id),
            Assessment,
            |a| a.0.id.to_string(),
        )
        .await
    }
}

crate::node_by_loader!(
    Assessment,
    "Assessment",
    super::loader::AssessmentId,
    Assessment,
    crate::auth::policy::HOUSEHOLD_READERS
);

/// Poverty lines of one Buddhist-era year, baht per person per month.
#[derive(async_graphql::SimpleObject)]
pub struct PovertyLine {
    /// Buddhist-era year (2563 = 2020).
    pub year_be: i32,
    /// The poverty line.
    pub poverty_line: i32,
    /// The poorest-40% cut.
    pub poorest40_cut: i32,
    /// The median.
    pub median: i32,
}

impl From<entity::poverty_line::Model> for PovertyLine {
    fn from(m: entity::poverty_line::Model) -> Self {
        PovertyLine {
            year_be: m.year_be,
            poverty_line: m.poverty_line,
            poorest40_cut: m.poorest40_cut,
            median: m.median,
        }
    }
}
