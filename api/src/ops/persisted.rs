//! Automatic persisted queries (Apollo APQ). A client sends `extensions.persistedQuery =
//! {version: 1, sha256Hash}`: with the hash alone, the text stored under it runs (unknown:
//! PERSISTED_QUERY_NOT_FOUND, and the client sends the text with the hash); with the hash and
//! the text, the text must hash to it, passes the usual limits, runs, and is stored.
//!
//! Texts are stored in the database (`persisted_query`), so a hash registered through one
//! replica is known to every other; each replica keeps a bounded map of the texts it has seen
//! in front of it (a text never changes under its hash, so the map is never stale).
//!
//! `last_used_at` says when a text was last used, at most a day off: a replica writes it when
//! it first reads the text from the database and then at most once a day per text, so that
//! pruning (`crate::maintenance`) drops texts nobody used for `APP_RETAIN_PERSISTED_QUERIES_DAYS`.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use sha2::{Digest, Sha256};

use crate::error::ApiResult;

/// Texts a replica keeps in memory; beyond it, the oldest half is dropped.
pub const MAX_CACHED: usize = 2_000;

/// The error message Apollo clients look for (with the code PERSISTED_QUERY_NOT_FOUND).
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// Lowercase hex SHA-256 of a text: the APQ hash.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `hash` looks like an APQ hash (64 hex digits; compared in lowercase).
pub fn is_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn table() -> Alias {
    Alias::new("persisted_query")
}

/// How often a replica records that a text it serves from memory is still used.
const TOUCH_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Hash → (text, when its use was last recorded), with the order of insertion to drop the
/// oldest.
type Texts = (HashMap<String, (Arc<str>, Instant)>, Vec<String>);

#[derive(Default)]
pub struct PersistedQueries {
    cache: Mutex<Texts>,
}

impl PersistedQueries {
    fn remember(&self, hash: &str, text: Arc<str>) {
        if let Ok(mut guard) = self.cache.lock() {
            let (map, order) = &mut *guard;
            if map.contains_key(hash) {
                return;
            }
            if map.len() >= MAX_CACHED {
                for old in order.drain(..MAX_CACHED / 2) {
                    map.remove(&old);
                }
            }
            map.insert(hash.to_string(), (text, Instant::now()));
            order.push(hash.to_string());
        }
    }

    /// The text stored under `hash` (lowercase hex), from memory or the database.
    pub async fn get(&self, db: &DatabaseConnection, hash: &str) -> ApiResult<Option<Arc<str>>> {
        let cached = self.cache.lock().ok().and_then(|mut c| {
            let (text, touched) = c.0.get_mut(hash)?;
            let stale = touched.elapsed() >= TOUCH_EVERY;
            if stale {
                *touched = Instant::now();
            }
            Some((text.clone(), stale))
        });
        if let Some((text, stale)) = cached {
            if stale {
                touch(db, hash).await?;
            }
            return Ok(Some(text));
        }
        let row = db
            .query_one(
                &Query::select()
                    .column(Alias::new("query"))
                    .column(Alias::new("last_used_at"))
                    .from(table())
                    .and_where(Expr::col(Alias::new("sha256_hash")).eq(hash))
                    .to_owned(),
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text: Arc<str> = row.try_get::<String>("", "query")?.into();
        let last_used = row
            .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "last_used_at")
            .ok()
            .flatten();
        if last_used.is_none_or(|at| {
            chrono::Utc::now() - at >= chrono::Duration::from_std(TOUCH_EVERY).unwrap_or_default()
        }) {
            touch(db, hash).await?;
        }
        self.remember(hash, text.clone());
        Ok(Some(text))
    }

    /// Stores `text` under its hash (kept if already there). The caller has checked that
    /// `hash` is the text's and that the text passes the limits.
    pub async fn put(&self, db: &impl ConnectionTrait, hash: &str, text: &str) -> ApiResult<()> {
        if self
            .cache
            .lock()
            .ok()
            .is_some_and(|c| c.0.contains_key(hash))
        {
            return Ok(());
        }
        store(db, hash, text).await?;
        self.remember(hash, text.into());
        Ok(())
    }
}

/// Records that the text under `hash` was used now.
async fn touch(db: &impl ConnectionTrait, hash: &str) -> ApiResult<()> {
    db.execute(
        &Query::update()
            .table(table())
            .value(Alias::new("last_used_at"), chrono::Utc::now())
            .and_where(Expr::col(Alias::new("sha256_hash")).eq(hash))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// `INSERT … ON CONFLICT DO NOTHING`: a hash always names the same text.
pub async fn store(db: &impl ConnectionTrait, hash: &str, text: &str) -> ApiResult<()> {
    db.execute(
        &Query::insert()
            .into_table(table())
            .columns([
                Alias::new("sha256_hash"),
                Alias::new("query"),
                Alias::new("created_at"),
                Alias::new("last_used_at"),
            ])
            .values_panic([
                hash.into(),
                text.into(),
                chrono::Utc::now().into(),
                chrono::Utc::now().into(),
            ])
            .on_conflict(
                OnConflict::column(Alias::new("sha256_hash"))
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned(),
    )
    .await
    .map(|_| ())
    .or_else(|e| match e {
        // SQLite reports DO NOTHING that inserted nothing as no row, never as an error;
        // anything else is a real failure.
        sea_orm::DbErr::RecordNotInserted => Ok(()),
        e => Err(e.into()),
    })
}

/// The hash of `text` when it passes the request limits (`graphql::document`), as a request
/// would; otherwise why not.
pub fn checked_hash(text: &str, limits: &crate::config::Limits) -> Result<String, String> {
    crate::graphql::document::parse_and_check(text, None, &Default::default(), limits)
        .map_err(|r| r.message)?;
    Ok(sha256_hex(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
        assert!(is_hash(&sha256_hex("x")));
        assert!(!is_hash("abc"));
    }
}
