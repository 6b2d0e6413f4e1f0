//! Who may call which root field: the table below is the specification.
use entity::enums::Role;
use serde_json::json;

use crate::helpers::{
    Client, TestApp,
    fixtures::{AccountBuilder, new_agency},
};

/// ✓ allowed, U unauthenticated, F forbidden; BAD_USER_INPUT means the role got past the guard
/// to input validation (the inputs here are deliberately invalid, so nothing is written).
const MATRIX: &[(&str, &str)] = &[
    //                                                   anon ADMIN COORD SURV AGENCY ANALYST
    ("{ me { id } }", "U ✓ ✓ ✓ ✓ ✓"),
    ("{ areas(first: 1) { totalCount } }", "U ✓ ✓ ✓ ✓ ✓"),
    ("{ area(code: \"52\") { code } }", "U ✓ ✓ ✓ ✓ ✓"),
    ("{ agencies(first: 1) { totalCount } }", "U ✓ ✓ ✓ ✓ ✓"),
    ("{ accounts(first: 1) { totalCount } }", "U ✓ F F F F"),
    ("{ auditEvents(first: 1) { totalCount } }", "U ✓ F F F F"),
    ("{ node(id: \"QXJlYTo1Mg\") { id } }", "U ✓ ✓ ✓ ✓ ✓"),
    (
        "mutation { createAgency(input: { name: \"X\", type: NGO }) { agency { id } } }",
        "U ✓ F F F F",
    ),
    (
        "mutation { createAccount(input: { login: \"zz-new\", displayName: \"Z\", password: \"long enough password 1\", role: ANALYST }) { account { id } } }",
        "U ✓ F F F F",
    ),
    (
        "mutation { setAreaTargetCohort(input: { codes: [\"52\"], target: true }) { areas { code } } }",
        "U ✓ F F F F",
    ),
    ("mutation { logout { revokedSessions } }", "U ✓ ✓ ✓ ✓ ✓"),
];

#[actix_web::test]
async fn every_root_field_admits_exactly_the_roles_in_the_matrix() {
    let app = TestApp::spawn().await;
    let mut clients: Vec<Option<Client>> = vec![None];
    for role in [
        Role::Admin,
        Role::Coordinator,
        Role::Surveyor,
        Role::Agency,
        Role::Analyst,
    ] {
        clients.push(Some(app.client(role).await));
    }
    let names = [
        "anonymous",
        "ADMIN",
        "COORDINATOR",
        "SURVEYOR",
        "AGENCY",
        "ANALYST",
    ];
    let mut failures = Vec::new();
    for (query, row) in MATRIX {
        let expected: Vec<&str> = row.split_whitespace().collect();
        for (i, client) in clients.iter().enumerate() {
            // Logout ends the session, so it runs on a fresh one.
            let token = match (client, query.contains("logout")) {
                (None, _) => None,
                (Some(c), true) => Some(app.client_for(&c.account).await.token),
                (Some(c), false) => Some(c.token.clone()),
            };
            let res = app.gql(token.as_deref(), query, json!({})).await;
            let got = match res.code() {
                None => "✓",
                Some("UNAUTHENTICATED") => "U",
                Some("FORBIDDEN") => "F",
                Some(other) => other,
            };
            if got != expected[i] {
                failures.push(format!(
                    "{} as {}: expected {}, got {} ({})",
                    query, names[i], expected[i], got, res.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[actix_web::test]
async fn node_applies_the_same_scope_as_the_typed_fields() {
    let app = TestApp::spawn().await;
    let agency = new_agency(&app, "RMUT").await;
    let other_agency = new_agency(&app, "Other").await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let agency_a = app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(agency.id)
                .create(&app)
                .await,
        )
        .await;
    let agency_b = AccountBuilder::new(Role::Agency)
        .agency(agency.id)
        .create(&app)
        .await;
    let outsider = AccountBuilder::new(Role::Agency)
        .agency(other_agency.id)
        .create(&app)
        .await;

    let q = "query($id: ID!) { node(id: $id) { id ... on Account { login } } }";
    let id = |a: &entity::account::Model| api::graphql::node::encode("Account", a.id);
    // Admin sees any account; a coordinator sees only themselves.
    assert!(
        !app.gql(
            Some(&admin.token),
            q,
            json!({ "id": id(&coordinator.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        app.gql(
            Some(&coordinator.token),
            q,
            json!({ "id": id(&admin.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        !app.gql(
            Some(&coordinator.token),
            q,
            json!({ "id": id(&coordinator.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    // Agency staff see colleagues, not staff of other agencies.
    assert!(
        !app.gql(Some(&agency_a.token), q, json!({ "id": id(&agency_b) }))
            .await
            .data("/node")
            .is_null()
    );
    assert!(
        app.gql(Some(&agency_a.token), q, json!({ "id": id(&outsider) }))
            .await
            .data("/node")
            .is_null()
    );
    // Audit events are ADMIN-only through node too.
    let events = app
        .gql(
            Some(&admin.token),
            "{ auditEvents(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let event_id = events.data("/auditEvents/nodes/0/id").clone();
    assert!(
        !app.gql(Some(&admin.token), q, json!({ "id": event_id }))
            .await
            .data("/node")
            .is_null()
    );
    assert!(
        app.gql(Some(&coordinator.token), q, json!({ "id": event_id }))
            .await
            .data("/node")
            .is_null()
    );
    // nodes() keeps order and answers null per unseen id.
    let res = app
        .gql(
            Some(&coordinator.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [id(&admin.account), id(&coordinator.account)] }),
        )
        .await;
    assert!(res.data("/nodes/0").is_null());
    assert_eq!(res.data("/nodes/1/id"), &json!(id(&coordinator.account).0));
    // A malformed id is bad input.
    app.gql(Some(&admin.token), q, json!({ "id": "%%%" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("id"));
}
