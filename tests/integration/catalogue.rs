//! The technology and service catalogue, and enterprises in value chains.
use entity::enums::Role;
use serde_json::json;

use crate::helpers::{
    TestApp,
    builders::{AgencyBuilder, HouseholdBuilder, TechnologyBuilder},
    fixtures::{AccountBuilder, seed_villages},
};

const CREATE: &str = "mutation($i: TechnologyInput!) { createTechnology(input: $i) { technology { id name version provider { name } capitalsRaised minScores { financial } suitableAreas } } }";
const UPDATE: &str = "mutation($i: UpdateTechnologyInput!) { updateTechnology(input: $i) { technology { name version } } }";

/// A technology input without an agency (an AGENCY account's own; tests add `agencyId`).
fn tech(name: &str) -> serde_json::Value {
    TechnologyBuilder::of_own_agency(name)
        .sector("AGRICULTURE")
        .capitals(&["NATURAL", "FINANCIAL", "NATURAL"])
        .unit_cost(2500)
        .readiness(8)
        .suitable_areas(&["52"])
        .with(
            json!({ "monthlyIncomeGain": 900, "trainingDays": 2, "seatsPerRound": 25,
            "minScores": { "financial": 1.5 } }),
        )
        .input()
}

#[actix_web::test]
async fn agency_staff_add_their_own_technologies_and_cannot_touch_others() {
    let app = TestApp::spawn().await;
    let ours = AgencyBuilder::new("RMUT Lanna").create(&app).await;
    let theirs = AgencyBuilder::new("RMUT Isan").create(&app).await;
    let staff = app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(ours.id)
                .create(&app)
                .await,
        )
        .await;
    let rival = app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(theirs.id)
                .create(&app)
                .await,
        )
        .await;

    let res = app
        .gql(
            Some(&staff.token),
            CREATE,
            json!({ "i": tech("Mushroom house") }),
        )
        .await;
    assert_eq!(
        res.data("/createTechnology/technology/provider/name"),
        "RMUT Lanna"
    );
    assert_eq!(
        res.data("/createTechnology/technology/capitalsRaised"),
        &json!(["FINANCIAL", "NATURAL"])
    );
    assert_eq!(
        res.data("/createTechnology/technology/minScores/financial"),
        1.5
    );
    let id = res.data("/createTechnology/technology/id").clone();

    let mut foreign = tech("Not ours");
    foreign["agencyId"] = json!(api::graphql::node::encode("Agency", theirs.id));
    app.gql(Some(&staff.token), CREATE, json!({ "i": foreign }))
        .await
        .assert_error("BAD_USER_INPUT", Some("agencyId"));
    app.gql(
        Some(&rival.token),
        UPDATE,
        json!({ "i": { "id": id, "version": 1, "technology": tech("Hijacked") } }),
    )
    .await
    .assert_error("NOT_FOUND", None);
    let coordinator = app.client(Role::Coordinator).await;
    app.gql(Some(&coordinator.token), CREATE, json!({ "i": tech("x") }))
        .await
        .assert_error("FORBIDDEN", None);

    let updated = app
        .gql(
            Some(&staff.token),
            UPDATE,
            json!({ "i": { "id": id, "version": 1, "technology": tech("Mushroom house v2") } }),
        )
        .await;
    assert_eq!(updated.data("/updateTechnology/technology/version"), 2);
    app.gql(
        Some(&staff.token),
        UPDATE,
        json!({ "i": { "id": id, "version": 1, "technology": tech("stale") } }),
    )
    .await
    .assert_error("CONFLICT", None);
}

#[actix_web::test]
async fn bad_technologies_name_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let agency = AgencyBuilder::new("RMUT").create(&app).await;
    let with = |k: &str, v: serde_json::Value| {
        let mut t = tech("T");
        t["agencyId"] = json!(api::graphql::node::encode("Agency", agency.id));
        t[k] = v;
        json!({ "i": t })
    };
    for (k, v, field) in [
        ("readinessLevel", json!(10), "readinessLevel"),
        ("seatsPerRound", json!(0), "seatsPerRound"),
        ("unitCost", json!(-1), "unitCost"),
        ("capitalsRaised", json!([]), "capitalsRaised"),
        ("minScores", json!({ "human": 4.5 }), "minScores.human"),
        ("suitableAreas", json!(["99"]), "suitableAreas"),
        ("name", json!(" "), "name"),
    ] {
        app.gql(Some(&admin.token), CREATE, with(k, v))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    let mut no_agency = tech("T");
    no_agency.as_object_mut().unwrap().remove("agencyId");
    app.gql(Some(&admin.token), CREATE, json!({ "i": no_agency }))
        .await
        .assert_error("BAD_USER_INPUT", Some("agencyId"));
}

