//! Reading the change log: cursors, the commit-ordered window, and re-reading each changed
//! record through the scope layer (one statement per type per page).
use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
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
/// scope and types the cursor was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub fingerprint: String,
    pub xid: u64,
    pub seq: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1:{}:{}:{}", self.fingerprint, self.xid, self.seq))
    }

    /// The cursor a client sent; BAD_USER_INPUT on `since` when it is not one, or was issued
    /// for another scope or other types (the client then syncs again from null).
    pub fn decode(raw: &str, fingerprint: &str) -> ApiResult<Self> {
        let bad = || ApiError::bad_input("since", "since is not a sync cursor");
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?)
            .map_err(|_| bad())?;
        let mut parts = text.split(':');
        let (Some("v1"), Some(fp), Some(xid), Some(seq), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        let cursor = Cursor {
            fingerprint: fp.to_string(),
            xid: xid.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        };
        if cursor.fingerprint != fingerprint {
            return Err(ApiError::bad_input(
                "since",
                "this cursor was issued for another scope or other types: sync again from null",
            ));
        }
        Ok(cursor)
    }
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
