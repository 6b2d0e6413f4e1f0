//! Reading the change log: cursors, the commit-ordered window, and re-reading each changed
//! record through the scope layer (one statement per type per page).
use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement, Value,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Scope,
    error::{ApiError, ApiResult},
};

/// Most changes one request returns.
pub const MAX_PAGE: u64 = 500;
/// Changes a request returns when `first` is not given.
pub const DEFAULT_PAGE: u64 = 100;

/// The record types delta sync tracks, by their GraphQL type name (as logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tracked {
    Household,
    Person,
    Membership,
    Assessment,
    Case,
    Referral,
    Visit,
    Match,
}

impl Tracked {
    pub const ALL: [Tracked; 8] = [
        Tracked::Household,
        Tracked::Person,
        Tracked::Membership,
        Tracked::Assessment,
        Tracked::Case,
        Tracked::Referral,
        Tracked::Visit,
        Tracked::Match,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tracked::Household => "Household",
            Tracked::Person => "Person",
            Tracked::Membership => "Membership",
            Tracked::Assessment => "Assessment",
            Tracked::Case => "Case",
            Tracked::Referral => "Referral",
            Tracked::Visit => "Visit",
            Tracked::Match => "Match",
        }
    }

    fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Where a client is in the log: every row at or before `(xid, seq)` in (xid, seq) order was
/// delivered. `xid` is 0 on SQLite (seq alone is commit order there). `fingerprint` names the
/// scope and types the cursor was issued for; `generation` is the pruning generation of the
/// log when it was issued (`change_log_horizon`); `expiry` is how far consent expiries were
/// delivered: (server time in microseconds, consent id), in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub fingerprint: String,
    pub xid: u64,
    pub seq: i64,
    pub generation: i64,
    pub expiry: (i64, Uuid),
}

/// The message of a cursor the server cannot continue from.
pub const RESYNC: &str =
    "this cursor was issued for another scope or other types: sync again from null";
/// The message of a cursor behind pruned log rows.
pub const EXPIRED: &str = "this cursor is older than the change log the server keeps \
     (APP_RETAIN_CHANGE_LOG_DAYS): sync again from null";

impl Cursor {
    /// Where a sync from null starts: the start of the log, in the current generation, with
    /// expiries up to `now` (a fresh copy holds nothing that could have expired).
    pub fn start(fingerprint: String, horizon: &Horizon, now: DateTime<Utc>) -> Self {
        Cursor {
            fingerprint,
            xid: 0,
            seq: 0,
            generation: horizon.generation,
            expiry: (now.timestamp_micros(), Uuid::max()),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "v2:{}:{}:{}:{}:{}:{}",
            self.fingerprint,
            self.xid,
            self.seq,
            self.generation,
            self.expiry.0,
            self.expiry.1.simple()
        ))
    }

    /// The cursor a client sent; BAD_USER_INPUT on `since` when it is not one, or was issued
    /// for another scope or other types, or by a version of the server before consent
    /// expiries and pruning (v1) (the client then syncs again from null).
    pub fn decode(raw: &str, fingerprint: &str) -> ApiResult<Self> {
        let bad = || ApiError::bad_input("since", "since is not a sync cursor");
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?)
            .map_err(|_| bad())?;
        let parts: Vec<&str> = text.split(':').collect();
        match parts.first() {
            Some(&"v1") if parts.len() == 4 => return Err(ApiError::bad_input("since", RESYNC)),
            Some(&"v2") if parts.len() == 7 => {}
            _ => return Err(bad()),
        }
        let cursor = Cursor {
            fingerprint: parts[1].to_string(),
            xid: parts[2].parse().map_err(|_| bad())?,
            seq: parts[3].parse().map_err(|_| bad())?,
            generation: parts[4].parse().map_err(|_| bad())?,
            expiry: (
                parts[5].parse().map_err(|_| bad())?,
                Uuid::parse_str(parts[6]).map_err(|_| bad())?,
            ),
        };
        if cursor.fingerprint != fingerprint {
            return Err(ApiError::bad_input("since", RESYNC));
        }
        Ok(cursor)
    }

    /// BAD_USER_INPUT on `since` when rows of deleted records after this cursor may have been
    /// pruned since it was issued: the client may hold a record whose deletion it never got.
    pub fn check_horizon(&self, horizon: &Horizon) -> ApiResult<()> {
        if self.generation < horizon.generation
            && (self.xid, self.seq) < (horizon.xid.max(0) as u64, horizon.seq)
        {
            return Err(ApiError::bad_input("since", EXPIRED));
        }
        Ok(())
    }
}

/// Below which position rows of deleted records were pruned, and how many pruning batches
/// removed some (`change_log_horizon`, written by `crate::maintenance`).
#[derive(Debug, Clone, Default, PartialEq, Eq, FromQueryResult)]
pub struct Horizon {
    pub xid: i64,
    pub seq: i64,
    pub generation: i64,
}

