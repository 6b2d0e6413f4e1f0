//! Whole answers to dashboard queries, kept per replica and checked against the rollups'
//! province versions before each reuse.
//!
//! A dashboard is read from the rollups alone (docs/dashboards.md), so its answer depends on
//! nothing but the request's text, who asks (role, areas, agency: what the suppression and
//! the access check depend on), the day (the default period and "overdue" end today) and the
//! `_version` of the provinces it was read from — every write that changes a province's
//! rollups bumps that version in its own transaction, on whichever replica it runs. Serving
//! the kept bytes after reading those versions skips the execution of a ~1,500-field answer.
//! On PostgreSQL the versions (and the session) come from memory kept current by the
//! database's notifications (`rollup::kept`, `auth::session_cache`): a hit costs no
//! statement; elsewhere it costs two (the session and the versions).
//!
//! What is kept: only a single query whose root fields are all `dashboard` (or `__typename`),
//! answered without errors, during which the resolvers recorded the provinces they read and
//! no DataLoader batch ran (a `technology { … }` below a dashboard reads the catalogue, which
//! has no province version: such answers are computed every time). Bounded in entries and
//! bytes; a client varying the text only evicts older answers.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

use sea_orm::ConnectionTrait;

use crate::{auth::Viewer, error::ApiResult};

/// Answers kept at most.
pub const MAX_ENTRIES: usize = 1024;
/// Bytes of answers kept at most (a province dashboard with every field is about 100 KB).
pub const MAX_BYTES: usize = 64 << 20;
/// Answers larger than this are not kept.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// What one request's resolvers read, for deciding whether its answer may be kept.
#[derive(Default)]
pub struct Dependencies {
    /// (province code, version) pairs the answer was read from.
    versions: Mutex<Vec<(String, i64)>>,
    /// Something was read that has no province version (a DataLoader batch ran).
    tainted: AtomicBool,
}

impl Dependencies {
    /// The answer depends on these provinces' rollups at these versions.
    pub fn record(&self, provinces: &[String], versions: &[(String, i64)]) {
        if let Ok(mut kept) = self.versions.lock() {
            // A province without a version row yet is recorded as version 0: its first
            // write creates the row, and the answer must not be reused after it.
            for p in provinces {
                let v = versions
                    .iter()
                    .find(|(code, _)| code == p)
                    .map_or(0, |(_, v)| *v);
                kept.push((p.clone(), v));
            }
        }
    }

    /// The answer also depends on data without a version: never keep it.
    pub fn taint(&self) {
        self.tainted.store(true, Ordering::Relaxed);
    }

    /// The provinces and versions to check before reusing the answer, or None when the answer
    /// must not be kept (nothing recorded, or something read that has no version).
    fn versions(&self) -> Option<Vec<(String, i64)>> {
        if self.tainted.load(Ordering::Relaxed) {
            return None;
        }
        let mut versions = self.versions.lock().ok()?.clone();
        if versions.is_empty() {
            return None;
        }
        versions.sort();
        versions.dedup();
        Some(versions)
    }
}

/// The key of an answer: the request's text (its introspection-cache key), who asks, and
/// the day. None for an anonymous caller (refused anyway).
pub fn key(request: &[u8; 32], viewer: &Viewer, today: chrono::NaiveDate) -> Option<[u8; 32]> {
    let Viewer::Account(account) = viewer else {
        return None;
    };
    let mut hasher = Sha256::new();
    hasher.update(request);
    hasher.update(format!("{:?}", account.role).as_bytes());
    let mut areas = account.area_scopes.clone();
    areas.sort();
    for area in &areas {
        hasher.update((area.len() as u64).to_le_bytes());
        hasher.update(area.as_bytes());
    }
    hasher.update(b"|");
    if let Some(agency) = account.agency_id {
        hasher.update(agency.as_bytes());
    }
    hasher.update(today.to_string().as_bytes());
    Some(hasher.finalize().into())
}

