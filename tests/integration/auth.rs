use api::config::DEVELOPMENT_JWT_SECRET;
use entity::enums::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, fixtures::AccountBuilder};

const ME: &str = "{ me { id login displayName role areaScopes agency { id name } } }";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken expiresIn account { id login role } } }";
const REFRESH: &str = "mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { accessToken refreshToken expiresIn account { id login role } } }";

#[actix_web::test]
async fn a_new_admin_logs_in_and_reads_me() {
    let app = TestApp::spawn().await;
    let admin = AccountBuilder::new(Role::Admin)
        .login("admin")
        .create(&app)
        .await;

    let res = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": "ADMIN ", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(res.data("/login/account/login"), "admin");
    assert_eq!(res.data("/login/account/role"), "ADMIN");
    assert_eq!(res.data("/login/expiresIn"), 900);
    let token = res.data("/login/accessToken").as_str().unwrap().to_string();

    let me = app.gql(Some(&token), ME, json!({})).await;
    assert_eq!(me.data("/me/login"), "admin");
    assert_eq!(me.data("/me/displayName"), admin.display_name.as_str());
    assert_eq!(me.data("/me/areaScopes"), &json!([]));
}

#[actix_web::test]
async fn me_without_a_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let res = app.gql(None, ME, json!({})).await;
    assert_eq!(res.status, 200);
    res.assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_answer() {
    let app = TestApp::spawn().await;
    AccountBuilder::new(Role::Admin)
        .login("admin")
        .create(&app)
        .await;

    let wrong = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": "admin", "password": "not the password" } }),
        )
        .await;
    let unknown = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": "nobody", "password": "not the password" } }),
        )
        .await;
    wrong.assert_error("UNAUTHENTICATED", None);
    unknown.assert_error("UNAUTHENTICATED", None);
    assert_eq!(wrong.message(), unknown.message());
    assert!(
        wrong
            .body
            .pointer("/data/login")
            .is_none_or(|v| v.is_null())
    );
}

#[actix_web::test]
async fn a_deactivated_account_cannot_log_in_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = AccountBuilder::new(Role::Surveyor).create(&app).await;
    let id = api::graphql::node::encode("Account", staff.id);
    app.gql(
        Some(&admin.token),
        "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { active } } }",
        json!({ "i": { "id": id } }),
    )
    .await
    .data("/deactivateAccount/account/active");

    let res = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": staff.login, "password": PASSWORD } }),
        )
        .await;
    res.assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn repeated_failures_for_one_login_are_slowed_down_with_retry_after() {
    let app = TestApp::spawn().await;
    AccountBuilder::new(Role::Admin)
        .login("admin")
        .create(&app)
        .await;
    let bad = json!({ "i": { "login": "admin", "password": "wrong password!" } });
    for _ in 0..5 {
        app.gql(None, LOGIN, bad.clone())
            .await
            .assert_error("UNAUTHENTICATED", None);
    }
    // Locked now: even the right password waits, and the error says how long.
    let res = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": "admin", "password": PASSWORD } }),
        )
        .await;
    res.assert_error("RATE_LIMITED", None);
    let retry = res.body.pointer("/errors/0/extensions/retryAfter").unwrap();
    assert!(retry.as_u64().unwrap() >= 1);
    // Unknown logins are throttled the same way (no enumeration through the throttle).
    for _ in 0..5 {
        app.gql(
            None,
            LOGIN,
            json!({ "i": { "login": "ghost", "password": "x" } }),
        )
        .await;
    }
    app.gql(
        None,
        LOGIN,
        json!({ "i": { "login": "ghost", "password": "x" } }),
    )
    .await
    .assert_error("RATE_LIMITED", None);
}

