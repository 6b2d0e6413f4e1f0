use entity::enums::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, builders::AgencyBuilder, fixtures::AccountBuilder};

const EVENTS: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { totalCount nodes { action entityType entityId changedFields requestId actorLogin actor { login } } } }";

/// The mutations only ADMIN may call, read from the authorization matrix (which is itself
/// checked against the schema's root fields).
fn admin_only_mutations() -> std::collections::BTreeSet<&'static str> {
    crate::authorization_matrix::FIELDS
        .iter()
        .chain(crate::authorization_matrix::CASEWORK_FIELDS)
        .filter(|(_, roles, op)| {
            op.trim_start().starts_with("mutation")
                && roles.split_whitespace().collect::<Vec<_>>() == ["U", "✓", "F", "F", "F", "F"]
        })
        .map(|(field, _, _)| *field)
        .collect()
}

#[actix_web::test]
async fn every_admin_mutation_is_audited_with_the_changed_fields_and_request_id() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = app.client(Role::Surveyor).await;
    let agency = AgencyBuilder::new("Audited agency").create(&app).await;
    let agency_id = api::graphql::node::encode("Agency", agency.id);
    let staff_id = staff.id();
    let staff_uuid = staff.account.id.to_string();

    // (root field, operation, variables, action, entity type, entity id or "" for the new
    // object, changed fields) in an order that makes each call change something.
    let calls: Vec<(
        &str,
        &str,
        serde_json::Value,
        &str,
        &str,
        String,
        serde_json::Value,
    )> = vec![
        (
            "createAccount",
            "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } } }",
            json!({ "i": { "login": "audited.one", "displayName": "Audited One",
                "password": "long enough password 1", "role": "COORDINATOR", "areaScopes": ["52"] } }),
            "CREATE",
            "Account",
            String::new(),
            json!([
                "login",
                "displayName",
                "role",
                "areaScopes",
                "agencyId",
                "password"
            ]),
        ),
        (
            "updateAccount",
            "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { version } } }",
            json!({ "i": { "id": staff_id, "version": 1, "displayName": "Renamed", "areaScopes": ["95"] } }),
            "UPDATE",
            "Account",
            staff_uuid.clone(),
            json!(["displayName", "areaScopes"]),
        ),
        (
            "deactivateAccount",
            "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { active } } }",
            json!({ "i": { "id": staff_id } }),
            "UPDATE",
            "Account",
            staff_uuid.clone(),
            json!(["active"]),
        ),
        (
            "reactivateAccount",
            "mutation($i: AccountIdInput!) { reactivateAccount(input: $i) { account { active } } }",
            json!({ "i": { "id": staff_id } }),
            "UPDATE",
            "Account",
            staff_uuid.clone(),
            json!(["active"]),
        ),
        (
            "resetAccountPassword",
            "mutation($i: ResetAccountPasswordInput!) { resetAccountPassword(input: $i) { account { id } } }",
            json!({ "i": { "id": staff_id, "newPassword": "another long password 2" } }),
            "UPDATE",
            "Account",
            staff_uuid.clone(),
            json!(["password"]),
        ),
        (
            "createAgency",
            "mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id } } }",
            json!({ "i": { "name": "A new agency", "type": "NGO", "coverageAreaCodes": ["95"] } }),
            "CREATE",
            "Agency",
            String::new(),
            json!(["name", "nameEn", "type", "contact", "coverage"]),
        ),
        (
            "updateAgency",
            "mutation($i: UpdateAgencyInput!) { updateAgency(input: $i) { agency { version } } }",
            json!({ "i": { "id": agency_id, "version": 1, "contactName": "Khun Dao" } }),
            "UPDATE",
            "Agency",
            agency.id.to_string(),
            json!(["contactName"]),
        ),
        (
            "setAreaTargetCohort",
            "mutation($i: SetAreaTargetCohortInput!) { setAreaTargetCohort(input: $i) { areas { code } } }",
            json!({ "i": { "codes": ["5201"], "target": true } }),
            "UPDATE",
            "Area",
            "5201".into(),
            json!(["cohorts"]),
        ),
        (
            "addPovertyLine",
            "mutation($i: SetPovertyLineInput!) { addPovertyLine(input: $i) { yearBe } }",
            json!({ "i": { "yearBe": 2567, "povertyLine": 3078, "poorest40Cut": 5900, "median": 7200 } }),
            "CREATE",
            "PovertyLine",
            "2567".into(),
            json!(["povertyLine", "poorest40Cut", "median"]),
        ),
    ];
    let called: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.0).collect();
    assert_eq!(
        called,
        admin_only_mutations(),
        "every ADMIN-only mutation of the matrix is called here"
    );

    for (field, query, variables, action, entity_type, entity_id, fields) in &calls {
        let request_id = format!("req-{field}");
        let req = actix_web::test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("content-type", "application/json"))
            .insert_header(("authorization", format!("Bearer {}", admin.token)))
            .insert_header(("x-request-id", request_id.as_str()))
            .set_payload(json!({ "query": query, "variables": variables }).to_string());
        let res = app.send(req).await;
        assert_eq!(
            res.headers.get("x-request-id").unwrap(),
            request_id.as_str()
        );
        res.data(&format!("/{field}"));

        let events = app
            .gql(
                Some(&admin.token),
                "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) { nodes { action entityType entityId changedFields requestId actor { login } } } }",
                json!({ "f": { "actorId": admin.id() } }),
            )
            .await;
        let ours: Vec<&serde_json::Value> = events
            .data("/auditEvents/nodes")
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["requestId"] == request_id.as_str())
            .collect();
        assert_eq!(ours.len(), 1, "{field}: {}", events.body);
        let event = ours[0];
        assert_eq!(event["action"], *action, "{field}");
        assert_eq!(event["entityType"], *entity_type, "{field}");
        if !entity_id.is_empty() {
            let expected = api::graphql::node::encode(entity_type, entity_id);
            assert_eq!(event["entityId"], expected.as_str(), "{field}: {event}");
        }
        assert_eq!(&event["changedFields"], fields, "{field}");
        assert_eq!(
            event["actor"]["login"],
            admin.account.login.as_str(),
            "{field}"
        );
    }
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