#[actix_web::test]
async fn the_catalogue_filters_by_capital_area_cost_and_readiness() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let agency =
        api::graphql::node::encode("Agency", AgencyBuilder::new("RMUT").create(&app).await.id);
    for (name, caps, areas, cost, trl) in [
        ("Fish feed", json!(["FINANCIAL"]), json!(["52"]), 1000, 8),
        ("Solar pump", json!(["PHYSICAL"]), json!([]), 20000, 6),
        (
            "Silk dyeing",
            json!(["HUMAN", "FINANCIAL"]),
            json!(["4601"]),
            3000,
            9,
        ),
    ] {
        let mut t = tech(name);
        t["agencyId"] = json!(agency);
        t["capitalsRaised"] = caps;
        t["suitableAreas"] = areas;
        t["unitCost"] = json!(cost);
        t["readinessLevel"] = json!(trl);
        t["minScores"] = json!(null);
        app.gql(Some(&admin.token), CREATE, json!({ "i": t }))
            .await
            .data("/createTechnology");
    }
    let q =
        "query($f: TechnologyFilter) { technologies(filter: $f) { totalCount nodes { name } } }";
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["technologies"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    let analyst = app.client(Role::Analyst).await;
    let by = |f: serde_json::Value| {
        let app = &app;
        let t = analyst.token.clone();
        async move {
            app.gql(Some(&t), q, json!({ "f": f }))
                .await
                .data("")
                .clone()
        }
    };
    assert_eq!(
        names(&by(json!({ "capital": "FINANCIAL" })).await),
        ["Fish feed", "Silk dyeing"]
    );
    assert_eq!(
        names(&by(json!({ "areaCode": "520101" })).await),
        ["Fish feed", "Solar pump"]
    );
    assert_eq!(
        names(&by(json!({ "areaCode": "460101" })).await),
        ["Solar pump", "Silk dyeing"]
    );
    assert_eq!(
        names(&by(json!({ "maxUnitCost": 1000 })).await),
        ["Fish feed"]
    );
    assert_eq!(
        names(&by(json!({ "maxUnitCost": 3000 })).await),
        ["Fish feed", "Silk dyeing"]
    );
    assert_eq!(
        names(&by(json!({ "minReadinessLevel": 9 })).await),
        ["Silk dyeing"]
    );
    assert_eq!(
        names(&by(json!({ "minReadinessLevel": 7 })).await),
        ["Fish feed", "Silk dyeing"]
    );
    assert_eq!(
        names(&by(json!({ "maxUnitCost": 3000, "minReadinessLevel": 9 })).await),
        ["Silk dyeing"]
    );
}

#[actix_web::test]
async fn households_are_linked_to_enterprises_with_their_income() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let e = app.gql(Some(&coordinator.token), "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id name kind } } }",
        json!({ "i": { "name": "กลุ่มทอผ้าบ้านเวียงเหนือ", "kind": "COMMUNITY_ENTERPRISE", "areaCode": "520101", "valueChain": "silk" } })).await;
    let enterprise = e.data("/createEnterprise/enterprise/id").clone();
    app.gql(Some(&coordinator.token), "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }",
        json!({ "i": { "name": "Elsewhere", "kind": "SME", "areaCode": "95" } })).await.assert_error("BAD_USER_INPUT", Some("areaCode"));

    let h = HouseholdBuilder::new(3)
        .head("ทอผ้า")
        .create(&app, &surveyor.token)
        .await
        .id;
    let link = "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { role monthlyIncome enterprise { name } } } }";
    let res = app.gql(Some(&surveyor.token), link, json!({ "i": { "enterpriseId": enterprise, "householdId": h, "role": "PRODUCER", "monthlyIncome": 1800.5 } })).await;
    assert_eq!(
        res.data("/linkHouseholdToEnterprise/link/monthlyIncome"),
        1800.5
    );
    app.gql(Some(&surveyor.token), link, json!({ "i": { "enterpriseId": enterprise, "householdId": h, "role": "PRODUCER", "monthlyIncome": 10 } })).await.assert_error("CONFLICT", None);
    app.gql(Some(&surveyor.token), link, json!({ "i": { "enterpriseId": enterprise, "householdId": h, "role": "WORKER", "monthlyIncome": -1 } })).await.assert_error("BAD_USER_INPUT", Some("monthlyIncome"));

    let read = app.gql(Some(&surveyor.token), "query($id: ID!) { household(id: $id) { enterprises { totalCount nodes { role enterprise { name } } } } }", json!({ "id": h })).await;
    assert_eq!(
        read.data("/household/enterprises/nodes/0/enterprise/name"),
        "กลุ่มทอผ้าบ้านเวียงเหนือ"
    );
    let yala = app
        .client_for(
            &AccountBuilder::new(Role::Surveyor)
                .scopes(&["95"])
                .create(&app)
                .await,
        )
        .await;
    let from_yala = app
        .gql(
            Some(&yala.token),
            "{ enterprises { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        from_yala.data("/enterprises/totalCount"),
        0,
        "a Lampang enterprise is out of a Yala surveyor's scope (see enterprises.rs)"
    );
}

