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
    // The session is resolved first, so that both page sizes find it alike (kept by the
    // session cache on PostgreSQL, read again on SQLite).
    app.gql(Some(token), "{ __typename }", serde_json::json!({}))
        .await;
    app.reset_statements().await;
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
        let caller = api::household::service::Caller {
            db: &app.db,
            scope: &api::auth::Scope::All,
            actor: &api::audit::service::Actor::system("test"),
        };
        api::household::service::register_household(&caller, pii, parsed, None)
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
        data50["households"]["edges"][49]["node"]["members"]["nodes"][0]["person"]["givenName"],
        "คนที่49"
    );
    assert_eq!(
        small, large,
        "statements at first:5 = {small}, at first:50 = {large}"
    );
    // Each member's person is read in the members' own statement: asking for it costs nothing.
    let without_person = q.replace("person { givenName nationalIdMasked } ", "");
    assert_ne!(without_person, q);
    let (no_person, _) = statements_for(
        &app,
        &coordinator.token,
        &without_person,
        json!({ "n": 50 }),
    )
    .await;
    assert_eq!(no_person, large, "without person {no_person}, with {large}");
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
        members { nodes { person { givenName } } } latestAssessment { id } matches { nodes { id technology { name } } } } } } }";
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
                && r["household"]["matches"]["nodes"][0]["technology"]["name"] == "Fish feed"
        }),
        "{data12}"
    );
    assert_eq!(
        small, large,
        "statements at first:3 = {small}, at first:12 = {large}"
    );
    // Each match's technology, and each member's person, come with their own list's
    // statement: leaving them out saves none.
    let bare = q
        .replace(" technology { name }", "")
        .replace("person { givenName }", "id");
    let (without, _) = statements_for(&w.app, &w.staff.token, &bare, json!({ "n": 12 })).await;
    assert_eq!(without, large, "without {without}, with {large}");
}

/// `count` enterprises in Lampang, each linked to the same `households` new households.
async fn enterprises_with_links(
    app: &TestApp,
    surveyor: &crate::helpers::Client,
    count: usize,
    households: u64,
) {
    use crate::helpers::fixtures::{LAMPANG_VILLAGE, household_input, register};
    use api::{
        audit::service::Actor,
        auth::Scope,
        enterprise::service::{NewEnterprise, NewLink, create_enterprise, link_household},
    };
    let mut ids = Vec::new();
    for i in 0..households {
        let id = register(
            app,
            &surveyor.token,
            household_input(LAMPANG_VILLAGE, &format!("สมาชิก{i}"), 900 + i),
        )
        .await["household"]["id"]
            .clone();
        ids.push(
            api::graphql::node::decode_uuid(
                &async_graphql::ID(id.as_str().unwrap().into()),
                "Household",
                "id",
            )
            .unwrap(),
        );
    }
    let actor = Actor::system("test");
    for i in 0..count {
        let enterprise = create_enterprise(
            &app.db,
            &Scope::All,
            &actor,
            NewEnterprise {
                name: format!("Group {i:02}"),
                kind: entity::enums::EnterpriseKind::Cooperative,
                area_code: "520101".into(),
                value_chain: Some("rice".into()),
                description: None,
            },
        )
        .await
        .unwrap();
        for household in &ids {
            link_household(
                &app.db,
                &Scope::All,
                &actor,
                NewLink {
                    enterprise_id: enterprise.id,
                    household_id: *household,
                    role: entity::enums::EnterpriseRole::Worker,
                    monthly_income_satang: 25_000,
                    started_on: None,
                },
            )
            .await
            .unwrap();
        }
    }
}

