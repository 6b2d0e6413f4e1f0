//! Nested lists are batched: the number of SQL statements for a nested query does not grow
//! with the page size.
use entity::enums::Role;
use serde_json::json;

use crate::helpers::{
    TestApp,
    builders::{AgencyBuilder, HouseholdBuilder},
    fixtures::insert_account_row,
};

async fn statements_for(
    app: &TestApp,
    token: &str,
    query: &str,
    vars: serde_json::Value,
) -> (usize, serde_json::Value) {
    app.reset_statements();
    let res = app.gql(Some(token), query, vars).await;
    let data = res.data("").clone();
    (app.statements(), data)
}

#[actix_web::test]
async fn agencies_with_their_accounts_take_the_same_statements_at_5_and_50() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    for i in 0..55 {
        let agency = AgencyBuilder::new(&format!("Agency {i:02}"))
            .create(&app)
            .await;
        for j in 0..3 {
            insert_account_row(&app, agency.id, &format!("staff-{i}-{j}")).await;
        }
    }
    let q = "query($n: Int!) { agencies(first: $n) { totalCount edges { node { name coverage { code nameTh } accounts(first: 2) { totalCount nodes { login agency { name } } } } } } }";
    let (small, data5) = statements_for(&app, &admin.token, q, json!({ "n": 5 })).await;
    let (large, data50) = statements_for(&app, &admin.token, q, json!({ "n": 50 })).await;
    assert_eq!(data5["agencies"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(data50["agencies"]["edges"].as_array().unwrap().len(), 50);
    assert_eq!(
        data50["agencies"]["edges"][49]["node"]["accounts"]["totalCount"],
        3
    );
    assert_eq!(
        data50["agencies"]["edges"][49]["node"]["accounts"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        small, large,
        "statements at first:5 = {small}, at first:50 = {large}"
    );
    // viewer, page, count, coverage, coverage areas, accounts page, account counts, agencies
    assert!(large <= 10, "{large} statements");
}

#[actix_web::test]
async fn districts_with_their_subdistricts_take_the_same_statements_at_5_and_50() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Analyst).await;
    let q = "query($n: Int!) { areas(level: DISTRICT, first: $n) { edges { node { code parent { nameEn } children(first: 3) { totalCount nodes { code parent { code } } } } } } }";
    let (small, _) = statements_for(&app, &user.token, q, json!({ "n": 5 })).await;
    let (large, data) = statements_for(&app, &user.token, q, json!({ "n": 50 })).await;
    assert_eq!(data["areas"]["edges"].as_array().unwrap().len(), 50);
    assert_eq!(small, large);
}