struct Entry {
    versions: Vec<(String, i64)>,
    body: Bytes,
    used: u64,
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
    tick: AtomicU64,
    /// Request texts (query, operation name, variables) already parsed, checked against the
    /// limits and found to read dashboards only: a hit need not parse them again (parsing a
    /// dashboard query is most of what a hit would otherwise cost). At most [`MAX_ENTRIES`].
    texts: Mutex<std::collections::HashSet<[u8; 32]>>,
    any_text: AtomicBool,
}

impl ResponseCache {
    /// Whether any text is known (so that other requests skip hashing theirs).
    pub fn knows_any_text(&self) -> bool {
        self.any_text.load(Ordering::Relaxed)
    }

    /// Whether this text was parsed, checked and found to read dashboards only.
    pub fn is_dashboard_text(&self, key: &[u8; 32]) -> bool {
        self.texts.lock().is_ok_and(|t| t.contains(key))
    }

    /// Remembers a text that passed the checks and reads dashboards only.
    pub fn remember_dashboard_text(&self, key: [u8; 32]) {
        if let Ok(mut texts) = self.texts.lock() {
            if texts.len() >= MAX_ENTRIES && !texts.contains(&key) {
                texts.clear();
            }
            texts.insert(key);
            self.any_text.store(true, Ordering::Relaxed);
        }
    }

