//! What a household contributes to the rollups, computed from its records for a batch of
//! households with one SELECT per table (per IN list of at most [`IN_LIST`] ids).
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    assessment,
    enums::{
        AssessmentStatus, Capital, HouseholdStatus, IncomeLevel, InterventionKind, LadderLevel,
        MatchStatus, ReferralStatus,
    },
    graduation, household, household_contribution, intervention, r#match as matches, referral,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::LockType,
};
use uuid::Uuid;

use super::metric;

/// Ids per IN list: lists are padded to a power of two (with their last id, which changes
/// nothing) so that few statement shapes reach the prepared-statement caches.
pub const IN_LIST: usize = 1024;

/// The counts of one cell (metric, bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub n: i64,
    pub quantity: f64,
    pub amount_satang: i64,
}

impl Cell {
    pub const ONE: Cell = Cell {
        n: 1,
        quantity: 0.0,
        amount_satang: 0,
    };

    pub fn add(&mut self, other: Cell, sign: i64) {
        self.n += sign * other.n;
        self.quantity += sign as f64 * other.quantity;
        self.amount_satang += sign * other.amount_satang;
    }

    pub fn is_zero(&self) -> bool {
        self.n == 0 && self.quantity == 0.0 && self.amount_satang == 0
    }
}

/// (metric, bucket) → counts.
pub type Cells = BTreeMap<(String, String), Cell>;

/// A household's contribution: its village and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub village_code: String,
    pub cells: Cells,
}

impl Contribution {
    fn count(&mut self, metric: &str, bucket: impl Into<String>, cell: Cell) {
        self.cells
            .entry((metric.to_string(), bucket.into()))
            .or_default()
            .add(cell, 1);
    }
}

/// `values` as IN lists of at most [`IN_LIST`] values (see [`crate::db::in_lists`]).
pub fn in_lists<T: Clone>(values: &[T]) -> Vec<Vec<T>> {
    crate::db::in_lists(values, IN_LIST)
}

