//! Housekeeping: the tables that grow with use — `change_log`, `idempotency_key`,
//! `request_budget`, `persisted_query` — are pruned by a pass that every replica may run
//! (`api maintenance prune`, and every `APP_PRUNE_INTERVAL_SECS` in the server). A pass is
//! idempotent and cheap: bounded DELETE batches, each its own short transaction; on PostgreSQL
//! each batch first takes a transaction-level advisory lock, and a replica that cannot get it
//! leaves the pass to the one that has it. See docs/operations.md "Retention".
//!
//! The change log is compacted, never cut: a row is removed when it is older than the
//! retention and either a later row of the same record exists (a client at any position still
//! gets the record from that later row) or the record was deleted (all its rows go, in one
//! statement). So a sync from null still sees every record, and only a client that holds a
//! deleted record and syncs from before its deletion can miss something: for those,
//! `change_log_horizon` counts a generation per batch, and `changes` refuses a cursor of an
//! older generation that is behind the pruned rows (BAD_USER_INPUT on `since`: sync again
//! from null).
//!
//! "Older than the retention" needs no time on each log row: each pass records a mark (the
//! log position at that time, `change_log_mark`); rows below the newest mark taken before
//! `now − retention` are old enough.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, Statement,
    TransactionTrait, Value,
};

use crate::{
    error::ApiResult,
    ops::{OpsSettings, PersistedQueryMode},
};

/// The advisory lock key of pruning on PostgreSQL ("ppaospru").
pub const LOCK_KEY: i64 = 0x7070_616f_7370_7275;

/// What one pass removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Change-log rows superseded by a later row of the same record.
    pub superseded_changes: u64,
    /// Change-log rows of deleted records.
    pub deleted_record_changes: u64,
    pub idempotency_keys: u64,
    pub request_budget_windows: u64,
    pub persisted_queries: u64,
    /// Marks no longer needed.
    pub marks: u64,
    /// Another replica held the lock: this pass stopped early (that one does the work).
    pub skipped: bool,
}

impl std::fmt::Display for Pruned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "change_log superseded={} deleted_records={} idempotency_key={} request_budget={} \
             persisted_query={} change_log_mark={}{}",
            self.superseded_changes,
            self.deleted_record_changes,
            self.idempotency_keys,
            self.request_budget_windows,
            self.persisted_queries,
            self.marks,
            if self.skipped {
                " (stopped: another replica is pruning)"
            } else {
                ""
            }
        )
    }
}

#[derive(Debug, FromQueryResult)]
struct Mark {
    id: i64,
    xid: i64,
    seq: i64,
}

fn days(n: u32) -> chrono::Duration {
    chrono::Duration::days(i64::from(n))
}

