//! ANALYST works from aggregates only (issue 10, "Dashboards"): no household-level row reaches
//! that role, not even de-identified — a village code with the members' birth years picks out
//! one family in a small village. Root fields that list or fetch such rows are FORBIDDEN with a
//! pointer to `dashboard`; `node`/`nodes` read them as not found; every child field the analyst
//! can still reach (enterprises, areas) lists none of them. Areas, agencies, the catalogue,
//! enterprises and poverty lines stay readable.
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp,
    builders::{
        AgencyBuilder, AssessmentSpec, ConsentBuilder, HouseholdBuilder, TechnologyBuilder,
    },
    fixtures::{AccountBuilder, LAMPANG_VILLAGE, seed_villages, thai_id},
};

const DESCRIPTION: &str = "weaving group run from Mrs Somsri's house, 12 หมู่ 3";

/// The ids of one Lampang household and of every kind of household-level row hanging off it,
/// read back by the coordinator; plus the community-level objects around it.
struct World {
    app: TestApp,
    coordinator: Client,
    /// Unscoped: every area.
    analyst: Client,
    /// Scoped to Lampang, where the household lives.
    lampang_analyst: Client,
    /// Household-level ids by type name (`Household`, `Person`, `Membership`, …).
    rows: Vec<(&'static str, Value)>,
    technology: Value,
    enterprise: Value,
}

impl World {
    fn id(&self, ty: &str) -> &Value {
        &self
            .rows
            .iter()
            .find(|(t, _)| *t == ty)
            .unwrap_or_else(|| panic!("no {ty} in the fixture"))
            .1
    }

    fn analysts(&self) -> [(&'static str, &Client); 2] {
        [
            ("unscoped analyst", &self.analyst),
            ("Lampang analyst", &self.lampang_analyst),
        ]
    }
}

async fn data(app: &TestApp, who: &Client, query: &str, vars: Value) -> Value {
    app.gql(Some(&who.token), query, vars)
        .await
        .data("")
        .clone()
}

/// A verified Lampang household of two (one membership ended), with an assessment, a consent,
/// a declined match on a technology and a link to a community enterprise.
async fn world() -> World {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let surveyor = app.client(Role::Surveyor).await;
    let coordinator = app.client(Role::Coordinator).await;
    let analyst = app.client(Role::Analyst).await;
    let lampang_analyst = app
        .client_for(
            &AccountBuilder::new(Role::Analyst)
                .scopes(&["52"])
                .create(&app)
                .await,
        )
        .await;

    let person = |given: &str, seed: u64| {
        json!({ "givenName": given, "familyName": "ใจดี", "sex": "FEMALE", "birthDate": "1970-05-01",
            "nationalId": thai_id(seed) })
    };
    let done = HouseholdBuilder::new(811)
        .head("สมศรี")
        .with(json!({ "houseNumber": "12" }))
        .member(json!({ "role": "CHILD", "person": person("สมใจ", 812) }))
        .create(&app, &surveyor.token)
        .await
        .registered["household"]
        .clone();
    let household = done["id"].clone();
    let child = done["members"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "CHILD")
        .unwrap()["id"]
        .clone();

    let verified = data(&app, &coordinator,
        "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { version } } }",
        json!({ "i": { "householdId": household, "version": 1, "to": "VERIFIED",
            "evidence": { "verifiedOn": "2026-11-02", "note": "seen" } } })).await;
    let version = verified["transitionHousehold"]["household"]["version"].clone();
    data(&app, &surveyor,
        "mutation($i: EndMembershipInput!) { endMembership(input: $i) { membership { id } } }",
        json!({ "i": { "membershipId": child, "version": version, "endDate": "2026-11-03", "reason": "moved" } })).await;
    AssessmentSpec::new(1.5, 2100.0)
        .on("2026-11-04")
        .size(1)
        .capitals([1.5, 1.5, 1.5, 2.0, 2.0])
        .with(json!({ "hasLand": true }))
        .record(&app, &surveyor.token, &household)
        .await;
    ConsentBuilder::new(&household)
        .purposes(&["REFERRAL"])
        .agency_types(&["UNIVERSITY"])
        .create(&app, &surveyor.token)
        .await;

    let agency = AgencyBuilder::new("RMUT Lanna Lampang")
        .create(&app)
        .await
        .id;
    let technology = TechnologyBuilder::new(agency, "Fish feed")
        .create(&app, &admin.token)
        .await;
    data(
        &app,
        &coordinator,
        "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
        json!({ "i": { "householdId": household, "technologyId": technology } }),
    )
    .await;
    let enterprise = data(&app, &coordinator,
        "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }",
        json!({ "i": { "name": "กลุ่มทอผ้าบ้านเวียงเหนือ", "kind": "COMMUNITY_ENTERPRISE", "areaCode": "520101",
            "valueChain": "silk", "description": DESCRIPTION } })).await["createEnterprise"]["enterprise"]["id"]
        .clone();
    data(&app, &surveyor,
        "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { id } } }",
        json!({ "i": { "enterpriseId": enterprise, "householdId": household, "role": "PRODUCER", "monthlyIncome": 1500 } })).await;

    // Every household-level id, as the coordinator reads them.
    let h = data(
        &app,
        &coordinator,
        "query($id: ID!) { household(id: $id) { id
            members(includeEnded: true, first: 5) { nodes { id person { id } } }
            statusHistory(first: 1) { nodes { id } }
            assessments(first: 1) { nodes { id } }
            consents(first: 1) { nodes { id } }
            matches(first: 1) { nodes { id } }
            enterprises(first: 1) { nodes { id } } } }",
        json!({ "id": household }),
    )
    .await["household"]
        .clone();
    let first = |path: &str| {
        let v = h.pointer(path).cloned().unwrap_or(Value::Null);
        assert!(v.is_string(), "the coordinator reads no {path} in {h}");
        v
    };
    let rows = vec![
        ("Household", household.clone()),
        ("Person", first("/members/nodes/0/person/id")),
        ("Membership", first("/members/nodes/0/id")),
        ("Membership", first("/members/nodes/1/id")),
        ("HouseholdStatusEvent", first("/statusHistory/nodes/0/id")),
        ("Assessment", first("/assessments/nodes/0/id")),
        ("Consent", first("/consents/nodes/0/id")),
        ("Match", first("/matches/nodes/0/id")),
        ("EnterpriseLink", first("/enterprises/nodes/0/id")),
    ];
    World {
        app,
        coordinator,
        analyst,
        lampang_analyst,
        rows,
        technology,
        enterprise,
    }
}

