//! GraphQL types of ladder movement (docs/mobility.md).
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::assessment;

use super::{
    compute::{self, Dim, INCOME_LEVELS, LEVELS, Movement, Snap, Summary},
    loader::{AdoptionsBetween, InterventionsBetween, LadderOf},
};
use crate::{
    assessment::types::{Assessment, IncomeLevel, LadderLevel},
    case::types::{Intervention, InterventionKind},
    catalogue::types::Technology,
    graphql::{context::loader, node},
    matching::{loader::TechnologyId, types::Match},
};

/// A ladder: overall (from the mean of the five capitals) or one capital.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::mobility::compute::Dim")]
pub enum MobilityCapital {
    /// The overall level.
    Overall,
    /// Human capital.
    Human,
    /// Physical capital.
    Physical,
    /// Financial capital.
    Financial,
    /// Natural capital.
    Natural,
    /// Social capital.
    Social,
}

/// Which way a household moved between its baseline and endline.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::mobility::compute::Direction")]
pub enum MovementDirection {
    /// To a higher level.
    Up,
    /// Same level (also: not reassessed).
    Stayed,
    /// To a lower level.
    Fell,
}

/// Movement on one ladder.
#[derive(SimpleObject, Clone)]
pub struct CapitalMovement {
    /// Which ladder.
    pub capital: MobilityCapital,
    /// Level at the baseline.
    pub from_level: LadderLevel,
    /// Level at the endline.
    pub to_level: LadderLevel,
    /// Score at the baseline (1.00–4.00).
    pub from_score: f64,
    /// Score at the endline.
    pub to_score: f64,
    /// Endline score minus baseline score.
    pub score_change: f64,
    /// Up, stayed or fell, by level.
    pub direction: MovementDirection,
}

/// Movement of income per person per month against the poverty lines.
#[derive(SimpleObject, Clone)]
pub struct IncomeMovement {
    /// Income level at the baseline.
    pub from_level: IncomeLevel,
    /// Income level at the endline.
    pub to_level: IncomeLevel,
    /// Income per person per month at the baseline, baht.
    pub from_income_per_person: f64,
    /// Income per person per month at the endline, baht.
    pub to_income_per_person: f64,
    /// Endline minus baseline, baht per person per month.
    pub change: f64,
    /// Up, stayed or fell, by income level.
    pub direction: MovementDirection,
}

fn baht(satang: i64) -> f64 {
    satang as f64 / 100.0
}

fn capital_movement(m: &Movement, dim: Dim) -> CapitalMovement {
    let (b, e) = (dim.score(&m.baseline), dim.score(&m.endline));
    CapitalMovement {
        capital: dim.into(),
        from_level: dim.level(&m.baseline).into(),
        to_level: dim.level(&m.endline).into(),
        from_score: b as f64 / 100.0,
        to_score: e as f64 / 100.0,
        score_change: (e - b) as f64 / 100.0,
        direction: m.direction(dim).into(),
    }
}

/// A household's movement up or down the ladder between two assessments.
pub struct LadderMovement {
    household: uuid::Uuid,
    baseline: assessment::Model,
    endline: assessment::Model,
    movement: Movement,
}

/// A household's movement between its baseline and endline assessments (docs/mobility.md):
/// per capital and overall, income, and what it received in between.
#[Object]
impl LadderMovement {
    /// The baseline: the counting assessment at `from` (the latest on or before it), else the
    /// first after it; without `from`, the first.
    async fn baseline(&self) -> Assessment {
        Assessment(self.baseline.clone())
    }

    /// The endline: the counting assessment at `to`; without `to`, the latest.
    async fn endline(&self) -> Assessment {
        Assessment(self.endline.clone())
    }

    /// Whether baseline and endline are different assessments (otherwise: not reassessed, and
    /// every direction is STAYED).
    async fn reassessed(&self) -> bool {
        self.movement.reassessed()
    }

    /// Overall movement.
    async fn overall(&self) -> CapitalMovement {
        capital_movement(&self.movement, Dim::Overall)
    }

    /// Movement per capital: HUMAN, PHYSICAL, FINANCIAL, NATURAL, SOCIAL.
    async fn capitals(&self) -> Vec<CapitalMovement> {
        Dim::ALL[1..]
            .iter()
            .map(|d| capital_movement(&self.movement, *d))
            .collect()
    }