impl Horizon {
    pub async fn read(db: &impl ConnectionTrait) -> ApiResult<Self> {
        let backend = db.get_database_backend();
        Ok(Horizon::find_by_statement(Statement::from_string(
            backend,
            "SELECT xid, seq, generation FROM change_log_horizon WHERE id = 1",
        ))
        .one(db)
        .await?
        .unwrap_or_default())
    }
}

/// Households whose consent expired after the cursor's expiry position and at or before `now`
/// (in (expires_at, consent id) order, at most `first`): a partner agency may no longer see
/// them though nothing was written. Returns them and the new expiry position; `true` when more
/// are waiting.
pub async fn expired_consents(
    db: &impl ConnectionTrait,
    after: (i64, Uuid),
    now: DateTime<Utc>,
    first: u64,
) -> ApiResult<(Vec<Uuid>, (i64, Uuid), bool)> {
    use entity::consent;
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let from = DateTime::<Utc>::from_timestamp_micros(after.0).unwrap_or(now);
    let mut rows = consent::Entity::find()
        .filter(
            Condition::any()
                .add(consent::Column::ExpiresAt.gt(from))
                .add(
                    Condition::all()
                        .add(consent::Column::ExpiresAt.eq(from))
                        .add(consent::Column::Id.gt(after.1)),
                ),
        )
        .filter(consent::Column::ExpiresAt.lte(now))
        .order_by_asc(consent::Column::ExpiresAt)
        .order_by_asc(consent::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let position = match rows.last() {
        Some(last) if more => (
            last.expires_at.map_or(after.0, |e| e.timestamp_micros()),
            last.id,
        ),
        _ => (now.timestamp_micros(), Uuid::max()),
    };
    Ok((
        rows.into_iter().map(|c| c.household_id).collect(),
        position,
        more,
    ))
}

/// The scope and the types a cursor is valid for.
pub fn fingerprint(scope: &Scope, types: &[Tracked]) -> String {
    let digest = Sha256::digest(format!("{scope:?}|{types:?}"));
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, FromQueryResult)]
struct LogRow {
    seq: i64,
    xid: String,
    entity: String,
    record_id: Uuid,
    op: String,
}

/// One logged record, at its last position in the page.
#[derive(Debug, Clone)]
pub struct Logged {
    pub ty: Tracked,
    pub id: Uuid,
    pub deleted: bool,
}

/// One page of the log after `cursor`: the distinct records (each once, at its last
/// occurrence), the cursor after them, and whether more rows follow.
pub struct Page {
    pub records: Vec<Logged>,
    pub cursor: Cursor,
    pub has_more: bool,
}

/// Reads up to `first` log rows after the cursor. On PostgreSQL only rows of transactions
/// below the snapshot's `xmin` are read: all of those have finished, so no row can later
/// appear before the returned position (transactions that commit out of order are waited
/// for, never skipped).
pub async fn read_log(
    db: &impl ConnectionTrait,
    cursor: Cursor,
    types: &[Tracked],
    first: u64,
) -> ApiResult<Page> {
    let backend = db.get_database_backend();
    let names = types
        .iter()
        .map(|t| format!("'{}'", t.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let limit = first + 1;
    let stmt = match backend {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT seq, xid::text AS xid, entity, record_id, op::text AS op FROM change_log \
                 WHERE (xid, seq) > ($1::text::xid8, $2) \
                 AND xid < pg_snapshot_xmin(pg_current_snapshot()) \
                 AND entity IN ({names}) ORDER BY xid, seq LIMIT {limit}"
            ),
            [Value::from(cursor.xid.to_string()), Value::from(cursor.seq)],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT seq, '0' AS xid, entity, record_id, op FROM change_log \
                 WHERE seq > $1 AND entity IN ({names}) ORDER BY seq LIMIT {limit}"
            ),
            [Value::from(cursor.seq)],
        ),
    };
    let mut rows = LogRow::find_by_statement(stmt).all(db).await?;
    let has_more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let mut next = cursor;
    let mut at: HashMap<(Tracked, Uuid), usize> = HashMap::new();
    let mut records: Vec<Option<Logged>> = Vec::with_capacity(rows.len());
    for row in rows {
        next.xid = row
            .xid
            .parse()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("change_log xid is not a number")))?;
        next.seq = row.seq;
        let Some(ty) = Tracked::of(&row.entity) else {
            continue;
        };
        if let Some(i) = at.insert((ty, row.record_id), records.len()) {
            records[i] = None;
        }
        records.push(Some(Logged {
            ty,
            id: row.record_id,
            deleted: row.op.trim() == "D",
        }));
    }
    Ok(Page {
        records: records.into_iter().flatten().collect(),
        cursor: next,
        has_more,
    })
}

/// The current rows of `ids` the scope may see, by id: one statement.
pub async fn visible<E, C>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    column: C,
    ids: Vec<Uuid>,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> ApiResult<HashMap<Uuid, E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(select
        .filter(column.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (id_of(&m), m))
        .collect())
}