#[actix_web::test]
async fn every_root_field_that_lists_or_fetches_household_rows_is_forbidden_to_an_analyst() {
    let w = world().await;
    let vars = json!({
        "h": w.id("Household"), "p": w.id("Person"), "a": w.id("Assessment"),
    });
    // Each of these lets the coordinator read the fixture household's rows.
    let fields = [
        (
            "households",
            "{ households(first: 5) { totalCount nodes { id } } }",
        ),
        ("household", "query($h: ID!) { household(id: $h) { id } }"),
        ("person", "query($p: ID!) { person(id: $p) { id } }"),
        ("assessment", "query($a: ID!) { assessment(id: $a) { id } }"),
        (
            "matches",
            "{ matches(first: 5) { totalCount nodes { id } } }",
        ),
    ];
    for (field, query) in fields {
        let staff = w
            .app
            .gql(Some(&w.coordinator.token), query, vars.clone())
            .await;
        assert!(
            staff.body.get("errors").is_none() && !staff.data(&format!("/{field}")).is_null(),
            "{field}: the coordinator reads nothing: {}",
            staff.body
        );
        for (who, analyst) in w.analysts() {
            let res = w.app.gql(Some(&analyst.token), query, vars.clone()).await;
            res.assert_error("FORBIDDEN", None);
            assert!(
                res.message().contains("dashboard"),
                "{field} as {who}: the refusal does not point to the dashboard: {}",
                res.message()
            );
            assert!(
                res.body.pointer(&format!("/data/{field}/id")).is_none()
                    && res.body.pointer(&format!("/data/{field}/nodes")).is_none(),
                "{field} as {who}: data alongside the refusal: {}",
                res.body
            );
        }
    }
    // Household-level fields that never admitted ANALYST stay closed.
    for query in [
        "{ potentialDuplicates(first: 1) { totalCount } }",
        "query($h: ID!) { recommendTechnologies(householdId: $h) { __typename } }",
        "query($h: ID!) { recommendServices(householdId: $h) { __typename } }",
        "{ cases(first: 1) { totalCount } }",
        "{ referrals(first: 1) { totalCount } }",
        "{ interventions(first: 1) { totalCount } }",
        "{ visits(first: 1) { totalCount } }",
        "{ auditEvents(first: 1) { totalCount } }",
    ] {
        w.app
            .gql(Some(&w.analyst.token), query, vars.clone())
            .await
            .assert_error("FORBIDDEN", None);
    }
}