#[actix_web::test]
async fn thirty_parallel_wrong_passwords_check_at_most_five_and_the_rest_are_rate_limited() {
    use entity::{audit_event, enums::AuditAction};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    // A long first wait, so that the lock set by the fifth attempt is still on when the test
    // tries the right password (no dependence on how fast the machine hashes).
    let app =
        TestApp::spawn_with(|s| s.login.base_lockout = std::time::Duration::from_secs(3600)).await;
    AccountBuilder::new(Role::Admin)
        .login("admin")
        .create(&app)
        .await;
    let bad = json!({ "i": { "login": "admin", "password": "wrong password!" } });

    let answers =
        futures::future::join_all((0..30).map(|_| app.gql(None, LOGIN, bad.clone()))).await;

    let mut checked = 0;
    for res in &answers {
        match res.code() {
            Some("UNAUTHENTICATED") => checked += 1,
            Some("RATE_LIMITED") => {
                let retry = res.body.pointer("/errors/0/extensions/retryAfter");
                assert!(
                    retry.and_then(|r| r.as_u64()).is_some_and(|r| r >= 1),
                    "body: {}",
                    res.body
                );
            }
            _ => panic!("expected UNAUTHENTICATED or RATE_LIMITED: {}", res.body),
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked"
    );
    // Every checked password is one LOGIN_FAILED event: no more were verified than answered.
    let failed = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(AuditAction::LoginFailed))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed, checked as u64);
    // Still locked: even the right password waits.
    app.gql(
        None,
        LOGIN,
        json!({ "i": { "login": "admin", "password": PASSWORD } }),
    )
    .await
    .assert_error("RATE_LIMITED", None);
}

#[actix_web::test]
async fn a_refresh_token_works_once_and_reusing_it_ends_the_session() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Coordinator).await;

    let first = app
        .gql(
            None,
            REFRESH,
            json!({ "i": { "refreshToken": user.refresh } }),
        )
        .await;
    let new_access = first
        .data("/refreshToken/accessToken")
        .as_str()
        .unwrap()
        .to_string();
    let new_refresh = first
        .data("/refreshToken/refreshToken")
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_refresh, user.refresh);
    assert_eq!(
        app.gql(Some(&new_access), ME, json!({}))
            .await
            .data("/me/login"),
        user.account.login.as_str()
    );

    // The old token again: refused, and the whole family with it.
    app.gql(
        None,
        REFRESH,
        json!({ "i": { "refreshToken": user.refresh } }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);
    app.gql(
        None,
        REFRESH,
        json!({ "i": { "refreshToken": new_refresh } }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);
    let res = app.gql(Some(&new_access), ME, json!({})).await;
    assert_eq!(res.status, 401);
    res.assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn logout_ends_the_session_for_both_tokens() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Surveyor).await;
    let res = app
        .gql(
            Some(&user.token),
            "mutation { logout { revokedSessions } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/logout/revokedSessions"), 1);
    assert_eq!(app.gql(Some(&user.token), ME, json!({})).await.status, 401);
    app.gql(
        None,
        REFRESH,
        json!({ "i": { "refreshToken": user.refresh } }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn logout_everywhere_ends_every_session_of_the_account() {
    let app = TestApp::spawn().await;
    let phone = app.client(Role::Surveyor).await;
    let laptop = app.client_for(&phone.account).await;
    let res = app
        .gql(
            Some(&phone.token),
            "mutation { logout(input: { everywhere: true }) { revokedSessions } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/logout/revokedSessions"), 2);
    assert_eq!(
        app.gql(Some(&laptop.token), ME, json!({})).await.status,
        401
    );
}

#[actix_web::test]
async fn deactivation_and_role_changes_revoke_tokens_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let analyst = app.client(Role::Analyst).await;

    app.gql(
        Some(&admin.token),
        "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { active } } }",
        json!({ "i": { "id": coordinator.id() } }),
    )
    .await
    .data("/deactivateAccount");
    assert_eq!(
        app.gql(Some(&coordinator.token), ME, json!({}))
            .await
            .status,
        401
    );
    app.gql(
        None,
        REFRESH,
        json!({ "i": { "refreshToken": coordinator.refresh } }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);

    app.gql(
        Some(&admin.token),
        "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { role } } }",
        json!({ "i": { "id": analyst.id(), "version": 1, "role": "SURVEYOR", "areaScopes": ["95"] } }),
    )
    .await
    .data("/updateAccount");
    assert_eq!(
        app.gql(Some(&analyst.token), ME, json!({})).await.status,
        401
    );
    // Signing in again gives the new role.
    let again = app.client_for(&analyst.account).await;
    let me = app.gql(Some(&again.token), ME, json!({})).await;
    assert_eq!(me.data("/me/role"), "SURVEYOR");
    assert_eq!(me.data("/me/areaScopes"), &json!(["95"]));
}

#[derive(serde::Serialize)]
struct RawClaims {
    sub: String,
    sid: String,
    iss: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
}

fn sign(claims: &RawClaims, secret: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_web::test]
async fn malformed_expired_forged_unsigned_and_misaddressed_tokens_get_401() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Admin).await;
    let valid = app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(valid.status, 200);

    // Recover the real session id from the valid token, so only one thing differs each time.
    let keys =
        api::auth::tokens::TokenKeys::from_settings(&app.state.services.settings.jwt).unwrap();
    let real = keys.verify(&user.token).unwrap();
    let now = chrono::Utc::now().timestamp();
    let base = || RawClaims {
        sub: real.sub.to_string(),
        sid: real.sid.to_string(),
        iss: "ppaos".into(),
        aud: "ppaos-api".into(),
        exp: now + 600,
        nbf: now - 1,
        iat: now - 1,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    // A correctly made token passes, which proves the cases below fail for their one reason.
    let control = sign(&base(), DEVELOPMENT_JWT_SECRET, Some("k1"));
    assert_eq!(app.gql(Some(&control), ME, json!({})).await.status, 200);

    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = serde_json::to_string(&base()).unwrap();
    let cases = vec![
        ("malformed", "abc.def".to_string()),
        (
            "expired",
            sign(
                &RawClaims {
                    exp: now - 120,
                    ..base()
                },
                DEVELOPMENT_JWT_SECRET,
                Some("k1"),
            ),
        ),
        (
            "not yet valid",
            sign(
                &RawClaims {
                    nbf: now + 600,
                    ..base()
                },
                DEVELOPMENT_JWT_SECRET,
                Some("k1"),
            ),
        ),
        (
            "wrong signature",
            sign(
                &base(),
                "another-secret-that-is-long-enough-000000",
                Some("k1"),
            ),
        ),
        (
            "wrong audience",
            sign(
                &RawClaims {
                    aud: "someone-else".into(),
                    ..base()
                },
                DEVELOPMENT_JWT_SECRET,
                Some("k1"),
            ),
        ),
        (
            "wrong issuer",
            sign(
                &RawClaims {
                    iss: "evil".into(),
                    ..base()
                },
                DEVELOPMENT_JWT_SECRET,
                Some("k1"),
            ),
        ),
        ("no kid", sign(&base(), DEVELOPMENT_JWT_SECRET, None)),
        (
            "unknown kid",
            sign(&base(), DEVELOPMENT_JWT_SECRET, Some("k9")),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
                b64(&payload)
            ),
        ),
    ];
    for (name, token) in cases {
        let res = app.gql(Some(&token), ME, json!({})).await;
        assert_eq!(res.status, 401, "{name}: {}", res.body);
        res.assert_error("UNAUTHENTICATED", None);
        assert_eq!(res.headers.get("www-authenticate").unwrap(), "Bearer");
    }
    let res = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("content-type", "application/json"))
                .insert_header(("authorization", "Basic YWRtaW46YWRtaW4="))
                .set_payload(json!({ "query": ME }).to_string()),
        )
        .await;
    assert_eq!(res.status, 401);
}

