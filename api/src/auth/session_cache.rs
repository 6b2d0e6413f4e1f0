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
//! Races: a read of the database that started before a change and ends after it does not
//! store what it read (`live::kept`).
use std::{ops::Deref, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AccountViewer;
use crate::live::kept::{Kept, Registry};

/// Sessions kept at most; a full cache is emptied (it refills from the database).
pub const MAX_ENTRIES: usize = 65_536;

/// See the module documentation: session id → (viewer, the session's expiry). The rest of
/// its interface (`enabled`, `generation`, `reset`, `len`) is [`Kept`]'s.
pub struct SessionCache(Kept<Uuid, (AccountViewer, DateTime<Utc>)>);

static CACHES: Registry<SessionCache> = Registry::new();

impl Deref for SessionCache {
    type Target = Kept<Uuid, (AccountViewer, DateTime<Utc>)>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl SessionCache {
    /// A cache keeping sessions for `lifetime` (zero: off), of the database `database`
    /// (`live::kept::database_identity`).
    pub fn new(lifetime: Duration, database: String) -> Arc<Self> {
        let cache = Arc::new(Self(Kept::new(lifetime, MAX_ENTRIES)));
        if cache.enabled() {
            CACHES.register(database, &cache);
        }
        cache
    }

    /// The viewer of session `session` for the token's subject `account`, if kept and usable.
    pub fn viewer(&self, session: Uuid, account: Uuid) -> Option<AccountViewer> {
        let (viewer, expires_at) = self.0.get(&session)?;
        (viewer.id == account && expires_at > Utc::now()).then_some(viewer)
    }

    /// Keeps a session read from the database (see [`Kept::put`]).
    pub fn keep(&self, generation: u64, viewer: AccountViewer, session_expires_at: DateTime<Utc>) {
        self.0.put(
            generation,
            [(viewer.session_id, (viewer, session_expires_at))],
        );
    }

    /// Drops the sessions of `account` (it changed, or one of its sessions was revoked).
    pub fn forget_account(&self, account: Uuid) {
        self.0.forget(|_, (viewer, _)| viewer.id == account);
    }
}

/// Drops the sessions of `account` from every cache of the process on the database `db` (call
/// after the commit of a change to the account or its sessions).
pub fn forget_account_everywhere(db: &sea_orm::DatabaseConnection, account: Uuid) {
    for c in CACHES.of(&crate::live::kept::database_identity(db)) {
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

    #[test]
    fn a_kept_session_serves_its_own_subject_until_it_expires() {
        let cache = SessionCache::new(Duration::from_secs(30), "unit-subject".into());
        cache.reset(true);
        let account = Uuid::now_v7();
        let v = viewer(account);
        let later = Utc::now() + chrono::Duration::hours(1);
        cache.keep(cache.generation().expect("up"), v.clone(), later);
        assert_eq!(cache.viewer(v.session_id, account), Some(v.clone()));
        // Another subject presenting the session id gets nothing.
        assert_eq!(cache.viewer(v.session_id, Uuid::now_v7()), None);
        let expired = viewer(account);
        let earlier = Utc::now() - chrono::Duration::seconds(1);
        cache.keep(cache.generation().expect("up"), expired.clone(), earlier);
        assert_eq!(cache.viewer(expired.session_id, account), None);
    }

    #[test]
    fn forgetting_an_account_drops_its_sessions_in_the_caches_of_its_database_only() {
        let cache = SessionCache::new(Duration::from_secs(30), "unit-forget".into());
        cache.reset(true);
        let (one, two) = (viewer(Uuid::now_v7()), viewer(Uuid::now_v7()));
        let later = Utc::now() + chrono::Duration::hours(1);
        cache.keep(cache.generation().expect("up"), one.clone(), later);
        cache.keep(cache.generation().expect("up"), two.clone(), later);
        let elsewhere = SessionCache::new(Duration::from_secs(30), "unit-elsewhere".into());
        elsewhere.reset(true);
        elsewhere.keep(elsewhere.generation().expect("up"), one.clone(), later);
        for c in CACHES.of("unit-forget") {
            c.forget_account(one.id);
        }
        assert_eq!(cache.viewer(one.session_id, one.id), None);
        assert_eq!(cache.viewer(two.session_id, two.id), Some(two));
        // Another database's cache is not touched.
        assert_eq!(elsewhere.viewer(one.session_id, one.id), Some(one));
    }
}
