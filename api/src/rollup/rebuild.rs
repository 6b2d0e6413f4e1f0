//! Building the rollups from the records (`rebuild`), counting what they should hold without
//! writing (`recount`), and comparing the two (`check`).
use std::collections::BTreeMap;

use entity::{area_rollup, household};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{Cell, Deltas, RollupDelta, contribution, insert_contributions, metric, upsert};

/// Households per step of a rebuild or recount.
const HOUSEHOLD_CHUNK: u64 = 1024;

/// What a rebuild wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    pub households: u64,
    pub contribution_rows: u64,
    pub rollup_rows: u64,
}

/// A cell where the stored rollups and a recount from the records disagree (a missing row
/// counts as zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub area_code: String,
    pub metric: String,
    pub bucket: String,
    pub stored: Cell,
    pub recounted: Cell,
}

/// The next households after `after`, in id order.
async fn next_ids(conn: &impl ConnectionTrait, after: Option<Uuid>) -> Result<Vec<Uuid>, DbErr> {
    let mut q = household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .order_by_asc(household::Column::Id)
        .limit(HOUSEHOLD_CHUNK);
    if let Some(after) = after {
        q = q.filter(household::Column::Id.gt(after));
    }
    q.into_tuple().all(conn).await
}

/// Every household's contribution, chunk by chunk, added up; with `written`, each chunk's
/// contributions are also inserted into `household_contribution` (a rebuild).
async fn count_all(
    conn: &impl ConnectionTrait,
    mut written: Option<&mut RebuildSummary>,
) -> Result<Deltas, DbErr> {
    let mut totals = Deltas::default();
    let mut after = None;
    loop {
        let ids = next_ids(conn, after).await?;
        let Some(last) = ids.last() else {
            break;
        };
        after = Some(*last);
        let computed = contribution::compute(conn, &ids, false).await?;
        for c in computed.values() {
            totals.add(c, 1);
        }
        if let Some(summary) = written.as_deref_mut() {
            let rows: Vec<_> = computed.iter().map(|(id, c)| (*id, c)).collect();
            insert_contributions(conn, &rows).await?;
            summary.households += rows.len() as u64;
            summary.contribution_rows +=
                rows.iter().map(|(_, c)| c.cells.len() as u64).sum::<u64>();
        }
    }
    Ok(totals)
}

fn model(d: RollupDelta) -> area_rollup::Model {
    area_rollup::Model {
        area_code: d.area_code,
        parent_code: d.parent_code,
        metric: d.metric,
        bucket: d.bucket,
        n: d.cell.n,
        quantity: d.cell.quantity,
        amount_satang: d.cell.amount_satang,
    }
}

/// What `area_rollup` should hold, counted from the records (without the bookkeeping rows
/// and without zero rows), sorted by (area_code, metric, bucket). Writes nothing. For a
/// consistent count on a live database, call it inside a snapshot transaction (as [`check`]
/// does).
pub async fn recount(conn: &impl ConnectionTrait) -> Result<Vec<area_rollup::Model>, DbErr> {
    Ok(count_all(conn, None)
        .await?
        .into_rows()
        .into_iter()
        .map(model)
        .collect())
}

/// The count rows `area_rollup` holds (no bookkeeping, no zero rows), sorted by
/// (area_code, metric, bucket).
pub async fn stored_rollups(conn: &impl ConnectionTrait) -> Result<Vec<area_rollup::Model>, DbErr> {
    let rows = area_rollup::Entity::find()
        .order_by_asc(area_rollup::Column::AreaCode)
        .order_by_asc(area_rollup::Column::Metric)
        .order_by_asc(area_rollup::Column::Bucket)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let zero = r.n == 0 && r.amount_satang == 0 && r.quantity.abs() < 1e-9;
            !metric::is_bookkeeping(&r.metric) && !zero
        })
        .collect())
}

