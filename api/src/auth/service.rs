//! Login, refresh, logout and resolving the viewer of a request.
use chrono::{DateTime, Utc};
use entity::{
    account, auth_session,
    enums::{AuditAction, Role},
    login_throttle, refresh_token,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    AccountViewer, Viewer, password,
    tokens::{self, TokenKeys},
};
use crate::{
    audit::service::{AuditEntry, record},
    config::LoginSettings,
    error::{ApiError, ApiResult},
};

/// The same message for an unknown login, a wrong password and a deactivated account: the
/// answer must not tell which logins exist.
pub const BAD_CREDENTIALS: &str = "invalid login or password";

/// What a successful login or refresh hands back.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub account: account::Model,
}

/// Logins are case-insensitive and stored lower-cased.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

pub struct AuthService<'a> {
    pub db: &'a DatabaseConnection,
    pub keys: &'a TokenKeys,
    pub refresh_ttl: std::time::Duration,
    pub login: &'a LoginSettings,
    pub request_id: &'a str,
}

impl AuthService<'_> {
    pub async fn login(&self, login: &str, password: &str) -> ApiResult<IssuedTokens> {
        let key = normalize_login(login);
        if key.is_empty() {
            return Err(ApiError::bad_input("login", "enter a login"));
        }
        if key.chars().count() > 64 || password.chars().count() > password::MAX_PASSWORD_CHARS {
            return Err(ApiError::Unauthenticated(BAD_CREDENTIALS.into()));
        }
        let now = Utc::now();
        // The attempt is counted before the password is checked, so however many arrive at
        // once, at most `max_failures` of them are checked before the lock is on.
        if let Err(retry_after_secs) = self.reserve_attempt(&key, now).await? {
            return Err(ApiError::RateLimited { retry_after_secs });
        }

        let found = account::Entity::find()
            .filter(account::Column::Login.eq(key.as_str()))
            .one(self.db)
            .await?;
        let stored_hash = found
            .as_ref()
            .map(|a| a.password_hash.clone())
            .unwrap_or_else(|| password::dummy_hash().to_string());
        let password_ok = password::verify_blocking(password.to_string(), stored_hash).await;

        let account = match found {
            Some(account) if password_ok && account.active => account,
            other => {
                self.record_failure(&key, other.as_ref().map(|a| a.id))
                    .await?;
                return Err(ApiError::Unauthenticated(BAD_CREDENTIALS.into()));
            }
        };

        let txn = self.db.begin().await?;
        login_throttle::Entity::delete_by_id(key.clone())
            .exec(&txn)
            .await?;
        let session_id = Uuid::now_v7();
        auth_session::ActiveModel {
            id: Set(session_id),
            account_id: Set(account.id),
            created_at: Set(now),
            last_refreshed_at: Set(now),
            expires_at: Set(now + self.refresh_ttl),
            revoked_at: Set(None),
            revoked_reason: Set(None),
        }
        .insert(&txn)
        .await?;
        let refresh = self.store_refresh_token(&txn, session_id, now).await?;
        record(
            &txn,
            AuditEntry {
                actor_id: Some(account.id),
                actor_login: Some(account.login.clone()),
                action: AuditAction::Login,
                entity_type: Some("Account"),
                entity_id: Some(account.id.to_string()),
                changed_fields: Vec::new(),
                reason: None,
                request_id: Some(self.request_id.to_string()),
                captured_at: None,
            },
        )
        .await?;
        txn.commit().await?;
        tracing::info!(account_id = %account.id, "login succeeded");

        let (access_token, expires_in) = self.keys.issue(account.id, session_id);
        Ok(IssuedTokens {
            access_token,
            refresh_token: refresh,
            expires_in,
            account,
        })
    }

    /// Counts one login attempt for `key` and decides the lock in the same single statement
    /// (an upsert whose update only applies while the login is not locked), so concurrent
    /// attempts cannot all read "not locked" and then all be checked. `Err(seconds)` when the
    /// login is locked. The count is cleared only by a successful login. One statement also
    /// means no read-then-write transaction, which on SQLite fails with "database is locked"
    /// instead of waiting for the writer ahead of it.
    async fn reserve_attempt(&self, key: &str, now: DateTime<Utc>) -> ApiResult<Result<(), u64>> {
        // A flood against a locked login is answered from one read: the write below would not
        // apply anyway, and on SQLite even a no-op upsert queues for the single write lock.
        if let Some(left) = self.locked_for(key, now).await? {
            return Ok(Err(left));
        }
        if self
            .db
            .query_one(&self.reservation(key, now))
            .await?
            .is_some()
        {
            return Ok(Ok(()));
        }
        // Locked meanwhile: the update did not apply. Say how long is left.
        Ok(Err(self.locked_for(key, now).await?.unwrap_or(1)))
    }

    /// Seconds (at least one) until `key` may try again, when it is locked now.
    async fn locked_for(&self, key: &str, now: DateTime<Utc>) -> ApiResult<Option<u64>> {
        let until = login_throttle::Entity::find_by_id(key.to_string())
            .one(self.db)
            .await?
            .and_then(|t| t.locked_until)
            .filter(|until| *until > now);
        Ok(until.map(|u| (u - now).num_seconds().max(1) as u64))
    }

    /// `INSERT … ON CONFLICT (login_key) DO UPDATE SET failures = failures + 1, locked_until =
    /// CASE … END WHERE not locked RETURNING failures`: a row comes back when the attempt
    /// may go ahead.
    fn reservation(&self, key: &str, now: DateTime<Utc>) -> sea_orm::sea_query::InsertStatement {
        use login_throttle::Column as C;
        use sea_orm::sea_query::{CaseStatement, ExprTrait, OnConflict, Query};

        let table = login_throttle::Entity;
        let attempts = Expr::col((table, C::Failures)).add(1);
        // locked_until as a function of the new count: NULL below `max_failures`, then one
        // branch per doubling of the wait until it reaches its cap. CASE takes the first
        // branch that holds, so the longest wait comes first.
        let mut waits = Vec::new();
        for over in 0..=20 {
            let wait = self.wait_after(over);
            waits.push((over, wait));
            if wait >= self.login.max_lockout {
                break;
            }
        }
        let mut lock = CaseStatement::new();
        for (over, wait) in waits.into_iter().rev() {
            lock = lock.case(
                attempts.clone().gte(self.login.max_failures + over),
                Expr::value(now + wait),
            );
        }
        let lock = lock.finally(Expr::value(Option::<DateTime<Utc>>::None));
        let first_lock = self.lockout_until(1, now);
        Query::insert()
            .into_table(table)
            .columns([C::LoginKey, C::Failures, C::LastFailureAt, C::LockedUntil])
            .values_panic([key.into(), 1.into(), now.into(), first_lock.into()])
            .on_conflict(
                OnConflict::column(C::LoginKey)
                    .value(C::Failures, attempts.clone())
                    .value(C::LastFailureAt, Expr::value(now))
                    .value(C::LockedUntil, lock)
                    .action_and_where(
                        Expr::col((table, C::LockedUntil)).is_null().or(Expr::col((
                            table,
                            C::LockedUntil,
                        ))
                        .lte(now)),
                    )
                    .to_owned(),
            )
            .returning_col(C::Failures)
            .to_owned()
    }

    /// The attempt was counted by `reserve_attempt`; only the audit event remains.
    async fn record_failure(&self, key: &str, account_id: Option<Uuid>) -> ApiResult<()> {
        record(
            self.db,
            AuditEntry {
                actor_id: account_id,
                actor_login: Some(key.to_string()),
                action: AuditAction::LoginFailed,
                entity_type: account_id.map(|_| "Account"),
                entity_id: account_id.map(|id| id.to_string()),
                changed_fields: Vec::new(),
                reason: None,
                request_id: Some(self.request_id.to_string()),
                captured_at: None,
            },
        )
        .await?;
        tracing::warn!("login failed");
        Ok(())
    }

    /// After `max_failures` failures, each further one locks the login for a wait that doubles
    /// (2 s, 4 s, 8 s … up to 15 minutes). A success clears the counter.
    fn lockout_until(&self, failures: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let over = failures - self.login.max_failures;
        (over >= 0).then(|| now + self.wait_after(over))
    }

    /// The wait after the attempt `over` attempts beyond `max_failures`.
    fn wait_after(&self, over: i32) -> std::time::Duration {
        self.login
            .base_lockout
            .saturating_mul(1u32 << over.clamp(0, 20) as u32)
            .min(self.login.max_lockout)
    }

    async fn store_refresh_token(
        &self,
        conn: &impl ConnectionTrait,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<String> {
        let token = tokens::new_refresh_token();
        refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(session_id),
            token_hash: Set(tokens::hash_refresh_token(&token)),
            created_at: Set(now),
            expires_at: Set(now + self.refresh_ttl),
            rotated_at: Set(None),
        }
        .insert(conn)
        .await?;
        Ok(token)
    }

    /// Exchanges a refresh token for a new pair. A token that was already exchanged is a sign
    /// of theft: the whole session (every token descended from the same login) is revoked.
    pub async fn refresh(&self, presented: &str) -> ApiResult<IssuedTokens> {
        let invalid =
            || ApiError::Unauthenticated("the refresh token is invalid or expired".into());
        let now = Utc::now();
        let Some((token, Some(session))) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(tokens::hash_refresh_token(presented)))
            .find_also_related(auth_session::Entity)
            .one(self.db)
            .await?
        else {
            return Err(invalid());
        };
        if token.rotated_at.is_some() {
            revoke_sessions(self.db, &[session.id], "REFRESH_TOKEN_REUSE").await?;
            crate::live::account_changed_locally(self.db, session.account_id);
            tracing::warn!(session_id = %session.id, "refresh token reused; session revoked");
            return Err(invalid());
        }
        if token.expires_at <= now || session.revoked_at.is_some() || session.expires_at <= now {
            return Err(invalid());
        }
        let Some(account) = account::Entity::find_by_id(session.account_id)
            .one(self.db)
            .await?
        else {
            return Err(invalid());
        };
        if !account.active {
            return Err(invalid());
        }

        let txn = self.db.begin().await?;
        // Conditional update: of two concurrent exchanges of one token, only one wins; the
        // other is treated as reuse.
        let rotated = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(token.id))
            .filter(refresh_token::Column::RotatedAt.is_null())
            .exec(&txn)
            .await?;
        if rotated.rows_affected != 1 {
            txn.rollback().await?;
            revoke_sessions(self.db, &[session.id], "REFRESH_TOKEN_REUSE").await?;
            crate::live::account_changed_locally(self.db, session.account_id);
            return Err(invalid());
        }
        auth_session::Entity::update_many()
            .col_expr(auth_session::Column::LastRefreshedAt, Expr::value(now))
            .filter(auth_session::Column::Id.eq(session.id))
            .exec(&txn)
            .await?;
        let refresh = self.store_refresh_token(&txn, session.id, now).await?;
        record(
            &txn,
            AuditEntry {
                actor_id: Some(account.id),
                actor_login: Some(account.login.clone()),
                action: AuditAction::Update,
                entity_type: Some("Session"),
                entity_id: Some(session.id.to_string()),
                changed_fields: vec!["refreshToken".into()],
                reason: None,
                request_id: Some(self.request_id.to_string()),
                captured_at: None,
            },
        )
        .await?;
        txn.commit().await?;

        let (access_token, expires_in) = self.keys.issue(account.id, session.id);
        Ok(IssuedTokens {
            access_token,
            refresh_token: refresh,
            expires_in,
            account,
        })
    }
}