#[actix_web::test]
async fn enterprise_links_take_the_same_statements_at_1_and_5_enterprises() {
    use crate::helpers::fixtures::seed_villages;
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    enterprises_with_links(&app, &surveyor, 6, 2).await;
    let q = "query($n: Int!) { enterprises(first: $n) { nodes { name
        links(first: 1) { totalCount pageInfo { hasNextPage } nodes { role monthlyIncome } } } } }";
    let (one, data1) = statements_for(&app, &coordinator.token, q, json!({ "n": 1 })).await;
    let (five, data5) = statements_for(&app, &coordinator.token, q, json!({ "n": 5 })).await;
    assert_eq!(data1["enterprises"]["nodes"].as_array().unwrap().len(), 1);
    let nodes = data5["enterprises"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert!(
        nodes.iter().all(|e| e["links"]["totalCount"] == 2
            && e["links"]["pageInfo"]["hasNextPage"] == true
            && e["links"]["nodes"][0]["role"] == "WORKER"),
        "{data5}"
    );
    assert_eq!(
        one, five,
        "statements at first:1 = {one}, at first:5 = {five}"
    );
    // viewer, enterprises page, links page, link counts
    assert!(five <= 4, "{five} statements");
}

#[actix_web::test]
async fn matching_runs_with_their_matches_take_the_same_statements_at_1_and_5_runs() {
    use crate::helpers::fixtures::{LAMPANG_VILLAGE, household_input, register, seed_villages};
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let agency = AgencyBuilder::new("Matching partner").create(&app).await.id;
    let tech = crate::helpers::builders::TechnologyBuilder::new(agency, "Fish feed")
        .create(&app, &admin.token)
        .await
        .clone();
    // Each run matches the two households registered since the last one (earlier households
    // hold an open match and are left out).
    let mut runs = Vec::new();
    for r in 0..6u64 {
        for i in 0..2u64 {
            let seed = 1200 + r * 2 + i;
            let id = register(
                &app,
                &surveyor.token,
                household_input(LAMPANG_VILLAGE, &format!("รอบ{seed}"), seed),
            )
            .await["household"]["id"]
                .clone();
            app.gql(Some(&coordinator.token), "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { version } } }",
                json!({ "i": { "householdId": id, "version": 1, "to": "VERIFIED", "evidence": { "verifiedOn": "2026-11-01" } } }))
                .await
                .data("/transitionHousehold");
            app.gql(Some(&surveyor.token), "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id } } }",
                json!({ "i": { "householdId": id, "assessedOn": "2026-11-02", "householdSize": 4, "incomePerPerson": 1000.0,
                    "hasLand": true, "scores": { "human": 1.5, "physical": 1.5, "financial": 1.5, "natural": 1.5, "social": 1.5 } } }))
                .await
                .data("/recordAssessment");
        }
        let run = app
            .gql(
                Some(&coordinator.token),
                "mutation($i: RunMatchingInput!) { runMatching(input: $i) { run { id matchesCreated } } }",
                json!({ "i": { "areaCode": "52", "seats": [{ "technologyId": tech, "seats": 2 }] } }),
            )
            .await
            .data("/runMatching/run")
            .clone();
        assert_eq!(run["matchesCreated"], 2, "{run}");
        runs.push(run["id"].clone());
    }
    let q = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on MatchingRun { matchesCreated
        matches(first: 1) { totalCount pageInfo { hasNextPage } nodes { status household { id } } } } } }";
    let (one, data1) =
        statements_for(&app, &coordinator.token, q, json!({ "ids": runs[..1] })).await;
    let (five, data5) =
        statements_for(&app, &coordinator.token, q, json!({ "ids": runs[1..] })).await;
    assert_eq!(data1["nodes"].as_array().unwrap().len(), 1);
    let nodes = data5["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert!(
        nodes.iter().all(|r| r["matches"]["totalCount"] == 2
            && r["matches"]["pageInfo"]["hasNextPage"] == true
            && r["matches"]["nodes"][0]["status"] == "SUGGESTED"
            && r["matches"]["nodes"][0]["household"]["id"].is_string()),
        "{data5}"
    );
    assert_eq!(
        one, five,
        "statements for 1 run = {one}, for 5 runs = {five}"
    );
    // viewer, runs by id, matches page, match counts, households
    assert!(five <= 5, "{five} statements");
}
