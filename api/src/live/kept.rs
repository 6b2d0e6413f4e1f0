//! Values a replica keeps in memory because the database tells it when they change: trusted
//! only while this process's `LISTEN` connection is up (`live::listen`), dropped when their
//! notification arrives, and never overtaken by a read that overlapped a change.
//!
//! - The listener calls [`Kept::reset`] with `true` once it listens (notifications sent while
//!   it was away are lost, so everything kept before goes) and with `false` when it loses its
//!   connection (nothing is used or kept until it listens again).
//! - Every invalidation bumps a generation under the map's lock; a value read from the
//!   database is kept only if the generation is still the one seen before the read began
//!   ([`Kept::generation`], then [`Kept::put`]).
//! - A value is also dropped after the configured lifetime (a bound on any gap above), and
//!   the map is emptied when it reaches its size bound.
use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// The caches of one kind in this process, by database, so that a write made here reaches at
/// once every replica of the process on the same database (the test suite runs several) and
/// no other.
pub struct Registry<T>(Mutex<Vec<(String, Weak<T>)>>);

impl<T> Registry<T> {
    pub const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    /// Registers `cache` of the database `database` ([`database_identity`]).
    pub fn register(&self, database: String, cache: &Arc<T>) {
        let mut all = self.0.lock().expect("cache registry");
        all.retain(|(_, c)| c.strong_count() > 0);
        all.push((database, Arc::downgrade(cache)));
    }

    /// Every registered cache of `database` still alive.
    pub fn of(&self, database: &str) -> Vec<Arc<T>> {
        let all = self.0.lock().expect("cache registry");
        all.iter()
            .filter(|(d, _)| d == database)
            .filter_map(|(_, c)| c.upgrade())
            .collect()
    }
}

/// Which database `db` is, for [`Registry`]: host, port and name on PostgreSQL (the only
/// backend with kept values).
pub fn database_identity(db: &sea_orm::DatabaseConnection) -> String {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return String::new();
    }
    let options = db.get_postgres_connection_pool().connect_options();
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// See the module documentation.
pub struct Kept<K, V> {
    lifetime: Duration,
    max_entries: usize,
    up: AtomicBool,
    generation: AtomicU64,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// Keeps values for `lifetime` (zero: keeps nothing), at most `max_entries` of them.
    pub fn new(lifetime: Duration, max_entries: usize) -> Self {
        Self {
            lifetime,
            max_entries,
            up: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::default(),
        }
    }

    /// Whether anything is kept at all (a positive lifetime).
    pub fn enabled(&self) -> bool {
        !self.lifetime.is_zero()
    }

    fn usable(&self) -> bool {
        self.enabled() && self.up.load(Ordering::Acquire)
    }

    /// The value kept for `key`, if it may be used.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.usable() {
            return None;
        }
        let entries = self.entries.lock().expect("kept values");
        let (value, stored) = entries.get(key)?;
        (stored.elapsed() < self.lifetime).then(|| value.clone())
    }

    /// The generation to hand to [`Kept::put`], read before reading the database; `None` when
    /// nothing would be kept.
    pub fn generation(&self) -> Option<u64> {
        self.usable()
            .then(|| self.generation.load(Ordering::Acquire))
    }

    /// Keeps values read from the database, unless something was invalidated since
    /// `generation` was read.
    pub fn put(&self, generation: u64, values: impl IntoIterator<Item = (K, V)>) {
        let mut entries = self.entries.lock().expect("kept values");
        // Checked under the lock that invalidations take too.
        if self.generation.load(Ordering::Acquire) != generation || !self.usable() {
            return;
        }
        let now = Instant::now();
        for (key, value) in values {
            if entries.len() >= self.max_entries {
                entries.clear();
            }
            entries.insert(key, (value, now));
        }
    }

    /// Drops the values `drop` selects.
    pub fn forget(&self, drop: impl Fn(&K, &V) -> bool) {
        let mut entries = self.entries.lock().expect("kept values");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|k, (v, _)| !drop(k, v));
    }

    /// Empties the map; `up`: whether values may be kept and used from now on.
    pub fn reset(&self, up: bool) {
        let mut entries = self.entries.lock().expect("kept values");
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.up.store(up, Ordering::Release);
        entries.clear();
    }

    /// Values kept now (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().expect("kept values").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_kept_or_used_until_up_and_after_down() {
        let kept: Kept<u8, u8> = Kept::new(Duration::from_secs(30), 10);
        assert_eq!(kept.generation(), None);
        kept.put(0, [(1, 1)]);
        assert!(kept.is_empty());
        kept.reset(true);
        kept.put(kept.generation().expect("up"), [(1, 1)]);
        assert_eq!(kept.get(&1), Some(1));
        kept.reset(false);
        assert_eq!(kept.get(&1), None);
        assert!(kept.is_empty());
    }

    #[test]
    fn a_read_that_overlapped_an_invalidation_is_not_kept() {
        let kept: Kept<u8, u8> = Kept::new(Duration::from_secs(30), 10);
        kept.reset(true);
        let before = kept.generation().expect("up");
        kept.forget(|k, _| *k == 1);
        kept.put(before, [(1, 1)]);
        assert_eq!(kept.get(&1), None);
        kept.put(kept.generation().expect("up"), [(1, 1), (2, 2)]);
        kept.forget(|k, _| *k == 1);
        assert_eq!((kept.get(&1), kept.get(&2)), (None, Some(2)));
    }

    #[test]
    fn values_end_with_their_lifetime_and_the_size_bound() {
        let kept: Kept<u8, u8> = Kept::new(Duration::from_millis(1), 10);
        kept.reset(true);
        kept.put(kept.generation().unwrap(), [(1, 1)]);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(kept.get(&1), None);
        let kept: Kept<u8, u8> = Kept::new(Duration::from_secs(30), 2);
        kept.reset(true);
        kept.put(kept.generation().unwrap(), [(1, 1), (2, 2), (3, 3)]);
        assert!(kept.len() <= 2);
        assert_eq!(kept.get(&3), Some(3));
    }

    #[test]
    fn a_zero_lifetime_keeps_nothing() {
        let kept: Kept<u8, u8> = Kept::new(Duration::ZERO, 10);
        kept.reset(true);
        assert_eq!(kept.generation(), None);
    }
}