/// Quantities are floats added in another order by the rollups than by a recount: equal
/// within a part in a billion.
fn same_quantity(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The cells where `stored` and `recounted` differ.
pub fn compare(stored: &[area_rollup::Model], recounted: &[area_rollup::Model]) -> Vec<Difference> {
    type Key = (String, String, String);
    let cell = |r: &area_rollup::Model| Cell {
        n: r.n,
        quantity: r.quantity,
        amount_satang: r.amount_satang,
    };
    let mut both: BTreeMap<Key, (Cell, Cell)> = BTreeMap::new();
    for r in stored {
        both.entry((r.area_code.clone(), r.metric.clone(), r.bucket.clone()))
            .or_default()
            .0 = cell(r);
    }
    for r in recounted {
        both.entry((r.area_code.clone(), r.metric.clone(), r.bucket.clone()))
            .or_default()
            .1 = cell(r);
    }
    both.into_iter()
        .filter(|(_, (s, r))| {
            s.n != r.n
                || s.amount_satang != r.amount_satang
                || !same_quantity(s.quantity, r.quantity)
        })
        .map(
            |((area_code, metric, bucket), (stored, recounted))| Difference {
                area_code,
                metric,
                bucket,
                stored,
                recounted,
            },
        )
        .collect()
}

/// Compares `area_rollup` with a recount from the records, both read in one snapshot
/// (REPEATABLE READ on PostgreSQL; one read transaction on SQLite). Empty: they agree.
pub async fn check(db: &DatabaseConnection) -> Result<Vec<Difference>, DbErr> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), None)
                .await?
        }
        _ => db.begin().await?,
    };
    let stored = stored_rollups(&txn).await?;
    let recounted = recount(&txn).await?;
    txn.rollback().await?;
    Ok(compare(&stored, &recounted))
}

/// Whether the rollups were ever built (the `_built` marker row exists).
pub async fn is_built(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(
        area_rollup::Entity::find_by_id((String::new(), metric::BUILT.to_string(), String::new()))
            .one(conn)
            .await?
            .is_some(),
    )
}

/// Takes the rollup tables for a rebuild: on PostgreSQL an ACCESS EXCLUSIVE lock (a
/// concurrent `touch` waits and then sees the rebuilt rows); on SQLite a first write, which
/// takes the database's write lock.
async fn lock_tables(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            txn.execute_unprepared(
                "LOCK TABLE household_contribution, area_rollup IN ACCESS EXCLUSIVE MODE",
            )
            .await?;
        }
        _ => {
            area_rollup::Entity::update_many()
                .col_expr(area_rollup::Column::N, Expr::col(area_rollup::Column::N))
                .filter(area_rollup::Column::AreaCode.eq(""))
                .filter(area_rollup::Column::Metric.eq(metric::BUILT))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

async fn rebuild_in(txn: &DatabaseTransaction) -> Result<RebuildSummary, DbErr> {
    use area_rollup::Column as C;
    entity::household_contribution::Entity::delete_many()
        .exec(txn)
        .await?;
    area_rollup::Entity::delete_many()
        .filter(C::Metric.is_not_in([metric::VERSION, metric::BUILT]))
        .exec(txn)
        .await?;
    let versioned: Vec<String> = area_rollup::Entity::find()
        .select_only()
        .column(C::AreaCode)
        .filter(C::Metric.eq(metric::VERSION))
        .into_tuple()
        .all(txn)
        .await?;
    let mut summary = RebuildSummary::default();
    let totals = count_all(txn, Some(&mut summary)).await?;
    let mut rows = vec![RollupDelta {
        area_code: String::new(),
        parent_code: metric::BUILT_PARENT.to_string(),
        metric: metric::BUILT.to_string(),
        bucket: String::new(),
        cell: Cell::ONE,
    }];
    rows.extend(totals.finish_with(&versioned));
    summary.rollup_rows = rows
        .iter()
        .filter(|r| !metric::is_bookkeeping(&r.metric))
        .count() as u64;
    upsert(txn, &rows).await?;
    Ok(summary)
}

/// Rebuilds `household_contribution` and `area_rollup` from the records in one transaction
/// (the `_version` rows are kept and bumped, so a reader's cache sees the change), and marks
/// the rollups built.
pub async fn rebuild(db: &DatabaseConnection) -> Result<RebuildSummary, DbErr> {
    let txn = db.begin().await?;
    lock_tables(&txn).await?;
    let summary = rebuild_in(&txn).await?;
    txn.commit().await?;
    Ok(summary)
}

/// Builds the rollups if they were never built (a database from before them); `None` when
/// they were. Safe when several replicas start at once: the first builds, the others wait
/// for its lock and then find the marker.
pub async fn ensure_built(db: &DatabaseConnection) -> Result<Option<RebuildSummary>, DbErr> {
    if is_built(db).await? {
        return Ok(None);
    }
    let txn = db.begin().await?;
    lock_tables(&txn).await?;
    if is_built(&txn).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let summary = rebuild_in(&txn).await?;
    txn.commit().await?;
    Ok(Some(summary))
}