#[actix_web::test]
async fn households_with_members_persons_and_history_take_the_same_statements_at_5_and_50() {
    use crate::helpers::fixtures::{LAMPANG_VILLAGE, seed_villages};
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let pii = &app.state.services.pii;
    for i in 0..55u64 {
        let input = HouseholdBuilder::new(1000 + i)
            .head(&format!("คนที่{i}"))
            .member(json!({ "role": "CHILD", "person": { "givenName": format!("ลูก{i}"), "familyName": "ใจดี" } }))
            .input();
        let parsed = api::household::validate::HouseholdInput {
            village_code: LAMPANG_VILLAGE.into(),
            house_number: None,
            address: None,
            lat: None,
            lng: None,
            source: entity::enums::HouseholdSource::Tpmap,
            household_size: None,
            external_ids: vec![],
            client_created_at: None,
            members: input["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| api::household::validate::MemberInput {
                    role: if m["role"] == "HEAD" {
                        entity::enums::MembershipRole::Head
                    } else {
                        entity::enums::MembershipRole::Child
                    },
                    start_date: None,
                    person: api::household::validate::PersonInput {
                        given_name: m["person"]["givenName"].as_str().unwrap().into(),
                        family_name: "ใจดี".into(),
                        national_id: m["person"]["nationalId"].as_str().map(str::to_string),
                        ..Default::default()
                    },
                })
                .collect(),
        };
        api::household::service::register_household(
            &app.db,
            pii,
            &api::auth::Scope::All,
            &api::audit::service::Actor::system("test"),
            parsed,
            None,
        )
        .await
        .unwrap();
    }
    let q = "query($n: Int!) { households(first: $n) { totalCount edges { node { id village { nameTh } externalIds { value }
        members { totalCount nodes { role person { givenName nationalIdMasked } } }
        statusHistory(first: 3) { totalCount nodes { toStatus actor { login } } } } } } }";
    let (small, data5) = statements_for(&app, &coordinator.token, q, json!({ "n": 5 })).await;
    let (large, data50) = statements_for(&app, &coordinator.token, q, json!({ "n": 50 })).await;
    assert_eq!(data5["households"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(data50["households"]["edges"].as_array().unwrap().len(), 50);
    assert_eq!(
        data50["households"]["edges"][49]["node"]["members"]["totalCount"],
        2
    );
    assert_eq!(
        small, large,
        "statements at first:5 = {small}, at first:50 = {large}"
    );
}

#[actix_web::test]
async fn enterprises_with_their_links_take_the_same_statements_at_5_and_50() {
    use crate::helpers::fixtures::{LAMPANG_VILLAGE, seed_villages};
    use api::{
        audit::service::Actor,
        auth::Scope,
        enterprise::service::{NewEnterprise, NewLink, create_enterprise, link_household},
    };
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let mut households = Vec::new();
    for i in 0..3u64 {
        let id = HouseholdBuilder::new(500 + i)
            .head(&format!("ผู้ผลิต{i}"))
            .create(&app, &surveyor.token)
            .await
            .id;
        households.push(
            api::graphql::node::decode_uuid(
                &async_graphql::ID(id.as_str().unwrap().into()),
                "Household",
                "id",
            )
            .unwrap(),
        );
    }
    let actor = Actor::system("test");
    for i in 0..55 {
        let enterprise = create_enterprise(
            &app.db,
            &Scope::All,
            &actor,
            NewEnterprise {
                name: format!("Enterprise {i:02}"),
                kind: entity::enums::EnterpriseKind::CommunityEnterprise,
                area_code: "520101".into(),
                value_chain: None,
                description: None,
            },
        )
        .await
        .unwrap();
        for household in &households {
            link_household(
                &app.db,
                &Scope::All,
                &actor,
                NewLink {
                    enterprise_id: enterprise.id,
                    household_id: *household,
                    role: entity::enums::EnterpriseRole::Producer,
                    monthly_income_satang: 10_000,
                    started_on: None,
                },
            )
            .await
            .unwrap();
        }
    }
    let q = "query($n: Int!) { enterprises(first: $n) { totalCount nodes { name
        links(first: 2) { totalCount nodes { role household { villageCode } enterprise { name } } } } } }";
    let (small, data5) = statements_for(&app, &coordinator.token, q, json!({ "n": 5 })).await;
    let (large, data50) = statements_for(&app, &coordinator.token, q, json!({ "n": 50 })).await;
    assert_eq!(data5["enterprises"]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(data50["enterprises"]["nodes"].as_array().unwrap().len(), 50);
    let last = &data50["enterprises"]["nodes"][49]["links"];
    assert_eq!(last["totalCount"], 3);
    assert_eq!(last["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(
        last["nodes"][1]["household"]["villageCode"],
        LAMPANG_VILLAGE
    );
    assert_eq!(
        small, large,
        "statements at first:5 = {small}, at first:50 = {large}"
    );
}

#[actix_web::test]
async fn cases_with_their_referrals_interventions_and_visits_take_the_same_statements_at_3_and_12()
{
    use crate::helpers::casework::casework;
    let w = casework().await;
    for i in 0..13u64 {
        let h = w.consented_household(700 + i, w.agency.id).await;
        let case = w.open_case(&h).await;
        let r = w.refer(&case, w.agency.id).await;
        w.accept(&w.staff, &r).await;
        w.record_intervention(&w.staff, &r).await;
        w.schedule_visit(&h, Some(&case)).await;
    }
    let q = "query($n: Int!) { cases(first: $n) { nodes { household { id }
        referrals { nodes { toAgency { name } interventions { nodes { kind } } } }
        visits { nodes { status } } } } }";
    let (small, data3) = statements_for(&w.app, &w.coordinator.token, q, json!({ "n": 3 })).await;
    let (large, data12) = statements_for(&w.app, &w.coordinator.token, q, json!({ "n": 12 })).await;
    assert_eq!(data3["cases"]["nodes"].as_array().unwrap().len(), 3);
    let nodes = data12["cases"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 12);
    assert!(nodes.iter().all(|c| {
        c["household"]["id"].is_string()
            && c["referrals"]["nodes"][0]["interventions"]["nodes"][0]["kind"] == "TRAINING"
            && c["visits"]["nodes"][0]["status"] == "SCHEDULED"
    }));
    assert_eq!(
        small, large,
        "statements at first:3 = {small}, at first:12 = {large}"
    );
}

#[actix_web::test]
async fn an_agency_inbox_with_households_members_assessments_and_matches_takes_the_same_statements_at_3_and_12()
 {
    use crate::helpers::casework::casework;
    let w = casework().await;
    let tech = w.technology(w.agency.id, "Fish feed").await;
    for i in 0..13u64 {
        let h = w.consented_household(800 + i, w.agency.id).await;
        w.assess(&h).await;
        w.suggest_match(&h, &tech).await;
        let case = w.open_case(&h).await;
        w.refer(&case, w.agency.id).await;
    }
    let q = "query($n: Int!) { referrals(filter: { direction: INBOX }, first: $n) { nodes { household {
        members { nodes { person { givenName } } } latestAssessment { id } matches { nodes { id } } } } } }";
    let (small, data3) = statements_for(&w.app, &w.staff.token, q, json!({ "n": 3 })).await;
    let (large, data12) = statements_for(&w.app, &w.staff.token, q, json!({ "n": 12 })).await;
    assert_eq!(data3["referrals"]["nodes"].as_array().unwrap().len(), 3);
    let nodes = data12["referrals"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 12);
    assert!(
        nodes.iter().all(|r| {
            r["household"]["members"]["nodes"][0]["person"]["givenName"].is_string()
                && r["household"]["latestAssessment"]["id"].is_string()
                && r["household"]["matches"]["nodes"]
                    .as_array()
                    .is_some_and(|m| m.len() == 1)
        }),
        "{data12}"
    );
    assert_eq!(
        small, large,
        "statements at first:3 = {small}, at first:12 = {large}"
    );
}
