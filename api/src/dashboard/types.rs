//! The GraphQL shape of a dashboard.
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::enums::{IncomeLevel, LadderLevel, ReferralStatus};
use sea_orm::{ActiveEnum, Iterable};

use super::{
    service::{Assembled, ShownArea},
    table::{LADDERS, Layout},
};
use crate::{
    area::types::Area, case::types::InterventionKind, catalogue::types::Technology,
    graphql::node::NodeType,
};

/// One number of a dashboard. `value` is null and `suppressed` true when the number is too
/// small to show to you here (fewer than `Dashboard.suppressionK`, and you have no household
/// access in this area), or when it would let such a number be worked out from the others.
#[derive(SimpleObject, Clone, Debug)]
pub struct DashboardCount {
    /// What is counted: the enum value of the breakdown (`ENROLLED`, `WELL`, …) or `total`.
    pub key: String,
    /// The count; null when suppressed.
    pub value: Option<i64>,
    /// Whether the count is withheld.
    pub suppressed: bool,
}

/// A breakdown and its total.
#[derive(SimpleObject, Clone, Debug)]
pub struct DashboardBreakdown {
    /// All of them.
    pub total: DashboardCount,
    /// One count per value of the breakdown, in the enum's order (zeros included).
    pub counts: Vec<DashboardCount>,
}

/// Households with an ACTIVE assessment (not merged away as duplicates) by ladder level.
#[derive(SimpleObject, Clone, Debug)]
pub struct DashboardLadder {
    /// Households counted (each of the lists below adds up to it).
    pub assessed: DashboardCount,
    /// By overall level (STRUGGLING, DIFFICULT, MANAGEABLE, WELL).
    pub overall: Vec<DashboardCount>,
    /// By the level of human capital.
    pub human: Vec<DashboardCount>,
    /// By the level of physical capital.
    pub physical: Vec<DashboardCount>,
    /// By the level of financial capital.
    pub financial: Vec<DashboardCount>,
    /// By the level of natural capital.
    pub natural: Vec<DashboardCount>,
    /// By the level of social capital.
    pub social: Vec<DashboardCount>,
}

/// What was delivered of one intervention kind (or of all) in the period.
#[derive(SimpleObject, Clone, Debug)]
pub struct DashboardDelivery {
    /// The kind; null for the total of all kinds.
    pub kind: Option<InterventionKind>,
    /// Interventions delivered.
    pub count: Option<i64>,
    /// Sum of their quantities (each in its own unit).
    pub quantity: Option<f64>,
    /// What they cost, baht.
    pub cost: Option<f64>,
    /// Whether count, quantity and cost are withheld (they are withheld together).
    pub suppressed: bool,
}

/// A dashboard: an area and its children with the same numbers each. Counts are as of now;
/// interventions, graduations and relapses are those of the months from `from` to `to`.
pub struct Dashboard(pub Arc<Assembled>);

/// A dashboard: an area and its children with the same numbers each. Counts are as of now;
/// interventions, graduations and relapses are those of the months from `from` to `to`.
#[Object]
impl Dashboard {
    /// First day counted (interventions, graduations, relapses: by month, so the whole month
    /// of this date counts).
    async fn from(&self) -> NaiveDate {
        self.0.period.from
    }

    /// Last day counted (the whole month of this date counts).
    async fn to(&self) -> NaiveDate {
        self.0.period.to
    }

    /// The day overdue referrals are counted against (today).
    async fn as_of(&self) -> NaiveDate {
        self.0.period.today
    }

    /// Counts below this are suppressed where you have no household access.
    async fn suppression_k(&self) -> i64 {
        self.0.k
    }

    /// The area itself (for the whole country: the sum of the provinces).
    async fn area(&self) -> DashboardArea {
        DashboardArea {
            data: self.0.clone(),
            row: 0,
        }
    }

    /// The areas directly inside it, by code (a province's districts, …; none for a village).
    async fn children(&self) -> Vec<DashboardArea> {
        (1..self.0.areas.len())
            .map(|row| DashboardArea {
                data: self.0.clone(),
                row,
            })
            .collect()
    }
}

/// One area's numbers.
pub struct DashboardArea {
    data: Arc<Assembled>,
    row: usize,
}

impl DashboardArea {
    fn shown(&self) -> &ShownArea {
        &self.data.areas[self.row]
    }

    fn cell(&self, column: &str, key: &str) -> DashboardCount {
        let layout = &self.data.layout;
        let row = &self.shown().row;
        match layout.col(column) {
            Some(c) if row.hidden[c] => DashboardCount {
                key: key.to_string(),
                value: None,
                suppressed: true,
            },
            Some(c) => DashboardCount {
                key: key.to_string(),
                value: Some(row.cells.values[c]),
                suppressed: false,
            },
            None => DashboardCount {
                key: key.to_string(),
                value: Some(0),
                suppressed: false,
            },
        }
    }

    fn counts<T: ActiveEnum<Value = String> + Iterable>(
        &self,
        prefix: &str,
    ) -> Vec<DashboardCount> {
        T::iter()
            .map(|v| {
                let key = v.to_value();
                self.cell(&format!("{prefix}.{key}"), &key)
            })
            .collect()
    }

