use entity::enums::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, fixtures::AccountBuilder};

const EVENTS: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { totalCount nodes { action entityType entityId changedFields requestId actorLogin actor { login } } } }";

#[actix_web::test]
async fn every_admin_mutation_is_audited_with_the_changed_fields_and_request_id() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = app.client(Role::Surveyor).await;
    let req = actix_web::test::TestRequest::post()
        .uri("/graphql")
        .insert_header(("content-type", "application/json"))
        .insert_header(("authorization", format!("Bearer {}", admin.token)))
        .insert_header(("x-request-id", "req-update-1"))
        .set_payload(
            json!({
                "query": "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { version } } }",
                "variables": { "i": { "id": staff.id(), "version": 1, "displayName": "Renamed", "areaScopes": ["95"] } }
            })
            .to_string(),
        );
    let res = app.send(req).await;
    assert_eq!(res.headers.get("x-request-id").unwrap(), "req-update-1");
    res.data("/updateAccount");

    let events = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "entityId": staff.id(), "action": "UPDATE" } }),
        )
        .await;
    assert_eq!(events.data("/auditEvents/totalCount"), 1);
    let event = events.data("/auditEvents/nodes/0");
    assert_eq!(event["changedFields"], json!(["displayName", "areaScopes"]));
    assert_eq!(event["requestId"], "req-update-1");
    assert_eq!(event["actor"]["login"], admin.account.login.as_str());
    assert_eq!(event["entityType"], "Account");
}

#[actix_web::test]
async fn logins_and_failed_logins_are_audited_and_filterable() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = AccountBuilder::new(Role::Surveyor).create(&app).await;
    app.gql(
        None,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        json!({ "i": { "login": staff.login, "password": "wrong password here" } }),
    )
    .await;

    let failed = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "action": "LOGIN_FAILED" } }),
        )
        .await;
    assert_eq!(failed.data("/auditEvents/totalCount"), 1);
    assert_eq!(
        failed.data("/auditEvents/nodes/0/actorLogin"),
        staff.login.as_str()
    );

    let by_admin = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "actorId": admin.id(), "action": "LOGIN" } }),
        )
        .await;
    assert_eq!(by_admin.data("/auditEvents/totalCount"), 1);

    let future = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "from": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(future.data("/auditEvents/totalCount"), 0);
    let newest_first = app.gql(Some(&admin.token), EVENTS, json!({})).await;
    assert_eq!(
        newest_first.data("/auditEvents/nodes/0/action"),
        "LOGIN_FAILED"
    );
}

#[actix_web::test]
async fn the_audit_log_cannot_be_rewritten_even_with_sql() {
    let app = TestApp::spawn().await;
    app.client(Role::Admin).await;
    assert!(
        app.db
            .execute_unprepared("UPDATE audit_event SET action = 'LOGIN_FAILED'")
            .await
            .is_err()
    );
    assert!(
        app.db
            .execute_unprepared("DELETE FROM audit_event")
            .await
            .is_err()
    );
}