#[actix_web::test]
async fn node_and_nodes_read_every_household_level_id_as_not_found_for_an_analyst() {
    let w = world().await;
    let node = "query($id: ID!) { node(id: $id) { __typename id } }";
    for (ty, id) in &w.rows {
        let staff = data(&w.app, &w.coordinator, node, json!({ "id": id })).await;
        assert_eq!(staff["node"]["__typename"], *ty, "the coordinator's {ty}");
        for (who, analyst) in w.analysts() {
            let res = w
                .app
                .gql(Some(&analyst.token), node, json!({ "id": id }))
                .await;
            assert!(
                res.body.get("errors").is_none(),
                "node({ty}) as {who}: {}",
                res.body
            );
            assert!(
                res.data("/node").is_null(),
                "node({ty}) as {who}: {}",
                res.body
            );
        }
    }

    // All at once, among objects the analyst may read: those come back, in order, and every
    // household-level id is null.
    let readable = [w.technology.clone(), w.enterprise.clone()];
    let ids: Vec<Value> = readable
        .iter()
        .cloned()
        .chain(w.rows.iter().map(|(_, id)| id.clone()))
        .collect();
    let nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";
    let staff = data(&w.app, &w.coordinator, nodes, json!({ "ids": ids })).await;
    assert!(
        staff["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n.is_null()),
        "{staff}"
    );
    for (who, analyst) in w.analysts() {
        let got = data(&w.app, analyst, nodes, json!({ "ids": ids })).await;
        let got = got["nodes"].as_array().unwrap();
        assert_eq!(got.len(), ids.len());
        for (i, (n, id)) in got.iter().zip(&ids).enumerate() {
            if i < readable.len() {
                assert_eq!(&n["id"], id, "{who}: a readable object is missing");
            } else {
                assert!(n.is_null(), "{who}: nodes reads {n}");
            }
        }
    }
}

#[actix_web::test]
async fn child_fields_an_analyst_can_reach_list_no_household_rows() {
    let w = world().await;
    // An enterprise is community-level: the analyst reads it, but not the links that name
    // households (nor the free-text description, which often names one).
    let q = "query($e: ID!, $v: String!) {
        enterprises(first: 5) { totalCount nodes { id name description
            links(first: 5) { totalCount nodes { id household { id } } } } }
        node(id: $e) { ... on Enterprise { links(first: 5) { totalCount nodes { id } } } }
        area(code: $v) { householdCount parent { householdCount }
            children(first: 1) { nodes { householdCount } } } }";
    let vars = json!({ "e": w.enterprise, "v": LAMPANG_VILLAGE });
    let staff = data(&w.app, &w.coordinator, q, vars.clone()).await;
    assert_eq!(staff["enterprises"]["nodes"][0]["links"]["totalCount"], 1);
    assert_eq!(staff["enterprises"]["nodes"][0]["description"], DESCRIPTION);
    assert_eq!(staff["node"]["links"]["totalCount"], 1);
    assert_eq!(staff["area"]["householdCount"], 1);
    assert_eq!(staff["area"]["parent"]["householdCount"], 1);
    for (who, analyst) in w.analysts() {
        let got = data(&w.app, analyst, q, vars.clone()).await;
        assert_eq!(
            got["enterprises"],
            json!({ "totalCount": 1, "nodes": [{ "id": w.enterprise,
                "name": "กลุ่มทอผ้าบ้านเวียงเหนือ", "description": null,
                "links": { "totalCount": 0, "nodes": [] } }] }),
            "{who}"
        );
        assert_eq!(
            got["node"],
            json!({ "links": { "totalCount": 0, "nodes": [] } }),
            "{who}"
        );
        // Household counts of an area are the households you may see: none. The analyst's
        // figures (suppressed below k) come from `dashboard`.
        assert_eq!(got["area"]["householdCount"], 0, "{who}");
        assert_eq!(got["area"]["parent"]["householdCount"], 0, "{who}");
    }
}

#[actix_web::test]
async fn an_analyst_still_reads_areas_agencies_the_catalogue_enterprises_and_poverty_lines() {
    let w = world().await;
    let q = "query($t: ID!) {
        areas(parentCode: \"52\", first: 1) { totalCount nodes { code } }
        area(code: \"52\") { nameEn }
        agencies(first: 5) { totalCount nodes { name } }
        technologies(first: 5) { totalCount nodes { id name provider { name } } }
        technology(id: $t) { name }
        services(first: 1) { totalCount }
        enterprises(first: 5) { totalCount }
        povertyLines { yearBe }
        me { role } }";
    for (who, analyst) in w.analysts() {
        let res = w
            .app
            .gql(Some(&analyst.token), q, json!({ "t": w.technology }))
            .await;
        assert!(res.body.get("errors").is_none(), "{who}: {}", res.body);
        assert_eq!(res.data("/area/nameEn"), "Lampang", "{who}");
        assert_eq!(res.data("/areas/totalCount"), 13, "{who}");
        assert_eq!(res.data("/technology/name"), "Fish feed", "{who}");
        assert_eq!(
            res.data("/technologies/nodes/0/provider/name"),
            "RMUT Lanna Lampang",
            "{who}"
        );
        assert_eq!(res.data("/agencies/totalCount"), 1, "{who}");
        assert_eq!(res.data("/enterprises/totalCount"), 1, "{who}");
        assert_eq!(res.data("/me/role"), "ANALYST", "{who}");
    }
    // An analyst scoped elsewhere reads the Lampang enterprise as out of scope.
    let yala = w
        .app
        .client_for(
            &AccountBuilder::new(Role::Analyst)
                .scopes(&["95"])
                .create(&w.app)
                .await,
        )
        .await;
    let res = data(
        &w.app,
        &yala,
        "query($e: ID!) { enterprises(first: 1) { totalCount } node(id: $e) { id } }",
        json!({ "e": w.enterprise }),
    )
    .await;
    assert_eq!(
        res,
        json!({ "enterprises": { "totalCount": 0 }, "node": null })
    );
}
