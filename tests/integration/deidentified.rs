//! What viewers of de-identified data (ANALYST) get: every free-text field that can name or
//! locate a person is null for them, by whichever field or `node` they reach it.
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    Client, REGISTER, TestApp,
    fixtures::{LAMPANG_VILLAGE, new_agency, seed_villages, thai_id},
};

const NOTE: &str = "visited, found the household at 12 หมู่ 3 behind the temple";
const EXIT: &str = "moved to Chiang Mai to live with her son Somchai";
const END: &str = "married Mr Prasert of Ban Pa Kham";
const ASSESSMENT_NOTE: &str = "the head's brother Somsak owns the land";
const INDICATOR: &str = "works at Somsak's rice mill";
const DECLINE: &str = "Mrs Somsri's husband refused the loan";
const DESCRIPTION: &str = "weaving group run from Mrs Somsri's house, 12 หมู่ 3";
const OCCUPATION: &str = "headman (ผู้ใหญ่บ้าน) of Ban Wiang Nuea";
const EDUCATION: &str = "grade 6 at Ban Wiang Nuea school";
const DISABILITY: &str = "lost a leg in the 2019 mill accident";
const ILLNESS: &str = "diabetes, treated at Lampang hospital";

/// Fields that follow the identity rule (null for ANALYST).
const GATED: &[&str] = &[
    "reason",
    "note",
    "endReason",
    "notes",
    "indicators",
    "description",
    "occupation",
    "education",
    "disability",
    "chronicIllness",
];

const FRAGMENTS: &str = "
fragment H on Household {
  statusHistory(first: 5) { nodes { toStatus reason note } }
  members(includeEnded: true, first: 3) { nodes { role endReason person { occupation education disability chronicIllness } } }
  latestAssessment { notes indicators }
  assessments(first: 2) { nodes { notes indicators } }
  matches(first: 2) { nodes { ...M } }
  enterprises(first: 2) { nodes { enterprise { ...E } } }
}
fragment M on Match { status history { toStatus reason } }
fragment E on Enterprise { name description }";

struct Fixture {
    app: TestApp,
    coordinator: Client,
    analyst: Client,
    household: Value,
    matched: Value,
    enterprise: Value,
}

async fn gql_ok(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    app.gql(Some(token), query, vars).await.data("").clone()
}

/// A Lampang household with every kind of free text: verification note, exit reason, an
/// ended membership, an assessment with notes and indicators, a declined match and an
/// enterprise link.
async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let surveyor = app.client(Role::Surveyor).await;
    let coordinator = app.client(Role::Coordinator).await;
    let analyst = app.client(Role::Analyst).await;

    let person = |given: &str, seed: u64| {
        json!({ "givenName": given, "familyName": "ใจดี", "sex": "FEMALE", "birthDate": "1970-05-01",
            "nationalId": thai_id(seed), "occupation": OCCUPATION, "education": EDUCATION,
            "disability": DISABILITY, "chronicIllness": ILLNESS })
    };
    let done = app
        .gql(
            Some(&surveyor.token),
            REGISTER,
            json!({ "i": { "villageCode": LAMPANG_VILLAGE, "source": "TPMAP", "houseNumber": "12",
                "members": [{ "role": "HEAD", "person": person("สมศรี", 801) },
                            { "role": "CHILD", "person": person("สมใจ", 802) }] } }),
        )
        .await
        .data("/registerHousehold/household")
        .clone();
    let household = done["id"].clone();
    let child = done["members"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "CHILD")
        .unwrap()["id"]
        .clone();

    let transition = "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { version } } }";
    let mut version = gql_ok(
        &app,
        &coordinator.token,
        transition,
        json!({ "i": { "householdId": household, "version": 1,
        "to": "VERIFIED", "evidence": { "verifiedOn": "2026-11-02", "note": NOTE } } }),
    )
    .await["transitionHousehold"]["household"]["version"]
        .clone();
    let ended = gql_ok(&app, &surveyor.token, "mutation($i: EndMembershipInput!) { endMembership(input: $i) { membership { endReason } } }",
        json!({ "i": { "membershipId": child, "version": version, "endDate": "2026-11-03", "reason": END } })).await;
    assert_eq!(ended["endMembership"]["membership"]["endReason"], END);
    gql_ok(&app, &surveyor.token, "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id } } }",
        json!({ "i": { "householdId": household, "assessedOn": "2026-11-04", "householdSize": 3, "incomePerPerson": 2100,
            "hasLand": true, "notes": ASSESSMENT_NOTE, "indicators": { "remark": INDICATOR },
            "scores": { "human": 1.5, "physical": 1.5, "financial": 1.5, "natural": 2.0, "social": 2.0 } } })).await;

    let agency = new_agency(&app, "RMUT Lanna Lampang").await.id;
    let technology = gql_ok(&app, &admin.token, "mutation($i: TechnologyInput!) { createTechnology(input: $i) { technology { id } } }",
        json!({ "i": { "agencyId": api::graphql::node::encode("Agency", agency), "name": "Fish feed", "sector": "FISHERY",
            "capitalsRaised": ["FINANCIAL"], "unitCost": 3000, "monthlyIncomeGain": 1200, "trainingDays": 3,
            "seatsPerRound": 30, "readinessLevel": 7 } })).await["createTechnology"]["technology"]["id"]
        .clone();
    let matched = gql_ok(
        &app,
        &coordinator.token,
        "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
        json!({ "i": { "householdId": household, "technologyId": technology } }),
    )
    .await["suggestMatch"]["match"]["id"]
        .clone();
    gql_ok(
        &app,
        &coordinator.token,
        "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status } } }",
        json!({ "i": { "matchId": matched, "version": 1, "to": "DECLINED", "reason": DECLINE } }),
    )
    .await;

    let enterprise = gql_ok(&app, &coordinator.token, "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }",
        json!({ "i": { "name": "กลุ่มทอผ้าบ้านเวียงเหนือ", "kind": "COMMUNITY_ENTERPRISE", "areaCode": "520101",
            "valueChain": "silk", "description": DESCRIPTION } })).await["createEnterprise"]["enterprise"]["id"]
        .clone();
    gql_ok(&app, &surveyor.token, "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { role } } }",
        json!({ "i": { "enterpriseId": enterprise, "householdId": household, "role": "PRODUCER", "monthlyIncome": 1500 } })).await;

    let read = "query($id: ID!) { household(id: $id) { version } }";
    version = gql_ok(&app, &coordinator.token, read, json!({ "id": household })).await["household"]
        ["version"]
        .clone();
    for (to, reason) in [("ENROLLED", None), ("EXITED", Some(EXIT))] {
        version = gql_ok(
            &app,
            &coordinator.token,
            transition,
            json!({ "i": { "householdId": household,
            "version": version, "to": to, "reason": reason } }),
        )
        .await["transitionHousehold"]["household"]["version"]
            .clone();
    }
    Fixture {
        app,
        coordinator,
        analyst,
        household,
        matched,
        enterprise,
    }
}