/// One pruning pass as of `now`.
pub async fn prune(
    db: &DatabaseConnection,
    ops: &OpsSettings,
    now: DateTime<Utc>,
) -> ApiResult<Pruned> {
    let r = &ops.retention;
    let backend = db.get_database_backend();
    let pg = backend == DatabaseBackend::Postgres;
    let mut out = Pruned::default();

    // The log position now, for a later pass.
    let mark = if pg {
        "INSERT INTO change_log_mark (taken_at, xid, seq) \
         SELECT $1, pg_snapshot_xmin(pg_current_snapshot())::text::bigint, 0"
    } else {
        "INSERT INTO change_log_mark (taken_at, xid, seq) \
         SELECT $1, 0, COALESCE(MAX(seq), 0) + 1 FROM change_log"
    };
    if batch(db, pg, mark, vec![now.into()], &mut out.skipped)
        .await?
        .is_none()
    {
        return Ok(out);
    }

    // The change log, below the newest mark old enough.
    let old = Mark::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT id, xid, seq FROM change_log_mark WHERE taken_at <= $1 \
         ORDER BY taken_at DESC, id DESC LIMIT 1",
        [Value::from(now - days(r.change_log_days))],
    ))
    .one(db)
    .await?;
    if let Some(m) = old {
        let (below, bound): (&str, Vec<Value>) = if pg {
            ("c.xid < $1::text::xid8", vec![m.xid.to_string().into()])
        } else {
            ("c.seq < $1", vec![m.seq.into()])
        };
        let superseded = format!(
            "DELETE FROM change_log WHERE seq IN (SELECT c.seq FROM change_log c WHERE {below} \
             AND EXISTS (SELECT 1 FROM change_log n WHERE n.entity = c.entity \
             AND n.record_id = c.record_id AND {later}) LIMIT {limit})",
            later = if pg {
                "(n.xid, n.seq) > (c.xid, c.seq)"
            } else {
                "n.seq > c.seq"
            },
            limit = r.batch
        );
        out.superseded_changes =
            repeat(db, pg, &superseded, &bound, r.batch, &mut out.skipped).await?;
        if out.skipped {
            return Ok(out);
        }
        // Every row of a record deleted before the mark, one batch of records at a time; the
        // same transaction moves the horizon on, so a cursor that might have missed one of
        // these deletions is refused from then on.
        let deleted = format!(
            "DELETE FROM change_log WHERE (entity, record_id) IN (SELECT c.entity, c.record_id \
             FROM change_log c WHERE c.op = 'D' AND {below} LIMIT {})",
            r.batch
        );
        loop {
            let txn = db.begin().await?;
            if pg && !locked(&txn).await? {
                out.skipped = true;
                return Ok(out);
            }
            let n = txn
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    &deleted,
                    bound.clone(),
                ))
                .await?
                .rows_affected();
            if n > 0 {
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    // Never backwards (a longer retention set later uses older marks).
                    "UPDATE change_log_horizon SET \
                     xid = CASE WHEN (xid, seq) > ($1, $2) THEN xid ELSE $1 END, \
                     seq = CASE WHEN (xid, seq) > ($1, $2) THEN seq ELSE $2 END, \
                     generation = generation + 1 WHERE id = 1",
                    [m.xid.into(), m.seq.into()],
                ))
                .await?;
            }
            txn.commit().await?;
            out.deleted_record_changes += n;
            if n == 0 {
                break;
            }
        }
        // Marks older than the one used are of no more use.
        out.marks = repeat(
            db,
            pg,
            &format!(
                "DELETE FROM change_log_mark WHERE id IN (SELECT id FROM change_log_mark \
                 WHERE id < $1 LIMIT {})",
                r.batch
            ),
            &[m.id.into()],
            r.batch,
            &mut out.skipped,
        )
        .await?;
        if out.skipped {
            return Ok(out);
        }
    }

    out.idempotency_keys = repeat(
        db,
        pg,
        &format!(
            "DELETE FROM idempotency_key WHERE (account_id, client_uuid) IN (SELECT account_id, \
             client_uuid FROM idempotency_key WHERE created_at < $1 LIMIT {})",
            r.batch
        ),
        &[(now - days(r.idempotency_key_days)).into()],
        r.batch,
        &mut out.skipped,
    )
    .await?;
    if out.skipped {
        return Ok(out);
    }

    // Windows that have ended (a caller's next request starts a new one anyway).
    let window = std::cmp::max(ops.request_budget_window.as_secs(), 1) as i64;
    out.request_budget_windows = repeat(
        db,
        pg,
        &format!(
            "DELETE FROM request_budget WHERE bucket_key IN (SELECT bucket_key FROM \
             request_budget WHERE window_start <= $1 LIMIT {})",
            r.batch
        ),
        &[(now.timestamp() - window).into()],
        r.batch,
        &mut out.skipped,
    )
    .await?;
    if out.skipped {
        return Ok(out);
    }

    // In allow-list mode the table is the allow-list: never pruned.
    if r.persisted_query_days > 0 && ops.persisted_queries == PersistedQueryMode::Automatic {
        out.persisted_queries = repeat(
            db,
            pg,
            &format!(
                "DELETE FROM persisted_query WHERE sha256_hash IN (SELECT sha256_hash FROM \
                 persisted_query WHERE COALESCE(last_used_at, created_at) < $1 LIMIT {})",
                r.batch
            ),
            &[(now - days(r.persisted_query_days)).into()],
            r.batch,
            &mut out.skipped,
        )
        .await?;
    }
    Ok(out)
}

/// On PostgreSQL: whether this transaction got the pruning lock (held until it ends).
async fn locked(txn: &impl ConnectionTrait) -> ApiResult<bool> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [LOCK_KEY.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<bool>("", "locked"))
        .transpose()?
        .unwrap_or(false))
}

/// Runs `sql` in its own transaction (under the lock on PostgreSQL): the rows it touched, or
/// `None` (and `skipped`) when another replica holds the lock.
async fn batch(
    db: &DatabaseConnection,
    pg: bool,
    sql: &str,
    values: Vec<Value>,
    skipped: &mut bool,
) -> ApiResult<Option<u64>> {
    let txn = db.begin().await?;
    if pg && !locked(&txn).await? {
        *skipped = true;
        return Ok(None);
    }
    let n = txn
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(Some(n))
}

/// Runs a bounded DELETE until it removes fewer than `limit` rows: the rows removed.
async fn repeat(
    db: &DatabaseConnection,
    pg: bool,
    sql: &str,
    values: &[Value],
    limit: u64,
    skipped: &mut bool,
) -> ApiResult<u64> {
    let mut total = 0;
    loop {
        let Some(n) = batch(db, pg, sql, values.to_vec(), skipped).await? else {
            return Ok(total);
        };
        total += n;
        if n < limit {
            return Ok(total);
        }
    }
}

/// The periodic pass of a server: every `interval` (first after a random part of it, so
/// replicas started together do not all start at once). Failures are logged and retried at
/// the next tick.
pub fn spawn_periodic(db: DatabaseConnection, ops: OpsSettings) {
    let interval = ops.retention.interval;
    if interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let jitter = Duration::from_millis(
            rand::random::<u64>() % std::cmp::max(interval.as_millis() as u64, 1),
        );
        tokio::time::sleep(jitter).await;
        loop {
            let started = std::time::Instant::now();
            match prune(&db, &ops, Utc::now()).await {
                Ok(pruned) => tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "pruning pass: {pruned}"
                ),
                Err(e) => tracing::warn!(error = ?e, "pruning pass failed"),
            }
            tokio::time::sleep(interval).await;
        }
    });
}