    fn breakdown<T: ActiveEnum<Value = String> + Iterable>(
        &self,
        prefix: &str,
    ) -> DashboardBreakdown {
        DashboardBreakdown {
            total: self.cell(&format!("{prefix}.total"), "total"),
            counts: self.counts::<T>(prefix),
        }
    }
}

/// Matches of one technology in an area.
pub struct DashboardTechnology {
    id: uuid::Uuid,
    matches: DashboardCount,
    adopted: DashboardCount,
}

/// Matches of one technology in an area.
#[Object]
impl DashboardTechnology {
    /// The technology's global id.
    async fn technology_id(&self) -> ID {
        crate::graphql::node::encode("Technology", self.id)
    }

    /// The technology.
    async fn technology(&self, ctx: &Context<'_>) -> Result<Option<Technology>> {
        Technology::load(ctx, &self.id.to_string()).await
    }

    /// Its matches, in any state.
    async fn matches(&self) -> &DashboardCount {
        &self.matches
    }

    /// Its matches that were ADOPTED or SUSTAINED.
    async fn adopted(&self) -> &DashboardCount {
        &self.adopted
    }
}

/// One area's numbers (the same cells for the area and each of its children).
#[Object]
impl DashboardArea {
    /// The area's DOPA code; null for the whole country.
    async fn code(&self) -> Option<&str> {
        let code = self.shown().row.cells.code.as_str();
        (!code.is_empty()).then_some(code)
    }

    /// The area (names, level); null for the whole country.
    async fn area(&self) -> Option<Area> {
        self.shown().area.clone().map(Area)
    }

    /// Whether these numbers are exact (you have household access in this area); when false,
    /// small counts are suppressed.
    async fn exact(&self) -> bool {
        self.shown().row.exact
    }

    /// Households by lifecycle state.
    async fn households(&self) -> DashboardBreakdown {
        self.breakdown::<entity::enums::HouseholdStatus>("households")
    }

    /// Households by ladder level, overall and per capital.
    async fn ladder(&self) -> DashboardLadder {
        let levels = |ladder: &str| self.counts::<LadderLevel>(&format!("ladder.{ladder}"));
        DashboardLadder {
            assessed: self.cell("ladder.assessed", "total"),
            overall: levels(LADDERS[0]),
            human: levels(LADDERS[1]),
            physical: levels(LADDERS[2]),
            financial: levels(LADDERS[3]),
            natural: levels(LADDERS[4]),
            social: levels(LADDERS[5]),
        }
    }

    /// Assessed households by income level (they add up to `ladder.assessed`).
    async fn income_levels(&self) -> Vec<DashboardCount> {
        self.counts::<IncomeLevel>("income")
    }

    /// Matches by state.
    async fn matches(&self) -> DashboardBreakdown {
        self.breakdown::<entity::enums::MatchStatus>("matches")
    }

    /// Matches by technology (technologies with a match anywhere in this dashboard).
    async fn technologies(&self) -> Vec<DashboardTechnology> {
        self.data
            .layout
            .technologies
            .iter()
            .map(|t| DashboardTechnology {
                id: *t,
                matches: self.cell(&format!("technology.{t}.matches"), "matches"),
                adopted: self.cell(&format!("technology.{t}.adopted"), "adopted"),
            })
            .collect()
    }

    /// Referrals by state.
    async fn referrals(&self) -> DashboardBreakdown {
        self.breakdown::<ReferralStatus>("referrals")
    }

    /// PENDING or ACCEPTED referrals whose due date is before `Dashboard.asOf`.
    async fn overdue_referrals(&self) -> DashboardCount {
        self.cell("referrals.overdue", "overdue")
    }

    /// Interventions delivered in the period, one per kind and last the total (kind null).
    async fn interventions(&self) -> Vec<DashboardDelivery> {
        let row = &self.shown().row;
        Layout::delivery_keys()
            .into_iter()
            .enumerate()
            .map(|(i, kind)| {
                let count = match kind {
                    Some(k) => self.cell(&format!("interventions.{}", k.to_value()), "count"),
                    None => self.cell("interventions.total", "count"),
                };
                let amounts = row.cells.amounts[i];
                let shown = !count.suppressed;
                DashboardDelivery {
                    kind: kind.map(Into::into),
                    count: count.value,
                    quantity: shown.then_some(amounts.quantity),
                    cost: shown.then_some(amounts.satang as f64 / 100.0),
                    suppressed: count.suppressed,
                }
            })
            .collect()
    }

    /// Households that graduated in the period.
    async fn graduations(&self) -> DashboardCount {
        self.cell("graduations", "graduations")
    }

    /// Graduates who relapsed in the period.
    async fn relapses(&self) -> DashboardCount {
        self.cell("relapses", "relapses")
    }

    /// Graduates flagged at risk of relapse in the period.
    async fn relapse_risks(&self) -> DashboardCount {
        self.cell("relapseRisks", "relapseRisks")
    }
}
