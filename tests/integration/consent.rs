//! Consent records and the fail-closed check that says whether an agency may see a household.
use api::consent::service::covering_consent;
use chrono::{Duration, Utc};
use entity::enums::{ConsentPurpose, Role};
use serde_json::json;

use crate::helpers::{
    TestApp,
    builders::{AgencyBuilder, HouseholdBuilder},
    fixtures::seed_villages,
};

const RECORD: &str = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id status purposes recipientAgencyTypes recipientAgencies { name } } } }";

fn uuid_of(id: &serde_json::Value) -> uuid::Uuid {
    let (_, key) = api::graphql::node::decode(id.as_str().unwrap()).unwrap();
    key.parse().unwrap()
}

#[actix_web::test]
async fn an_agency_may_see_a_household_only_with_a_matching_given_unexpired_consent() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await;
    let university = AgencyBuilder::new("RMUT Lanna").create(&app).await; // UNIVERSITY
    let other = AgencyBuilder::new("Another university").create(&app).await;
    let done = HouseholdBuilder::new(5)
        .head("สมศรี")
        .create(&app, &surveyor.token)
        .await
        .registered;
    let household_id = done["household"]["id"].clone();
    let household = uuid_of(&household_id);
    let now = Utc::now();
    let check = |agency: uuid::Uuid, purpose: ConsentPurpose| {
        let db = app.db.clone();
        async move {
            covering_consent(&db, agency, household, purpose, Utc::now())
                .await
                .unwrap()
                .is_some()
        }
    };

    // No record at all: closed.
    assert!(!check(university.id, ConsentPurpose::Referral).await);

    // Refused: closed.
    app.gql(
        Some(&surveyor.token),
        RECORD,
        json!({ "i": { "householdId": household_id, "purposes": ["REFERRAL"],
        "recipientAgencyTypes": ["UNIVERSITY"], "legalBasis": "CONSENT", "status": "REFUSED" } }),
    )
    .await
    .data("/recordConsent");
    assert!(!check(university.id, ConsentPurpose::Referral).await);

    // Given to one named agency for referral: open for it, for that purpose only.
    let given = app.gql(Some(&surveyor.token), RECORD, json!({ "i": { "householdId": household_id, "purposes": ["REFERRAL"],
        "recipientAgencyIds": [api::graphql::node::encode("Agency", university.id)], "legalBasis": "CONSENT", "status": "GIVEN",
        "givenAt": (now - Duration::days(1)).to_rfc3339() } })).await;
    assert_eq!(
        given.data("/recordConsent/consent/recipientAgencies"),
        &json!([{ "name": "RMUT Lanna" }])
    );
    assert!(check(university.id, ConsentPurpose::Referral).await);
    assert!(!check(university.id, ConsentPurpose::Research).await);
    assert!(!check(other.id, ConsentPurpose::Referral).await);
    assert!(!check(uuid::Uuid::now_v7(), ConsentPurpose::Referral).await);

    // Withdrawn: closed again at once.
    let id = given.data("/recordConsent/consent/id").clone();
    let w = app.gql(Some(&surveyor.token), "mutation($i: WithdrawConsentInput!) { withdrawConsent(input: $i) { consent { status } } }", json!({ "i": { "id": id } })).await;
    assert_eq!(w.data("/withdrawConsent/consent/status"), "WITHDRAWN");
    assert!(!check(university.id, ConsentPurpose::Referral).await);

    // Given to a type, but expired: closed; unexpired: open for every agency of that type.
    app.gql(Some(&surveyor.token), RECORD, json!({ "i": { "householdId": household_id, "purposes": ["RESEARCH"],
        "recipientAgencyTypes": ["UNIVERSITY"], "legalBasis": "CONSENT", "status": "GIVEN",
        "givenAt": (now - Duration::days(400)).to_rfc3339(), "expiresAt": (now - Duration::days(35)).to_rfc3339() } })).await.data("/recordConsent");
    assert!(!check(other.id, ConsentPurpose::Research).await);
    app.gql(Some(&surveyor.token), RECORD, json!({ "i": { "householdId": household_id, "purposes": ["RESEARCH", "CASE_MANAGEMENT"],
        "recipientAgencyTypes": ["UNIVERSITY"], "legalBasis": "CONSENT", "status": "GIVEN",
        "givenAt": (now - Duration::days(2)).to_rfc3339(), "expiresAt": (now + Duration::days(365)).to_rfc3339() } })).await.data("/recordConsent");
    assert!(check(other.id, ConsentPurpose::Research).await);
    assert!(check(university.id, ConsentPurpose::CaseManagement).await);

    // An inactive agency sees nothing, whatever the consent says.
    let admin = app.client(Role::Admin).await;
    app.gql(Some(&admin.token), "mutation($i: UpdateAgencyInput!) { updateAgency(input: $i) { agency { active } } }",
        json!({ "i": { "id": api::graphql::node::encode("Agency", other.id), "version": 1, "active": false } })).await.data("/updateAgency");
    assert!(!check(other.id, ConsentPurpose::Research).await);

    let list = app
        .gql(
            Some(&surveyor.token),
            "query($id: ID!) { household(id: $id) { consents { totalCount nodes { status } } } }",
            json!({ "id": household_id }),
        )
        .await;
    assert_eq!(
        list.data("/household/consents/nodes"),
        &json!([{ "status": "REFUSED" }, { "status": "WITHDRAWN" }, { "status": "EXPIRED" }, { "status": "GIVEN" }])
    );
}

#[actix_web::test]
async fn a_consent_without_purpose_recipients_or_date_is_refused_by_field() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await;
    let done = HouseholdBuilder::new(6)
        .head("สมศรี")
        .create(&app, &surveyor.token)
        .await
        .registered;
    let h = done["household"]["id"].clone();
    for (input, field) in [
        (
            json!({ "householdId": h, "purposes": [], "recipientAgencyTypes": ["NGO"], "legalBasis": "CONSENT", "status": "GIVEN", "givenAt": "2026-01-01T00:00:00Z" }),
            "purposes",
        ),
        (
            json!({ "householdId": h, "purposes": ["REFERRAL"], "legalBasis": "CONSENT", "status": "GIVEN", "givenAt": "2026-01-01T00:00:00Z" }),
            "recipientAgencyIds",
        ),
        (
            json!({ "householdId": h, "purposes": ["REFERRAL"], "recipientAgencyTypes": ["NGO"], "legalBasis": "CONSENT", "status": "GIVEN" }),
            "givenAt",
        ),
        (
            json!({ "householdId": h, "purposes": ["REFERRAL"], "recipientAgencyTypes": ["NGO"], "legalBasis": "CONSENT", "status": "GIVEN",
            "givenAt": "2026-01-01T00:00:00Z", "expiresAt": "2025-01-01T00:00:00Z" }),
            "expiresAt",
        ),
    ] {
        app.gql(Some(&surveyor.token), RECORD, json!({ "i": input }))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
}
