//! `capturedAt`: the client's capture time is kept next to the server's (audit events, the
//! records' client times), checked against the server's clock, and part of the retry key.
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::{audit_event, enums::Role, household};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{
    REGISTER, TestApp,
    fixtures::{LAMPANG_VILLAGE, household_input, seed_villages},
};

const EVENTS: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 20) {
  nodes { action occurredAt capturedAt } } }";
const UPDATE: &str = "mutation($i: UpdateHouseholdInput!) { updateHousehold(input: $i) {
  household { version clientUpdatedAt } } }";

fn text(t: DateTime<Utc>) -> Value {
    json!(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        household::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

#[actix_web::test]
async fn a_capture_time_is_kept_next_to_the_server_time_and_a_retry_with_it_replays() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await;
    let admin = app.client(Role::Admin).await;
    let captured = Utc::now() - Duration::hours(30);
    let mut input = household_input(LAMPANG_VILLAGE, "สมหญิง", 31);
    input["clientUuid"] = json!("0193a000-0000-7000-8000-00000000ca01");
    input["capturedAt"] = text(captured);
    let first = app
        .gql(Some(&surveyor.token), REGISTER, json!({ "i": input }))
        .await;
    let id = first.data("/registerHousehold/household/id").clone();

    // On the record (the household's client creation time) …
    let read = app
        .gql(
            Some(&surveyor.token),
            "query($id: ID!) { household(id: $id) { clientCreatedAt } }",
            json!({ "id": id }),
        )
        .await;
    let kept = time(read.data("/household/clientCreatedAt"));
    assert_eq!(kept.timestamp_millis(), captured.timestamp_millis());
    // … and in the audit event, next to the server's time.
    let events = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "entityId": id } }),
        )
        .await;
    let nodes = events
        .data("/auditEvents/nodes")
        .as_array()
        .unwrap()
        .clone();
    assert!(!nodes.is_empty());
    for event in &nodes {
        assert_eq!(
            time(&event["capturedAt"]).timestamp_millis(),
            captured.timestamp_millis()
        );
        assert!(time(&event["occurredAt"]) > captured + Duration::hours(29));
    }

    // A retry (same key, same capture time) replays: nothing new is written.
    let before = counts(&app).await;
    let retry = app
        .gql(Some(&surveyor.token), REGISTER, json!({ "i": input }))
        .await;
    assert_eq!(retry.data("/registerHousehold/household/id"), &id);
    assert_eq!(counts(&app).await, before);
    // The same key with another capture time is another capture: CONFLICT.
    let mut other = input.clone();
    other["capturedAt"] = text(captured + Duration::minutes(1));
    app.gql(Some(&surveyor.token), REGISTER, json!({ "i": other }))
        .await
        .assert_error("CONFLICT", None);
    assert_eq!(counts(&app).await, before);

    // A write without capturedAt keeps none; with one, the record's client time follows it.
    app.gql(
        Some(&surveyor.token),
        UPDATE,
        json!({ "i": { "householdId": id, "version": 1, "houseNumber": "12/1" } }),
    )
    .await
    .data("/updateHousehold/household/version");
    let later = Utc::now() - Duration::minutes(5);
    let update = app
        .gql(
            Some(&surveyor.token),
            UPDATE,
            json!({ "i": { "householdId": id, "version": 2, "houseNumber": "12/2",
                          "capturedAt": text(later) } }),
        )
        .await;
    let kept = time(update.data("/updateHousehold/household/clientUpdatedAt"));
    assert_eq!(kept.timestamp_millis(), later.timestamp_millis());
    let events = app
        .gql(
            Some(&admin.token),
            EVENTS,
            json!({ "f": { "entityId": id } }),
        )
        .await;
    let captured_times: Vec<&Value> = events
        .data("/auditEvents/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["capturedAt"])
        .collect();
    assert!(captured_times.contains(&&Value::Null), "{captured_times:?}");
    assert!(
        captured_times
            .iter()
            .any(|v| !v.is_null() && time(v).timestamp_millis() == later.timestamp_millis()),
        "{captured_times:?}"
    );
}

#[actix_web::test]
async fn a_capture_time_ahead_of_the_server_or_implausibly_old_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await;
    let before = counts(&app).await;
    for (n, at) in [
        Utc::now() + Duration::minutes(30),
        Utc::now() - Duration::days(200),
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = household_input(LAMPANG_VILLAGE, "สมศักดิ์", 40 + n as u64);
        input["clientUuid"] = json!(format!("0193a000-0000-7000-8000-00000000cb0{n}"));
        input["capturedAt"] = text(at);
        app.gql(Some(&surveyor.token), REGISTER, json!({ "i": input }))
            .await
            .assert_error("BAD_USER_INPUT", Some("capturedAt"));
    }
    assert_eq!(counts(&app).await, before);
    // A clock a few minutes ahead is within the documented skew.
    let mut input = household_input(LAMPANG_VILLAGE, "สมศักดิ์", 49);
    input["capturedAt"] = text(Utc::now() + Duration::minutes(5));
    app.gql(Some(&surveyor.token), REGISTER, json!({ "i": input }))
        .await
        .data("/registerHousehold/household/id");
}
