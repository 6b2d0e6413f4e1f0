//! Sessions this replica has resolved recently, so that a request does not read its session
//! and account again (`APP_SESSION_CACHE_SECS`, PostgreSQL only; docs/operations.md).
//!
//! An entry is used only while it can be trusted:
//! - this process's `LISTEN` connection is up (`live::listen`): every change of an account or
//!   revocation of a session, on any replica or by hand in SQL, sends an `account:<id>`
//!   notification with its commit (the triggers of migration `m20261206_000101`), and the
//!   listener drops that account's entries when it arrives. The cache is emptied whenever the
//!   listener connects (notifications sent while it was away are lost) and unused while it is
//!   down;
//! - changes made by this process drop the account's entries at once, after their commit
//!   (`live::account_changed_locally`), before the notification comes back;
//! - it is younger than the configured lifetime (a bound on any gap in the above), and its
//!   session has not expired.
//!
//! A change made on another replica therefore takes effect there within the notification's
//! delay (milliseconds), well inside what the API promises (a role or scope change, or a
//! deactivation, takes effect at the next refresh at the latest).
//!
//! Races: a read of the database that started before a change and ends after it must not
//! store what it read. Every invalidation bumps a generation; a read stores its result only
//! when the generation is still the one it saw before it started.
use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock, Mutex, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AccountViewer;

/// Sessions kept at most; a full cache is emptied (it refills from the database).
pub const MAX_ENTRIES: usize = 65_536;

struct Entry {
    viewer: AccountViewer,
    session_expires_at: DateTime<Utc>,
    stored: Instant,
}

/// See the module documentation.
pub struct SessionCache {
    lifetime: Duration,
    /// The listener is connected and listening: entries may be used.
    up: AtomicBool,
    generation: AtomicU64,
    entries: Mutex<HashMap<Uuid, Entry>>,
}

/// Every cache of the process, so that a change made here reaches them all at once.
static CACHES: LazyLock<Mutex<Vec<Weak<SessionCache>>>> = LazyLock::new(Default::default);

impl SessionCache {
    /// A cache keeping sessions for `lifetime` (zero: off).
    pub fn new(lifetime: Duration) -> Arc<Self> {
        let cache = Arc::new(Self {
            lifetime,
            up: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::default(),
        });
        if !lifetime.is_zero() {
            let mut all = CACHES.lock().expect("session caches");
            all.retain(|c| c.strong_count() > 0);
            all.push(Arc::downgrade(&cache));
        }
        cache
    }

    /// Whether sessions are kept at all (a positive lifetime).
    pub fn enabled(&self) -> bool {
        !self.lifetime.is_zero()
    }

    /// The viewer of session `session` for the token's subject `account`, if kept and usable.
    pub fn get(&self, session: Uuid, account: Uuid) -> Option<AccountViewer> {
        if !self.enabled() || !self.up.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().expect("session cache");
        let e = entries.get(&session)?;
        (e.viewer.id == account
            && e.stored.elapsed() < self.lifetime
            && e.session_expires_at > Utc::now())
        .then(|| e.viewer.clone())
    }

    /// The generation to hand to [`SessionCache::put`], read before reading the database;
    /// `None` when nothing would be stored.
    pub fn generation(&self) -> Option<u64> {
        (self.enabled() && self.up.load(Ordering::Acquire))
            .then(|| self.generation.load(Ordering::Acquire))
    }

    /// Keeps a session read from the database, unless something was invalidated since
    /// `generation` was read.
    pub fn put(&self, generation: u64, viewer: AccountViewer, session_expires_at: DateTime<Utc>) {
        let mut entries = self.entries.lock().expect("session cache");
        // Checked under the lock that invalidations take too.
        if self.generation.load(Ordering::Acquire) != generation || !self.up.load(Ordering::Acquire)
        {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            viewer.session_id,
            Entry {
                viewer,
                session_expires_at,
                stored: Instant::now(),
            },
        );
    }

    /// Drops the sessions of `account` (it changed, or one of its sessions was revoked).
    pub fn forget_account(&self, account: Uuid) {
        let mut entries = self.entries.lock().expect("session cache");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, e| e.viewer.id != account);
    }

    /// Empties the cache; `up`: whether entries may be kept and used from now on (the
    /// listener connected) or not (it is down).
    pub fn reset(&self, up: bool) {
        let mut entries = self.entries.lock().expect("session cache");
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.up.store(up, Ordering::Release);
        entries.clear();
    }

    /// Sessions kept now (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().expect("session cache").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the sessions of `account` from every cache of the process (call after the commit of
/// a change to the account or its sessions).
pub fn forget_account_everywhere(account: Uuid) {
    let caches: Vec<Arc<SessionCache>> = CACHES
        .lock()
        .expect("session caches")
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for c in caches {
        c.forget_account(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::Role;

    fn viewer(account: Uuid) -> AccountViewer {
        AccountViewer {
            id: account,
            login: "someone".into(),
            role: Role::Surveyor,
            area_scopes: vec!["52".into()],
            agency_id: None,
            session_id: Uuid::now_v7(),
        }
    }

    fn later() -> DateTime<Utc> {
        Utc::now() + chrono::Duration::hours(1)
    }

    #[test]
    fn nothing_is_kept_or_used_until_the_listener_is_up() {
        let cache = SessionCache::new(Duration::from_secs(30));
        let account = Uuid::now_v7();
        assert_eq!(cache.generation(), None);
        cache.put(0, viewer(account), later());
        assert!(cache.is_empty());
        cache.reset(true);
        let v = viewer(account);
        let g = cache.generation().expect("up");
        cache.put(g, v.clone(), later());
        assert_eq!(cache.get(v.session_id, account), Some(v.clone()));
        // Another subject presenting the session id gets nothing.
        assert_eq!(cache.get(v.session_id, Uuid::now_v7()), None);
        cache.reset(false);
        assert_eq!(cache.get(v.session_id, account), None);
    }

    #[test]
    fn a_read_that_overlapped_an_invalidation_is_not_kept() {
        let cache = SessionCache::new(Duration::from_secs(30));
        cache.reset(true);
        let account = Uuid::now_v7();
        let v = viewer(account);
        let before = cache.generation().expect("up");
        forget_account_everywhere(account);
        cache.put(before, v.clone(), later());
        assert_eq!(cache.get(v.session_id, account), None);
        let now = cache.generation().expect("up");
        cache.put(now, v.clone(), later());
        assert!(cache.get(v.session_id, account).is_some());
        forget_account_everywhere(account);
        assert_eq!(cache.get(v.session_id, account), None);
    }

    #[test]
    fn an_expired_session_or_an_old_entry_is_not_used() {
        let cache = SessionCache::new(Duration::from_millis(1));
        cache.reset(true);
        let account = Uuid::now_v7();
        let v = viewer(account);
        cache.put(cache.generation().unwrap(), v.clone(), later());
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            cache.get(v.session_id, account),
            None,
            "older than its lifetime"
        );
        let cache = SessionCache::new(Duration::from_secs(30));
        cache.reset(true);
        cache.put(
            cache.generation().unwrap(),
            v.clone(),
            Utc::now() - chrono::Duration::seconds(1),
        );
        assert_eq!(cache.get(v.session_id, account), None, "session expired");
    }

    #[test]
    fn off_keeps_nothing() {
        let cache = SessionCache::new(Duration::ZERO);
        cache.reset(true);
        assert_eq!(cache.generation(), None);
    }
}