    /// Income movement.
    async fn income(&self) -> IncomeMovement {
        let m = &self.movement;
        IncomeMovement {
            from_level: m.baseline.income_level.into(),
            to_level: m.endline.income_level.into(),
            from_income_per_person: baht(m.baseline.income_per_person_satang),
            to_income_per_person: baht(m.endline.income_per_person_satang),
            change: baht(m.income_change_satang()),
            direction: m.income_direction().into(),
        }
    }

    /// Interventions delivered from the baseline's date to the endline's (both included) that
    /// you may see, oldest first, at most 100.
    async fn interventions(&self, ctx: &Context<'_>) -> Result<Vec<Intervention>> {
        Ok(loader(ctx)
            .load_one(InterventionsBetween {
                household: self.household,
                start: self.baseline.assessed_on,
                end: self.endline.assessed_on,
            })
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Intervention)
            .collect())
    }

    /// Matches that reached ADOPTED from the baseline's date to the endline's (both included;
    /// the day of the change, UTC) that you may see, in that order, at most 100.
    async fn matches(&self, ctx: &Context<'_>) -> Result<Vec<Match>> {
        Ok(loader(ctx)
            .load_one(AdoptionsBetween {
                household: self.household,
                start: self.baseline.assessed_on,
                end: self.endline.assessed_on,
            })
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Match::new)
            .collect())
    }
}

/// A household's ladder movement.
pub struct MobilityOfHousehold(pub Arc<entity::household::Model>);

#[Object]
impl MobilityOfHousehold {
    /// Movement between the household's level at `from` and at `to` (docs/mobility.md);
    /// without dates, from its first counting assessment (ACTIVE or SUPERSEDED) to its latest.
    /// Null when it has no counting assessment on or before `to`.
    async fn ladder_movement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start of the period (the baseline is the level on this date).")]
        from: Option<NaiveDate>,
        #[graphql(desc = "End of the period (the endline is the level on this date).")] to: Option<
            NaiveDate,
        >,
    ) -> Result<Option<LadderMovement>> {
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(
                crate::error::ApiError::bad_input("from", "from must not be after to").into(),
            );
        }
        let Some((baseline, endline)) = loader(ctx)
            .load_one(LadderOf {
                household: self.0.id,
                from,
                to,
            })
            .await?
        else {
            return Ok(None);
        };
        let movement = Movement {
            baseline: Snap::from(&baseline),
            endline: Snap::from(&endline),
        };
        Ok(Some(LadderMovement {
            household: self.0.id,
            baseline,
            endline,
            movement,
        }))
    }
}

/// How many households went from one level to another.
#[derive(SimpleObject, Clone)]
pub struct TransitionCell {
    /// Level at the baseline.
    pub from_level: LadderLevel,
    /// Level at the endline.
    pub to_level: LadderLevel,
    /// Reassessed households.
    pub households: i64,
}

/// How many households went from one income level to another.
#[derive(SimpleObject, Clone)]
pub struct IncomeTransitionCell {
    /// Income level at the baseline.
    pub from_level: IncomeLevel,
    /// Income level at the endline.
    pub to_level: IncomeLevel,
    /// Reassessed households.
    pub households: i64,
}

/// Movement on one ladder in an area: up / stayed / fell and the 4×4 transition matrix.
#[derive(SimpleObject, Clone)]
pub struct LadderTransitions {
    /// Which ladder.
    pub capital: MobilityCapital,
    /// Reassessed households that moved up.
    pub up: i64,
    /// Reassessed households that stayed.
    pub stayed: i64,
    /// Reassessed households that fell.
    pub fell: i64,
    /// Sixteen cells, from STRUGGLING→STRUGGLING to WELL→WELL (baseline level first).
    pub cells: Vec<TransitionCell>,
}

/// Income level movement in an area.
#[derive(SimpleObject, Clone)]
pub struct IncomeTransitions {
    /// Reassessed households whose income level rose.
    pub up: i64,
    /// Whose income level stayed.
    pub stayed: i64,
    /// Whose income level fell.
    pub fell: i64,
    /// Mean change of income per person per month, baht (null without reassessed households).
    pub mean_change: Option<f64>,
    /// Sixteen cells, baseline level first, in the order BELOW_POVERTY_LINE … ABOVE_MEDIAN.
    pub cells: Vec<IncomeTransitionCell>,
}