#[actix_web::test]
async fn technology_costs_and_gains_outside_their_ranges_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let agency =
        api::graphql::node::encode("Agency", AgencyBuilder::new("RMUT").create(&app).await.id);
    let with = |k: &str, v: serde_json::Value| {
        let mut t = tech("T");
        t["agencyId"] = json!(agency);
        t[k] = v;
        t
    };
    // The largest amounts are accepted.
    let mut max = with("unitCost", json!(10_000_000));
    max["monthlyIncomeGain"] = json!(1_000_000);
    let created = app
        .gql(Some(&admin.token), CREATE, json!({ "i": max }))
        .await;
    let id = created.data("/createTechnology/technology/id").clone();

    for (field, top) in [("unitCost", 10_000_000), ("monthlyIncomeGain", 1_000_000)] {
        for bad in [json!(-1), json!(top + 1)] {
            app.gql(
                Some(&admin.token),
                CREATE,
                json!({ "i": with(field, bad.clone()) }),
            )
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
            app.gql(
                Some(&admin.token),
                UPDATE,
                json!({ "i": { "id": id, "version": 1, "technology": with(field, bad) } }),
            )
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
        }
        app.gql(
            Some(&admin.token),
            CREATE,
            json!({ "i": with(field, json!(1e300)) }),
        )
        .await
        .assert_not_an_int(field);
    }
    let q =
        "query($f: TechnologyFilter) { technologies(filter: $f) { totalCount nodes { version } } }";
    let all = app.gql(Some(&admin.token), q, json!({})).await;
    assert_eq!(all.data("/technologies/totalCount"), 1);
    assert_eq!(all.data("/technologies/nodes/0/version"), 1);

    // The cost filter takes the same range.
    for bad in [json!(-1), json!(10_000_001)] {
        app.gql(
            Some(&admin.token),
            q,
            json!({ "f": { "maxUnitCost": bad } }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("filter.maxUnitCost"));
    }
    app.gql(
        Some(&admin.token),
        q,
        json!({ "f": { "maxUnitCost": 1e300 } }),
    )
    .await
    .assert_not_an_int("filter.maxUnitCost");
    let at_max = app
        .gql(
            Some(&admin.token),
            q,
            json!({ "f": { "maxUnitCost": 10_000_000 } }),
        )
        .await;
    assert_eq!(at_max.data("/technologies/totalCount"), 1);
}

#[actix_web::test]
async fn enterprise_income_outside_0_to_10_million_baht_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let e = app.gql(Some(&coordinator.token), "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }",
        json!({ "i": { "name": "กลุ่มทอผ้า", "kind": "COMMUNITY_ENTERPRISE", "areaCode": "520101" } })).await;
    let enterprise = e.data("/createEnterprise/enterprise/id").clone();
    let h = HouseholdBuilder::new(3)
        .head("ทอผ้า")
        .create(&app, &surveyor.token)
        .await
        .id;
    let link = "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { monthlyIncome } } }";
    let input = |income: serde_json::Value| json!({ "i": { "enterpriseId": enterprise, "householdId": h, "role": "PRODUCER", "monthlyIncome": income } });
    for bad in [
        json!(1e300),
        json!(-1),
        json!(10_000_001),
        json!(10_000_000.01),
    ] {
        app.gql(Some(&surveyor.token), link, input(bad))
            .await
            .assert_error("BAD_USER_INPUT", Some("monthlyIncome"));
    }
    let links = "query($id: ID!) { household(id: $id) { enterprises { totalCount } } }";
    let none = app
        .gql(Some(&surveyor.token), links, json!({ "id": h }))
        .await;
    assert_eq!(none.data("/household/enterprises/totalCount"), 0);

    let max = app
        .gql(Some(&surveyor.token), link, input(json!(10_000_000)))
        .await;
    assert_eq!(
        max.data("/linkHouseholdToEnterprise/link/monthlyIncome"),
        10_000_000.0
    );
}
