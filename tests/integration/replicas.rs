//! Two replicas of the service on one database: what one does, the other honours. Each test
//! starts two servers (`TestApp::replica`) with their own pools and in-process state.
use entity::enums::Role;
use serde_json::json;

use api::ops::persisted::sha256_hex;

use crate::{
    helpers::{
        PASSWORD, REGISTER, TestApp,
        fixtures::{AccountBuilder, LAMPANG_VILLAGE, household_input, register, seed_villages},
    },
    operations::{ME as OP_ME, apq_get, apq_post},
};

const ME: &str = "{ me { id login } }";

#[actix_web::test]
async fn a_logout_on_one_replica_ends_the_session_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let user = a.client(Role::Surveyor).await;
    // The session is known to both before the logout (and may be remembered by either).
    assert_eq!(b.gql(Some(&user.token), ME, json!({})).await.status, 200);

    let res = a
        .gql(
            Some(&user.token),
            "mutation { logout { revokedSessions } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/logout/revokedSessions"), 1);

    let on_b = b.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(on_b.status, 401, "body: {}", on_b.body);
    on_b.assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn a_role_change_on_one_replica_takes_effect_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let admin = a.client(Role::Admin).await;
    let other = a.client(Role::Admin).await;
    const ACCOUNTS: &str = "{ accounts(first: 1) { totalCount } }";
    // B has served the other admin before the change.
    let before = b.gql(Some(&other.token), ACCOUNTS, json!({})).await;
    assert!(before.data("/accounts/totalCount").as_u64().unwrap() >= 2);

    a.gql(
        Some(&admin.token),
        "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { role } } }",
        json!({ "i": { "id": other.id(), "version": 1, "role": "SURVEYOR", "areaScopes": ["52"] } }),
    )
    .await
    .data("/updateAccount/account/role");

    let after = b.gql(Some(&other.token), ACCOUNTS, json!({})).await;
    assert!(
        matches!(after.code(), Some("FORBIDDEN") | Some("UNAUTHENTICATED")),
        "body: {}",
        after.body
    );
}

#[actix_web::test]
async fn a_login_lockout_on_one_replica_holds_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    AccountBuilder::new(Role::Surveyor)
        .login("field1")
        .create(&a)
        .await;
    const LOGIN: &str =
        "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }";
    for _ in 0..5 {
        a.gql(
            None,
            LOGIN,
            json!({ "i": { "login": "field1", "password": "wrong password!" } }),
        )
        .await
        .assert_error("UNAUTHENTICATED", None);
    }
    let on_b = b
        .gql(
            None,
            LOGIN,
            json!({ "i": { "login": "field1", "password": PASSWORD } }),
        )
        .await;
    on_b.assert_error("RATE_LIMITED", None);
}

#[actix_web::test]
async fn an_idempotency_key_used_on_one_replica_is_honoured_by_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    seed_villages(&a).await;
    let surveyor = a.client(Role::Surveyor).await;
    let mut input = household_input(LAMPANG_VILLAGE, "สมหญิง", 31);
    input["clientUuid"] = json!("0193a000-0000-7000-8000-00000000beef");
    let first = register(&a, &surveyor.token, input.clone()).await;
    let retry = register(&b, &surveyor.token, input.clone()).await;
    assert_eq!(first["household"]["id"], retry["household"]["id"]);

    input["houseNumber"] = json!("99/9");
    b.gql(Some(&surveyor.token), REGISTER, json!({ "i": input }))
        .await
        .assert_error("CONFLICT", None);
}

#[actix_web::test]
async fn a_persisted_query_registered_on_one_replica_runs_by_hash_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let user = a.client(Role::Surveyor).await;
    let hash = sha256_hex(OP_ME);
    apq_post(&b, Some(&user.token), None, &hash)
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);
    let registered = apq_post(&a, Some(&user.token), Some(OP_ME), &hash).await;
    assert_eq!(registered.data("/me/login"), &json!(user.account.login));
    let on_b = apq_get(&b, Some(&user.token), &hash).await;
    assert_eq!(on_b.data("/me/login"), &json!(user.account.login));
}

#[actix_web::test]
async fn the_request_budget_is_shared_by_the_replicas() {
    let a = TestApp::spawn_with(|s| {
        s.ops.request_budget = 4;
        s.ops.request_budget_window = std::time::Duration::from_secs(3600);
    })
    .await;
    let b = a.replica().await;
    let account = AccountBuilder::new(Role::Surveyor).create(&a).await;
    let (token, _) = a.login(&account.login, PASSWORD).await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(app.gql(Some(&token), ME, json!({})).await.status, 200);
    }
    let over_a = a.gql(Some(&token), ME, json!({})).await;
    over_a.assert_error("RATE_LIMITED", None);
    let over_b = b.gql(Some(&token), ME, json!({})).await;
    assert_eq!(over_b.status, 429);
}