/// Every (path, value) under a gated key, in document order.
fn gated(value: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{path}/{k}");
                if GATED.contains(&k.as_str()) {
                    out.push((here, v.clone()));
                } else {
                    gated(v, here, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                gated(v, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn texts(found: &[(String, Value)]) -> String {
    found
        .iter()
        .map(|(_, v)| v.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn an_analyst_gets_null_for_every_free_text_field_by_every_road_while_a_coordinator_reads_it()
{
    let f = fixture().await;
    let ids = json!({ "id": f.household, "ids": [f.household, f.matched, f.enterprise] });
    let roads = [
        (
            "household",
            "query($id: ID!) { household(id: $id) { ...H } }",
        ),
        ("households", "{ households(first: 2) { nodes { ...H } } }"),
        ("node", "query($id: ID!) { node(id: $id) { ...H } }"),
        (
            "nodes",
            "query($ids: [ID!]!) { nodes(ids: $ids) { ...H ...M ...E } }",
        ),
        (
            "matches",
            "{ matches(first: 2) { nodes { ...M household { ...H } } } }",
        ),
        (
            "enterprises",
            "{ enterprises(first: 2) { nodes { ...E links(first: 2) { nodes { household { ...H } } } } } }",
        ),
    ];
    for (road, query) in roads {
        let query = format!("{query}\n{FRAGMENTS}");
        let mut seen = Vec::new();
        gated(
            &gql_ok(&f.app, &f.coordinator.token, &query, ids.clone()).await,
            String::new(),
            &mut seen,
        );
        let all = texts(&seen);
        let expected = [
            NOTE,
            EXIT,
            END,
            ASSESSMENT_NOTE,
            INDICATOR,
            DECLINE,
            DESCRIPTION,
            OCCUPATION,
            EDUCATION,
            DISABILITY,
            ILLNESS,
        ];
        for text in expected {
            assert!(
                all.contains(text),
                "{road}: the coordinator does not see {text:?} in\n{all}"
            );
        }

        let mut masked = Vec::new();
        gated(
            &gql_ok(&f.app, &f.analyst.token, &query, ids.clone()).await,
            String::new(),
            &mut masked,
        );
        assert_eq!(
            masked.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            seen.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "{road}: the analyst reaches the same records"
        );
        for (path, value) in &masked {
            assert!(
                value.is_null(),
                "{road}: the analyst reads {path} = {value}"
            );
        }
    }
}