#[actix_web::test]
async fn a_rotated_key_keeps_verifying_tokens_signed_with_the_previous_one() {
    let app = TestApp::spawn_with(|s| {
        s.jwt.kid = "k2".into();
        s.jwt.secret = "the-new-signing-secret-0123456789abcdef".to_string().into();
        s.jwt
            .previous_secrets
            .insert("k1".into(), DEVELOPMENT_JWT_SECRET.to_string().into());
    })
    .await;
    let user = app.client(Role::Admin).await;
    // New tokens carry the new kid.
    let header = jsonwebtoken::decode_header(&user.token).unwrap();
    assert_eq!(header.kid.as_deref(), Some("k2"));
    // A token signed before the rotation (old key, kid k1) still works.
    let old_keys = api::auth::tokens::TokenKeys::from_settings(
        &api::config::Settings::for_database("sqlite::memory:").jwt,
    )
    .unwrap();
    let claims = app.state.services.keys.verify(&user.token).unwrap();
    let (old_token, _) = old_keys.issue(claims.sub, claims.sid);
    assert_eq!(app.gql(Some(&old_token), ME, json!({})).await.status, 200);
}

#[actix_web::test]
async fn a_token_check_that_fails_inside_the_server_is_500_not_503() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Admin).await;
    // The database answers, but the session table is gone: a fault of ours, not an outage.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("ALTER TABLE auth_session RENAME TO auth_session_gone")
        .await
        .unwrap();
    let res = app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(res.status, 500, "{}", res.body);
    res.assert_error("INTERNAL_SERVER_ERROR", None);
    assert_eq!(res.message(), "internal error");
    assert!(res.headers.get("retry-after").is_none());
    assert!(!app.state.services.db_health.is_down());
}
