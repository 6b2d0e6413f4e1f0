//! The session cache (`APP_SESSION_CACHE_SECS`, PostgreSQL): a replica reuses a session it
//! resolved, and drops it as soon as the database says it changed — whoever changed it.
//! On SQLite the cache is off and every request reads its session.
use std::time::{Duration, Instant};

use entity::enums::Role;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::helpers::{Client, TestApp};

const ME: &str = "{ me { id login } }";
const DEADLINE: Duration = Duration::from_secs(10);

/// The app, and whether it runs on PostgreSQL (where the cache is on).
async fn app() -> (TestApp, bool) {
    // A lifetime far beyond the deadlines below: only the listener can end an entry early.
    let app = TestApp::spawn_with(|s| s.live.session_cache = Duration::from_secs(600)).await;
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    assert_eq!(app.state.services.live.sessions.enabled(), postgres);
    (app, postgres)
}

/// Statements of one `me` request.
async fn me_statements(app: &TestApp, user: &Client) -> usize {
    app.reset_statements().await;
    let res = app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    app.statements()
}

/// Revokes `user`'s sessions in SQL, as another process would: nothing in this process is
/// told, only the database's notification.
async fn revoke_in_sql(app: &TestApp, user: &Client) {
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE auth_session SET revoked_at = now(), revoked_reason = 'TEST' \
             WHERE account_id = $1 AND revoked_at IS NULL",
            [user.account.id.into()],
        ))
        .await
        .expect("revoke");
}

/// Requests `me` until it is refused; the time that took.
async fn until_refused(app: &TestApp, user: &Client) -> Duration {
    let start = Instant::now();
    loop {
        let res = app.gql(Some(&user.token), ME, json!({})).await;
        if res.status == 401 {
            res.assert_error("UNAUTHENTICATED", None);
            return start.elapsed();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "a session revoked in the database was still accepted after {DEADLINE:?}"
        );
        tokio::task::yield_now().await;
    }
}

#[actix_web::test]
async fn a_kept_session_costs_no_statement_and_a_revocation_by_another_process_ends_it() {
    let (app, postgres) = app().await;
    let user = app.client(Role::Surveyor).await;
    let first = me_statements(&app, &user).await;
    let again = me_statements(&app, &user).await;
    if !postgres {
        assert_eq!(again, first, "SQLite reads the session every time");
        return;
    }
    assert_eq!(again, first - 1, "the second request reuses the session");
    assert_eq!(app.state.services.live.sessions.len(), 1);

    revoke_in_sql(&app, &user).await;
    until_refused(&app, &user).await;
    assert!(app.state.services.live.sessions.is_empty());
}

#[actix_web::test]
async fn a_change_made_by_this_process_takes_effect_at_once() {
    let (app, _) = app().await;
    let admin = app.client(Role::Admin).await;
    let user = app.client(Role::Surveyor).await;
    me_statements(&app, &user).await;
    me_statements(&app, &user).await;
    let res = app
        .gql(
            Some(&admin.token),
            "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { active } } }",
            json!({ "i": { "id": user.id() } }),
        )
        .await;
    assert_eq!(res.data("/deactivateAccount/account/active"), false);
    // The very next request: no waiting for the notification.
    let res = app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(res.status, 401, "{}", res.body);
}

#[actix_web::test]
async fn when_the_listener_loses_its_connection_nothing_kept_is_trusted() {
    let (app, postgres) = app().await;
    if !postgres {
        return;
    }
    let user = app.client(Role::Surveyor).await;
    me_statements(&app, &user).await;
    me_statements(&app, &user).await;
    let sessions = app.state.services.live.sessions.clone();
    assert_eq!(sessions.len(), 1);
    // Cut the listener's connection: notifications sent until it listens again are lost.
    app.db
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        ))
        .await
        .expect("terminate");
    let start = Instant::now();
    while !sessions.is_empty() {
        assert!(start.elapsed() < DEADLINE, "the loss was not noticed");
        tokio::task::yield_now().await;
    }
    // Revoked while the listener may still be away: the next request reads the database.
    revoke_in_sql(&app, &user).await;
    let res = app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(res.status, 401, "{}", res.body);
}