/// Movement of the households that received one kind of intervention.
#[derive(SimpleObject, Clone)]
pub struct InterventionKindMobility {
    /// The kind.
    pub kind: InterventionKind,
    /// Reassessed households with at least one intervention of this kind delivered between
    /// their baseline and endline.
    pub reassessed: i64,
    /// Of them, moved up overall.
    pub up: i64,
    /// Stayed.
    pub stayed: i64,
    /// Fell.
    pub fell: i64,
    /// Their mean change of income per person per month, baht (null when none).
    pub mean_income_change: Option<f64>,
}

/// A technology's adopters and comparison households starting at one overall level.
#[derive(SimpleObject, Clone)]
pub struct TechnologyLevelMobility {
    /// Overall level at the baseline.
    pub level: LadderLevel,
    /// Reassessed households whose match of the technology reached ADOPTED between their
    /// baseline and endline.
    pub adopters: i64,
    /// Of them, moved up overall.
    pub adopters_up: i64,
    /// Reassessed households of this starting level never matched to the technology.
    pub comparison: i64,
    /// Of them, moved up overall.
    pub comparison_up: i64,
}

/// A technology's adopters against comparable households that were never matched to it.
pub struct TechnologyMobility {
    technology: uuid::Uuid,
    stats: compute::TechStats,
}

/// A technology's adopters against comparable households that were never matched to it
/// (docs/mobility.md).
#[Object]
impl TechnologyMobility {
    /// The technology.
    async fn technology(&self, ctx: &Context<'_>) -> Result<Option<Technology>> {
        Ok(loader(ctx)
            .load_one(TechnologyId(self.technology))
            .await?
            .map(Technology))
    }

    /// Its global id.
    async fn technology_id(&self) -> async_graphql::ID {
        node::encode("Technology", self.technology)
    }

    /// Reassessed households whose match reached ADOPTED between their baseline and endline.
    async fn adopters(&self) -> i64 {
        self.stats.adopters() as i64
    }

    /// Of them, moved up overall.
    async fn adopters_up(&self) -> i64 {
        self.stats.adopters_up() as i64
    }

    /// Reassessed households never matched to it, of the starting levels that have adopters.
    async fn comparison(&self) -> i64 {
        self.stats.comparison() as i64
    }

    /// Of them, moved up overall.
    async fn comparison_up(&self) -> i64 {
        self.stats.comparison_up() as i64
    }

    /// adoptersUp / adopters.
    async fn adopter_up_rate(&self) -> Option<f64> {
        self.stats.adopter_up_rate()
    }

    /// The comparison's rate of moving up, standardised to the adopters' starting levels
    /// (each level's rate weighted by its share of adopters); null without comparison.
    async fn comparison_up_rate(&self) -> Option<f64> {
        self.stats.comparison_up_rate()
    }

    /// Adopters' mean change of income per person per month, baht.
    async fn adopter_income_change(&self) -> Option<f64> {
        self.stats.adopter_income_change().map(|s| s / 100.0)
    }

    /// The comparison's mean change of income per person per month, baht, standardised like
    /// `comparisonUpRate`.
    async fn comparison_income_change(&self) -> Option<f64> {
        self.stats.comparison_income_change().map(|s| s / 100.0)
    }

    /// By starting overall level, STRUGGLING to WELL.
    async fn by_level(&self) -> Vec<TechnologyLevelMobility> {
        LEVELS
            .iter()
            .zip(self.stats.by_level.iter())
            .map(|(l, g)| TechnologyLevelMobility {
                level: (*l).into(),
                adopters: g.adopters as i64,
                adopters_up: g.adopters_up as i64,
                comparison: g.comparison as i64,
                comparison_up: g.comparison_up as i64,
            })
            .collect()
    }
}

/// Ladder movement of an area over a period.
pub struct Mobility {
    pub area_code: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub summary: Summary,
}

fn mean(sum: i64, n: u64) -> Option<f64> {
    (n > 0).then(|| sum as f64 / n as f64 / 100.0)
}

/// Ladder movement of the households of an area you may see, over a period (docs/mobility.md).
/// Every figure but `households` and `notReassessed` counts reassessed households; each can be
/// listed with `mobilityHouseholds`.
#[Object]
impl Mobility {
    /// The area (DOPA code prefix).
    async fn area_code(&self) -> &str {
        &self.area_code
    }