    /// The kept answer and the provinces to check, if there is one.
    fn get(&self, key: &[u8; 32]) -> Option<(Vec<(String, i64)>, Bytes)> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get_mut(key)?;
        entry.used = self.tick.fetch_add(1, Ordering::Relaxed);
        Some((entry.versions.clone(), entry.body.clone()))
    }

    /// The kept answer, if there is one and the rollups it was read from are unchanged (one
    /// statement). An answer whose versions moved is dropped.
    pub async fn fresh(
        &self,
        db: &impl ConnectionTrait,
        live: &crate::live::LiveBus,
        key: &[u8; 32],
    ) -> ApiResult<Option<Bytes>> {
        let Some((kept, body)) = self.get(key) else {
            return Ok(None);
        };
        let provinces: Vec<String> = kept.iter().map(|(p, _)| p.clone()).collect();
        let now = crate::rollup::kept::versions(db, live, &provinces).await?;
        if holds(&kept, &now) {
            Ok(Some(body))
        } else {
            self.remove(key);
            Ok(None)
        }
    }

    /// Keeps an answer if the request's dependencies allow it.
    pub fn put(&self, key: [u8; 32], dependencies: &Dependencies, body: Bytes) {
        if body.len() > MAX_ANSWER_BYTES {
            return;
        }
        let Some(versions) = dependencies.versions() else {
            return;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.remove(&key);
        let mut bytes: usize = entries.values().map(|e| e.body.len()).sum();
        while !entries.is_empty()
            && (entries.len() >= MAX_ENTRIES || bytes + body.len() > MAX_BYTES)
        {
            // Drop the least recently used (rare: only when full).
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, e)| (*k, e.body.len()))
            else {
                break;
            };
            entries.remove(&oldest.0);
            bytes -= oldest.1;
        }
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        entries.insert(
            key,
            Entry {
                versions,
                body,
                used,
            },
        );
    }

    /// Forgets an answer whose versions no longer hold.
    pub fn remove(&self, key: &[u8; 32]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether every kept (province, version) is still current (a province without a version row
/// is version 0).
fn holds(kept: &[(String, i64)], now: &[(String, i64)]) -> bool {
    kept.iter().all(|(p, v)| {
        now.iter()
            .find(|(code, _)| code == p)
            .map_or(0, |(_, n)| *n)
            == *v
    })
}

/// A request's dependencies, shared between its resolvers and its DataLoader.
pub type SharedDependencies = Arc<Dependencies>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::viewer::AccountViewer;
    use entity::enums::Role;
    use uuid::Uuid;

    fn viewer(role: Role, areas: &[&str]) -> Viewer {
        Viewer::Account(AccountViewer {
            id: Uuid::new_v4(),
            login: "x".into(),
            role,
            area_scopes: areas.iter().map(|a| a.to_string()).collect(),
            agency_id: None,
            session_id: Uuid::new_v4(),
        })
    }

    fn deps(versions: &[(&str, i64)]) -> Dependencies {
        let d = Dependencies::default();
        let provinces: Vec<String> = versions.iter().map(|(p, _)| p.to_string()).collect();
        let versions: Vec<(String, i64)> =
            versions.iter().map(|(p, v)| (p.to_string(), *v)).collect();
        d.record(&provinces, &versions);
        d
    }

    #[test]
    fn who_asks_and_the_day_are_part_of_the_key_but_not_the_account_itself() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let next = day.succ_opt().unwrap();
        let r = [7u8; 32];
        let admin = key(&r, &viewer(Role::Admin, &[]), day).unwrap();
        assert_eq!(admin, key(&r, &viewer(Role::Admin, &[]), day).unwrap());
        assert_ne!(admin, key(&r, &viewer(Role::Analyst, &[]), day).unwrap());
        assert_ne!(admin, key(&r, &viewer(Role::Admin, &[]), next).unwrap());
        let c52 = key(&r, &viewer(Role::Coordinator, &["52"]), day).unwrap();
        assert_ne!(
            c52,
            key(&r, &viewer(Role::Coordinator, &["5201"]), day).unwrap()
        );
        assert_eq!(
            key(&r, &viewer(Role::Coordinator, &["52", "50"]), day),
            key(&r, &viewer(Role::Coordinator, &["50", "52"]), day)
        );
        assert!(key(&r, &Viewer::Anonymous, day).is_none());
    }

    #[test]
    fn known_dashboard_texts_are_remembered_up_to_the_bound() {
        let cache = ResponseCache::default();
        assert!(!cache.knows_any_text());
        cache.remember_dashboard_text([1; 32]);
        assert!(cache.knows_any_text());
        assert!(cache.is_dashboard_text(&[1; 32]));
        assert!(!cache.is_dashboard_text(&[2; 32]));
        for i in 0..(MAX_ENTRIES as u64 + 5) {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i + 10).to_le_bytes());
            cache.remember_dashboard_text(k);
        }
        assert!(cache.texts.lock().unwrap().len() <= MAX_ENTRIES);
    }

    #[test]
    fn tainted_or_unversioned_answers_are_not_kept_and_the_cache_stays_bounded() {
        let cache = ResponseCache::default();
        cache.put([1; 32], &Dependencies::default(), Bytes::from_static(b"x"));
        let tainted = deps(&[("52", 3)]);
        tainted.taint();
        cache.put([2; 32], &tainted, Bytes::from_static(b"x"));
        assert!(cache.is_empty());

        cache.put(
            [3; 32],
            &deps(&[("52", 3), ("50", 1)]),
            Bytes::from_static(b"x"),
        );
        let (versions, _) = cache.get(&[3; 32]).unwrap();
        assert_eq!(versions, vec![("50".to_string(), 1), ("52".to_string(), 3)]);
        assert!(holds(&versions, &[("50".into(), 1), ("52".into(), 3)]));
        assert!(!holds(&versions, &[("50".into(), 1), ("52".into(), 4)]));
        assert!(!holds(&versions, &[("52".into(), 3)]));

        // A province without a version row is version 0 (its first write creates the row).
        let d = Dependencies::default();
        d.record(&["95".to_string()], &[]);
        cache.put([4; 32], &d, Bytes::from_static(b"x"));
        assert_eq!(cache.get(&[4; 32]).unwrap().0, vec![("95".to_string(), 0)]);
        assert!(holds(&[("95".to_string(), 0)], &[]));

        for i in 0..(MAX_ENTRIES + 10) {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64 + 100).to_le_bytes());
            cache.put(k, &deps(&[("52", 1)]), Bytes::from_static(b"x"));
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        let big = Bytes::from(vec![b' '; MAX_ANSWER_BYTES + 1]);
        cache.put([5; 32], &deps(&[("52", 1)]), big);
        assert!(cache.get(&[5; 32]).is_none());
    }
}
