//! Dashboard rollups: per-area counts kept current by the writes that change them
//! (`docs/rollups.md`).
//!
//! A household's *contribution* is a set of cells (metric, bucket → n, quantity, amount)
//! computed from its records and stored in `household_contribution` with its village.
//! [`touch`] — the one call every write that changes what a household contributes makes,
//! inside its transaction, after its own rows are written — recomputes the contributions of
//! the households it is given, replaces the stored ones and adds the difference to
//! `area_rollup` at the village, subdistrict, district and province of the household's old
//! and new village. [`rebuild`] builds both tables from the records; [`recount`] and
//! [`check`] say what they should hold and where they differ.
pub mod contribution;
pub mod kept;
pub mod metric;
mod rebuild;

use std::collections::{BTreeMap, BTreeSet};

use entity::{area_rollup, household_contribution};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict, Query},
};
use uuid::Uuid;

pub use contribution::{Cell, Contribution};
pub use rebuild::{
    Difference, RebuildSummary, check, compare, ensure_built, is_built, rebuild, recount,
    stored_rollups,
};

use contribution::{areas_of, in_lists};

/// The `_version` of each of these provinces (one statement), by code. Every write that
/// changes a province's rollups bumps its version in the same transaction, so equal versions
/// mean equal rollups: what readers that keep answers in memory check before reusing one.
pub async fn versions(
    conn: &impl ConnectionTrait,
    provinces: &[String],
) -> Result<Vec<(String, i64)>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    area_rollup::Entity::find()
        .select_only()
        .column(area_rollup::Column::AreaCode)
        .column(area_rollup::Column::N)
        .filter(area_rollup::Column::AreaCode.is_in(provinces.iter().cloned()))
        .filter(area_rollup::Column::Metric.eq(metric::VERSION))
        .filter(area_rollup::Column::Bucket.eq(""))
        .order_by_asc(area_rollup::Column::AreaCode)
        .into_tuple()
        .all(conn)
        .await
}

/// Rows per multi-row INSERT (7 columns each: well under SQLite's 32,766 and PostgreSQL's
/// 65,535 bound parameters).
const INSERT_CHUNK: usize = 512;

