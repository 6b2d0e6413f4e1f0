//! Province versions kept in memory (PostgreSQL, `APP_ROLLUP_VERSION_CACHE_SECS`), so that a
//! dashboard answered from memory costs no statement at all.
//!
//! A dashboard, and a whole dashboard answer, is reused while the `_version` of the provinces
//! it was read from is unchanged ([`super::versions`]). Every write that changes a province's
//! rollups bumps that version in its transaction, and a trigger (migration
//! `m20261207_000101`) sends `rollup:<province>` on the `ppaos_live` channel with the commit,
//! whoever wrote. Each replica keeps the versions it read until that notification arrives
//! (milliseconds), under the rules of `live::kept`: nothing is trusted while its listener is
//! away, and no read that overlapped a change is kept. A replica that ran a GraphQL mutation
//! forgets all its versions before answering it (`graphql::http`), so its own next read goes
//! to the database.
use std::{ops::Deref, sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DbErr};

use crate::live::{LiveBus, kept::Kept};

/// Provinces kept at most (there are 77).
const MAX_ENTRIES: usize = 1024;

/// Province code → its `_version` (`None`: no version row yet). Its interface is [`Kept`]'s.
pub struct VersionCache(Kept<String, Option<i64>>);

impl Deref for VersionCache {
    type Target = Kept<String, Option<i64>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl VersionCache {
    /// A cache keeping versions for `lifetime` (zero: off).
    pub fn new(lifetime: Duration) -> Arc<Self> {
        Arc::new(Self(Kept::new(lifetime, MAX_ENTRIES)))
    }

    /// Drops every kept version (this replica may have changed any province).
    pub fn forget_all(&self) {
        self.0.forget(|_, _| true);
    }
}

/// [`super::versions`], from memory when every province's version is kept and may be trusted.
pub async fn versions(
    conn: &impl ConnectionTrait,
    live: &LiveBus,
    provinces: &[String],
) -> Result<Vec<(String, i64)>, DbErr> {
    let cache: &Kept<String, Option<i64>> = &live.versions;
    if !cache.enabled() {
        return super::versions(conn, provinces).await;
    }
    live.ensure_listening().await;
    let kept: Option<Vec<Option<i64>>> = provinces.iter().map(|p| cache.get(p)).collect();
    if let Some(kept) = kept {
        let mut found: Vec<(String, i64)> = provinces
            .iter()
            .zip(kept)
            .filter_map(|(p, v)| Some((p.clone(), v?)))
            .collect();
        // As the database orders them.
        found.sort();
        found.dedup();
        return Ok(found);
    }
    let generation = cache.generation();
    let found = super::versions(conn, provinces).await?;
    if let Some(generation) = generation {
        cache.put(
            generation,
            provinces.iter().map(|p| {
                let v = found.iter().find(|(code, _)| code == p).map(|(_, v)| *v);
                (p.clone(), v)
            }),
        );
    }
    Ok(found)
}