/// Revokes sessions (and with them every refresh and access token issued in them).
pub async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    session_ids: &[Uuid],
    reason: &str,
) -> ApiResult<u64> {
    if session_ids.is_empty() {
        return Ok(0);
    }
    let res = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(auth_session::Column::RevokedReason, Expr::value(reason))
        .filter(auth_session::Column::Id.is_in(session_ids.iter().copied()))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Revokes every open session of an account (deactivation, role or scope change, password
/// reset).
pub async fn revoke_account_sessions(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    reason: &str,
) -> ApiResult<u64> {
    let res = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(auth_session::Column::RevokedReason, Expr::value(reason))
        .filter(auth_session::Column::AccountId.eq(account_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Turns a verified access token into a `Viewer`, with one query: the token's session must be
/// open and its account active. Role, scopes and agency come from the database, not the token.
pub async fn resolve_viewer(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    bearer: &str,
) -> ApiResult<Viewer> {
    let claims = keys.verify(bearer).map_err(|_| invalid_token())?;
    Ok(Viewer::Account(read_viewer(db, &claims).await?.0))
}

/// [`resolve_viewer`], reusing a session this replica resolved recently while the session
/// cache may be trusted (`auth::session_cache`; PostgreSQL with `APP_SESSION_CACHE_SECS`).
/// For requests; live connections re-check with [`resolve_viewer`].
pub async fn resolve_viewer_cached(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    live: &crate::live::LiveBus,
    bearer: &str,
) -> ApiResult<Viewer> {
    let cache = &live.sessions;
    if !cache.enabled() {
        return resolve_viewer(db, keys, bearer).await;
    }
    // The listener keeps the cache current; it starts with the first request.
    live.ensure_listening().await;
    let claims = keys.verify(bearer).map_err(|_| invalid_token())?;
    if let Some(viewer) = cache.viewer(claims.sid, claims.sub) {
        return Ok(Viewer::Account(viewer));
    }
    let generation = cache.generation();
    let (viewer, session_expires_at) = read_viewer(db, &claims).await?;
    if let Some(generation) = generation {
        cache.keep(generation, viewer.clone(), session_expires_at);
    }
    Ok(Viewer::Account(viewer))
}

fn invalid_token() -> ApiError {
    ApiError::Unauthenticated("the access token is invalid or expired".into())
}

/// The viewer of verified `claims` and its session's expiry, with one query: the token's
/// session must be open and its account active.
async fn read_viewer(
    db: &DatabaseConnection,
    claims: &tokens::Claims,
) -> ApiResult<(AccountViewer, DateTime<Utc>)> {
    let Some((session, Some(account))) = auth_session::Entity::find_by_id(claims.sid)
        .find_also_related(account::Entity)
        .one(db)
        .await?
    else {
        return Err(invalid_token());
    };
    if session.account_id != claims.sub
        || session.revoked_at.is_some()
        || session.expires_at <= Utc::now()
        || !account.active
    {
        return Err(invalid_token());
    }
    let viewer = AccountViewer {
        id: account.id,
        login: account.login,
        role: account.role,
        area_scopes: if matches!(account.role, Role::Admin | Role::Agency) {
            Vec::new()
        } else {
            account.area_scopes.0
        },
        agency_id: account.agency_id,
        session_id: session.id,
    };
    Ok((viewer, session.expires_at))
}