type AssessmentRow = (
    Uuid,
    NaiveDate,
    Uuid,
    i32,
    i32,
    i32,
    i32,
    i32,
    LadderLevel,
    IncomeLevel,
);
type InterventionRow = (Uuid, InterventionKind, NaiveDate, f64, Option<i64>);
type GraduationRow = (
    Uuid,
    NaiveDate,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// The contributions of these households (sorted, distinct ids) computed from their records.
/// A household that does not exist has none. With `lock` (inside a write), the households'
/// rows are locked first, in id order (PostgreSQL `FOR NO KEY UPDATE`; SQLite's writer holds
/// the whole database already), so two writes touching one household take turns and the
/// second sees the first's records.
pub async fn compute(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    lock: bool,
) -> Result<BTreeMap<Uuid, Contribution>, DbErr> {
    let mut out: BTreeMap<Uuid, Contribution> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let lists = in_lists(ids);
    let pg = conn.get_database_backend() == DbBackend::Postgres;
    let mut counted: Vec<Uuid> = Vec::new();
    for list in &lists {
        let mut q = household::Entity::find()
            .select_only()
            .column(household::Column::Id)
            .column(household::Column::VillageCode)
            .column(household::Column::Status)
            .filter(household::Column::Id.is_in(list.clone()))
            .order_by_asc(household::Column::Id);
        if lock && pg {
            q = q.lock(LockType::NoKeyUpdate);
        }
        let rows: Vec<(Uuid, String, HouseholdStatus)> = q.into_tuple().all(conn).await?;
        for (id, village_code, status) in rows {
            let mut c = Contribution {
                village_code,
                cells: Cells::new(),
            };
            c.count(metric::HOUSEHOLDS, status.to_value(), Cell::ONE);
            if status != HouseholdStatus::Duplicate {
                counted.push(id);
            }
            out.insert(id, c);
        }
    }
    if out.is_empty() {
        return Ok(out);
    }

    // The ACTIVE assessment (if a household somehow had two, the latest counts).
    let mut active: BTreeMap<Uuid, AssessmentRow> = BTreeMap::new();
    for list in in_lists(&counted) {
        let rows: Vec<AssessmentRow> = assessment::Entity::find()
            .select_only()
            .column(assessment::Column::HouseholdId)
            .column(assessment::Column::AssessedOn)
            .column(assessment::Column::Id)
            .column(assessment::Column::Human)
            .column(assessment::Column::Physical)
            .column(assessment::Column::Financial)
            .column(assessment::Column::Natural)
            .column(assessment::Column::Social)
            .column(assessment::Column::OverallLevel)
            .column(assessment::Column::IncomeLevel)
            .filter(assessment::Column::HouseholdId.is_in(list))
            .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
            .into_tuple()
            .all(conn)
            .await?;
        for row in rows {
            match active.get(&row.0) {
                Some(seen) if (seen.1, seen.2) >= (row.1, row.2) => {}
                _ => {
                    active.insert(row.0, row);
                }
            }
        }
    }
    for (household_id, (_, _, _, human, physical, financial, natural, social, overall, income)) in
        active
    {
        let Some(c) = out.get_mut(&household_id) else {
            continue;
        };
        c.count(
            metric::LADDER,
            metric::ladder_bucket(metric::OVERALL, overall),
            Cell::ONE,
        );
        for (capital, score) in [
            (Capital::Human, human),
            (Capital::Physical, physical),
            (Capital::Financial, financial),
            (Capital::Natural, natural),
            (Capital::Social, social),
        ] {
            c.count(
                metric::LADDER,
                metric::capital_bucket(capital, score),
                Cell::ONE,
            );
        }
        c.count(metric::INCOME, income.to_value(), Cell::ONE);
    }

    for list in &lists {
        let rows: Vec<(Uuid, Uuid, MatchStatus)> = matches::Entity::find()
            .select_only()
            .column(matches::Column::HouseholdId)
            .column(matches::Column::TechnologyId)
            .column(matches::Column::Status)
            .filter(matches::Column::HouseholdId.is_in(list.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        for (household_id, technology_id, status) in rows {
            let Some(c) = out.get_mut(&household_id) else {
                continue;
            };
            c.count(metric::MATCHES, status.to_value(), Cell::ONE);
            c.count(
                metric::MATCH_TECHNOLOGY,
                technology_id.to_string(),
                Cell::ONE,
            );
            if matches!(status, MatchStatus::Adopted | MatchStatus::Sustained) {
                c.count(
                    metric::MATCH_TECHNOLOGY_ADOPTED,
                    technology_id.to_string(),
                    Cell::ONE,
                );
            }
        }
    }

    for list in &lists {
        let rows: Vec<(Uuid, ReferralStatus, NaiveDate)> = referral::Entity::find()
            .select_only()
            .column(referral::Column::HouseholdId)
            .column(referral::Column::Status)
            .column(referral::Column::DueOn)
            .filter(referral::Column::HouseholdId.is_in(list.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        for (household_id, status, due_on) in rows {
            let Some(c) = out.get_mut(&household_id) else {
                continue;
            };
            c.count(metric::REFERRALS, status.to_value(), Cell::ONE);
            if matches!(status, ReferralStatus::Pending | ReferralStatus::Accepted) {
                c.count(metric::REFERRALS_OPEN_DUE, metric::day(due_on), Cell::ONE);
            }
        }
    }

    for list in &lists {
        // In id order, so that a household's quantities always add up in the same order and
        // an unchanged household computes the very same float.
        let rows: Vec<InterventionRow> = intervention::Entity::find()
            .select_only()
            .column(intervention::Column::HouseholdId)
            .column(intervention::Column::Kind)
            .column(intervention::Column::DeliveredOn)
            .column(intervention::Column::Quantity)
            .column(intervention::Column::CostSatang)
            .filter(intervention::Column::HouseholdId.is_in(list.clone()))
            .order_by_asc(intervention::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        for (household_id, kind, delivered_on, quantity, cost) in rows {
            let Some(c) = out.get_mut(&household_id) else {
                continue;
            };
            c.count(
                metric::INTERVENTIONS,
                metric::intervention_bucket(kind, delivered_on),
                Cell {
                    n: 1,
                    quantity,
                    amount_satang: cost.unwrap_or(0),
                },
            );
        }
    }

    for list in &lists {
        let rows: Vec<GraduationRow> = graduation::Entity::find()
            .select_only()
            .column(graduation::Column::HouseholdId)
            .column(graduation::Column::GraduatedOn)
            .column(graduation::Column::RelapsedAt)
            .column(graduation::Column::RelapseRiskAt)
            .filter(graduation::Column::HouseholdId.is_in(list.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        for (household_id, graduated_on, relapsed_at, relapse_risk_at) in rows {
            let Some(c) = out.get_mut(&household_id) else {
                continue;
            };
            c.count(metric::GRADUATIONS, metric::month(graduated_on), Cell::ONE);
            if let Some(at) = relapsed_at {
                c.count(metric::RELAPSES, metric::month_of(at), Cell::ONE);
            }
            if let Some(at) = relapse_risk_at {
                c.count(metric::RELAPSE_RISKS, metric::month_of(at), Cell::ONE);
            }
        }
    }
    Ok(out)
}

/// The stored contributions of these households (sorted, distinct ids).
pub async fn stored(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, Contribution>, DbErr> {
    let mut out: BTreeMap<Uuid, Contribution> = BTreeMap::new();
    for list in in_lists(ids) {
        let rows = household_contribution::Entity::find()
            .filter(household_contribution::Column::HouseholdId.is_in(list))
            .all(conn)
            .await?;
        for r in rows {
            let c = out.entry(r.household_id).or_insert_with(|| Contribution {
                village_code: r.village_code.clone(),
                cells: Cells::new(),
            });
            c.cells.insert(
                (r.metric, r.bucket),
                Cell {
                    n: r.n,
                    quantity: r.quantity,
                    amount_satang: r.amount_satang,
                },
            );
        }
    }
    Ok(out)
}

/// The areas a village code counts in, with their parents: (village, subdistrict), …,
/// (province, '').
pub fn areas_of(village_code: &str) -> impl Iterator<Item = (&str, &str)> {
    (1..=village_code.len() / 2).map(move |k| {
        let len = 2 * k;
        (&village_code[..len], &village_code[..len - 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_counts_in_four_areas_each_with_its_parent() {
        let areas: Vec<_> = areas_of("52010101").collect();
        assert_eq!(
            areas,
            vec![
                ("52", ""),
                ("5201", "52"),
                ("520101", "5201"),
                ("52010101", "520101"),
            ]
        );
    }

    #[test]
    fn in_lists_pad_to_a_power_of_two() {
        let v: Vec<u32> = (0..1500).collect();
        let lists = in_lists(&v);
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].len(), 1024);
        assert_eq!(lists[1].len(), 512);
        assert_eq!(lists[1][500], 1499);
    }
}