    /// Start of the period.
    async fn from(&self) -> NaiveDate {
        self.from
    }

    /// End of the period.
    async fn to(&self) -> NaiveDate {
        self.to
    }

    /// Households considered: with a counting assessment on or before `to`.
    async fn households(&self) -> i64 {
        self.summary.considered as i64
    }

    /// Households whose baseline and endline differ.
    async fn reassessed(&self) -> i64 {
        self.summary.reassessed as i64
    }

    /// Households considered but not reassessed in the period.
    async fn not_reassessed(&self) -> i64 {
        (self.summary.considered - self.summary.reassessed) as i64
    }

    /// Reassessed households that moved up overall.
    async fn up(&self) -> i64 {
        self.summary.ladders[0].1.moves.up as i64
    }

    /// Reassessed households that stayed overall.
    async fn stayed(&self) -> i64 {
        self.summary.ladders[0].1.moves.stayed as i64
    }

    /// Reassessed households that fell overall.
    async fn fell(&self) -> i64 {
        self.summary.ladders[0].1.moves.fell as i64
    }

    /// Transitions overall and per capital, in the order OVERALL, HUMAN, PHYSICAL, FINANCIAL,
    /// NATURAL, SOCIAL.
    async fn ladders(&self) -> Vec<LadderTransitions> {
        self.summary
            .ladders
            .iter()
            .map(|(dim, m)| LadderTransitions {
                capital: (*dim).into(),
                up: m.moves.up as i64,
                stayed: m.moves.stayed as i64,
                fell: m.moves.fell as i64,
                cells: LEVELS
                    .iter()
                    .enumerate()
                    .flat_map(|(i, from)| {
                        LEVELS
                            .iter()
                            .enumerate()
                            .map(move |(j, to)| TransitionCell {
                                from_level: (*from).into(),
                                to_level: (*to).into(),
                                households: m.cells[i][j] as i64,
                            })
                    })
                    .collect(),
            })
            .collect()
    }

    /// Income level transitions and the mean change of income.
    async fn income(&self) -> IncomeTransitions {
        let m = &self.summary.income;
        IncomeTransitions {
            up: m.moves.up as i64,
            stayed: m.moves.stayed as i64,
            fell: m.moves.fell as i64,
            mean_change: mean(self.summary.income_change_sum, self.summary.reassessed),
            cells: INCOME_LEVELS
                .iter()
                .enumerate()
                .flat_map(|(i, from)| {
                    INCOME_LEVELS
                        .iter()
                        .enumerate()
                        .map(move |(j, to)| IncomeTransitionCell {
                            from_level: (*from).into(),
                            to_level: (*to).into(),
                            households: m.cells[i][j] as i64,
                        })
                })
                .collect(),
        }
    }

    /// Movement by intervention kind (every kind, zeros included).
    async fn by_intervention_kind(&self) -> Vec<InterventionKindMobility> {
        self.summary
            .by_kind
            .iter()
            .map(|(kind, s)| InterventionKindMobility {
                kind: (*kind).into(),
                reassessed: s.moves.total() as i64,
                up: s.moves.up as i64,
                stayed: s.moves.stayed as i64,
                fell: s.moves.fell as i64,
                mean_income_change: mean(s.income_change_sum, s.moves.total()),
            })
            .collect()
    }

    /// Technologies with at least one adopter in the area and period, against comparison
    /// households.
    async fn by_technology(&self) -> Vec<TechnologyMobility> {
        self.summary
            .by_technology
            .iter()
            .map(|(t, s)| TechnologyMobility {
                technology: *t,
                stats: s.clone(),
            })
            .collect()
    }
}

/// Which households `mobilityHouseholds` lists.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "crate::mobility::compute::Population")]
pub enum MobilityPopulation {
    /// Baseline and endline differ (what every figure but `households` counts).
    #[default]
    Reassessed,
    /// Considered but not reassessed.
    NotReassessed,
    /// Every household considered.
    Considered,
}

/// Adopters of a technology or its comparison households.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::mobility::compute::Group")]
pub enum MobilityGroup {
    /// Reassessed households whose match reached ADOPTED between baseline and endline.
    Adopters,
    /// Reassessed households never matched to the technology, of the starting levels that
    /// have adopters.
    Comparison,
}