/// Recomputes what these households contribute to the rollups and applies the difference.
/// Call it inside the write's transaction, last, after the household's rows are written.
///
/// Statements, whatever the number of households (per [`contribution::IN_LIST`] households
/// and per 512 rows written): one SELECT per table read (household — locked on PostgreSQL,
/// assessment, match, referral, intervention, graduation, household_contribution), then,
/// only if something changed, one DELETE and one INSERT of contributions and one upsert of
/// `area_rollup`.
pub async fn touch(conn: &impl ConnectionTrait, household_ids: &[Uuid]) -> Result<(), DbErr> {
    let mut ids = household_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let new = contribution::compute(conn, &ids, true).await?;
    let old = contribution::stored(conn, &ids).await?;
    let mut deltas = Deltas::default();
    let mut changed = Vec::new();
    for id in &ids {
        let (o, n) = (old.get(id), new.get(id));
        if o == n {
            continue;
        }
        changed.push(*id);
        if let Some(o) = o {
            deltas.add(o, -1);
        }
        if let Some(n) = n {
            deltas.add(n, 1);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    for list in in_lists(&changed) {
        household_contribution::Entity::delete_many()
            .filter(household_contribution::Column::HouseholdId.is_in(list))
            .exec(conn)
            .await?;
    }
    let rows: Vec<_> = changed
        .iter()
        .filter_map(|id| new.get(id).map(|c| (*id, c)))
        .collect();
    insert_contributions(conn, &rows).await?;
    upsert(conn, &deltas.finish()).await
}

/// What a set of contribution changes adds to `area_rollup`, keyed (and so sorted) by
/// (area_code, metric, bucket).
#[derive(Default)]
struct Deltas {
    cells: BTreeMap<(String, String, String), (String, Cell)>,
}

impl Deltas {
    fn add(&mut self, c: &Contribution, sign: i64) {
        for (area, parent) in areas_of(&c.village_code) {
            for ((metric, bucket), cell) in &c.cells {
                self.cells
                    .entry((area.to_string(), metric.clone(), bucket.clone()))
                    .or_insert_with(|| (parent.to_string(), Cell::default()))
                    .1
                    .add(*cell, sign);
            }
        }
    }

    /// The non-zero deltas, and a `_version` bump for each province they fall in.
    fn finish(self) -> Vec<RollupDelta> {
        self.finish_with(&[])
    }

    /// [`Self::finish`], also bumping the `_version` of these provinces.
    fn finish_with(mut self, more_provinces: &[String]) -> Vec<RollupDelta> {
        self.cells.retain(|_, (_, cell)| !cell.is_zero());
        let provinces: BTreeSet<String> = self
            .cells
            .keys()
            .map(|(area, ..)| area[..area.len().min(2)].to_string())
            .chain(more_provinces.iter().cloned())
            .filter(|p| p.len() == 2)
            .collect();
        for p in provinces {
            self.cells.insert(
                (p, metric::VERSION.to_string(), String::new()),
                (String::new(), Cell::ONE),
            );
        }
        self.into_rows()
    }

    /// The non-zero cells as rows, without version bumps (what a recount holds).
    fn into_rows(mut self) -> Vec<RollupDelta> {
        self.cells.retain(|_, (_, cell)| !cell.is_zero());
        self.cells
            .into_iter()
            .map(
                |((area_code, metric, bucket), (parent_code, cell))| RollupDelta {
                    area_code,
                    parent_code,
                    metric,
                    bucket,
                    cell,
                },
            )
            .collect()
    }
}

/// One row to add to `area_rollup`.
#[derive(Debug, Clone, PartialEq)]
struct RollupDelta {
    area_code: String,
    parent_code: String,
    metric: String,
    bucket: String,
    cell: Cell,
}

/// `n` rows as chunks of [`INSERT_CHUNK`] and the rest: the fewest statements. (The last
/// chunk's size varies, so its statement is seldom reused; the drivers' statement caches are
/// bounded, least recently used first.)
fn chunk_lengths(n: usize) -> impl Iterator<Item = usize> {
    let rest = n % INSERT_CHUNK;
    std::iter::repeat_n(INSERT_CHUNK, n / INSERT_CHUNK).chain((rest > 0).then_some(rest))
}

/// Adds `deltas` (sorted by key, each key once) to `area_rollup` with multi-row
/// `INSERT … ON CONFLICT (area_code, metric, bucket) DO UPDATE SET n = area_rollup.n +
/// excluded.n, …`. Sorted keys make concurrent writers lock the rows in the same order.
async fn upsert(conn: &impl ConnectionTrait, deltas: &[RollupDelta]) -> Result<(), DbErr> {
    use area_rollup::Column as C;
    let mut rest = deltas;
    for len in chunk_lengths(deltas.len()) {
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        let mut stmt = Query::insert();
        stmt.into_table(area_rollup::Entity).columns([
            C::AreaCode,
            C::ParentCode,
            C::Metric,
            C::Bucket,
            C::N,
            C::Quantity,
            C::AmountSatang,
        ]);
        for d in chunk {
            stmt.values_panic([
                Expr::val(d.area_code.clone()),
                Expr::val(d.parent_code.clone()),
                Expr::val(d.metric.clone()),
                Expr::val(d.bucket.clone()),
                Expr::val(d.cell.n),
                Expr::val(d.cell.quantity),
                Expr::val(d.cell.amount_satang),
            ]);
        }
        stmt.on_conflict(
            OnConflict::columns([C::AreaCode, C::Metric, C::Bucket])
                .values([
                    (C::N, Expr::cust("area_rollup.n + excluded.n")),
                    (
                        C::Quantity,
                        Expr::cust("area_rollup.quantity + excluded.quantity"),
                    ),
                    (
                        C::AmountSatang,
                        Expr::cust("area_rollup.amount_satang + excluded.amount_satang"),
                    ),
                ])
                .to_owned(),
        );
        conn.execute(&stmt).await?;
    }
    Ok(())
}

/// Inserts the contribution rows of these households (whose old rows are gone).
async fn insert_contributions(
    conn: &impl ConnectionTrait,
    households: &[(Uuid, &Contribution)],
) -> Result<(), DbErr> {
    use household_contribution::Column as C;
    let rows: Vec<_> = households
        .iter()
        .flat_map(|(id, c)| {
            c.cells
                .iter()
                .map(move |(key, cell)| (*id, c.village_code.as_str(), key, cell))
        })
        .collect();
    let mut rest = rows.as_slice();
    for len in chunk_lengths(rows.len()) {
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        let mut stmt = Query::insert();
        stmt.into_table(household_contribution::Entity).columns([
            C::HouseholdId,
            C::Metric,
            C::Bucket,
            C::VillageCode,
            C::N,
            C::Quantity,
            C::AmountSatang,
        ]);
        for (id, village, (metric, bucket), cell) in chunk {
            stmt.values_panic([
                Expr::val(*id),
                Expr::val(metric.clone()),
                Expr::val(bucket.clone()),
                Expr::val(village.to_string()),
                Expr::val(cell.n),
                Expr::val(cell.quantity),
                Expr::val(cell.amount_satang),
            ]);
        }
        conn.execute(&stmt).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_full_then_the_rest() {
        assert_eq!(chunk_lengths(0).count(), 0);
        assert_eq!(chunk_lengths(1300).collect::<Vec<_>>(), [512, 512, 276]);
        assert_eq!(chunk_lengths(1300).sum::<usize>(), 1300);
        assert_eq!(chunk_lengths(1024).collect::<Vec<_>>(), [512, 512]);
    }

    #[test]
    fn a_move_subtracts_from_the_old_village_and_adds_to_the_new_and_bumps_both_provinces() {
        let cells = |status: &str| {
            Cells::from([(
                (metric::HOUSEHOLDS.to_string(), status.to_string()),
                Cell::ONE,
            )])
        };
        use contribution::Cells;
        let mut d = Deltas::default();
        d.add(
            &Contribution {
                village_code: "52010101".into(),
                cells: cells("ENROLLED"),
            },
            -1,
        );
        d.add(
            &Contribution {
                village_code: "52020101".into(),
                cells: cells("ENROLLED"),
            },
            1,
        );
        let rows: Vec<(String, String, i64)> = d
            .finish()
            .into_iter()
            .map(|r| (r.area_code, r.metric, r.cell.n))
            .collect();
        let s = |a: &str, m: &str, n| (a.to_string(), m.to_string(), n);
        // The province nets to zero (dropped) yet its version goes up.
        assert_eq!(
            rows,
            vec![
                s("52", "_version", 1),
                s("5201", "households", -1),
                s("520101", "households", -1),
                s("52010101", "households", -1),
                s("5202", "households", 1),
                s("520201", "households", 1),
                s("52020101", "households", 1),
            ]
        );
    }
}
