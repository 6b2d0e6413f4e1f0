//! Enterprises are scoped by area like households: out of scope reads as not found.
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp,
    builders::HouseholdBuilder,
    fixtures::{AccountBuilder, YALA_VILLAGE, seed_villages},
};

const CREATE: &str =
    "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }";
const LINK: &str = "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { id } } }";
const LIST: &str =
    "query($area: String) { enterprises(areaCode: $area) { totalCount nodes { id areaCode } } }";

struct World {
    app: TestApp,
    admin: Client,
    lampang: Client,
    lampang_surveyor: Client,
    yala: Client,
    lampang_enterprise: Value,
    yala_enterprise: Value,
    lampang_household: Value,
    yala_household: Value,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let lampang = app.client(Role::Coordinator).await; // scoped to 52
    let lampang_surveyor = app.client(Role::Surveyor).await; // scoped to 52
    let yala = app
        .client_for(
            &AccountBuilder::new(Role::Coordinator)
                .scopes(&["95"])
                .create(&app)
                .await,
        )
        .await;
    let create = |token: String, name: &'static str, area: &'static str| {
        let app = &app;
        async move {
            app.gql(
                Some(&token),
                CREATE,
                json!({ "i": { "name": name, "kind": "COMMUNITY_ENTERPRISE", "areaCode": area } }),
            )
            .await
            .data("/createEnterprise/enterprise/id")
            .clone()
        }
    };
    let lampang_enterprise = create(lampang.token.clone(), "กลุ่มทอผ้าบ้านเวียงเหนือ", "520101").await;
    let yala_enterprise = create(yala.token.clone(), "กลุ่มผ้าบาติกสะเตง", "950101").await;
    let lampang_household = HouseholdBuilder::new(11)
        .head("สมศรี")
        .create(&app, &lampang_surveyor.token)
        .await
        .id;
    let yala_household = HouseholdBuilder::new(12)
        .village(YALA_VILLAGE)
        .head("อามีนะห์")
        .create(&app, &admin.token)
        .await
        .id;
    World {
        app,
        admin,
        lampang,
        lampang_surveyor,
        yala,
        lampang_enterprise,
        yala_enterprise,
        lampang_household,
        yala_household,
    }
}

fn ids(list: &Value) -> Vec<Value> {
    list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect()
}

#[actix_web::test]
async fn a_lampang_coordinator_does_not_see_a_yala_enterprise_by_list_node_or_nodes() {
    let w = world().await;
    let list = |token: String, area: Option<&'static str>| {
        let app = &w.app;
        async move {
            app.gql(Some(&token), LIST, json!({ "area": area }))
                .await
                .data("/enterprises")
                .clone()
        }
    };
    let lampang = list(w.lampang.token.clone(), None).await;
    assert_eq!(lampang["totalCount"], 1);
    assert_eq!(ids(&lampang), std::slice::from_ref(&w.lampang_enterprise));
    assert_eq!(
        list(w.lampang.token.clone(), Some("95")).await["totalCount"],
        0
    );
    assert_eq!(
        ids(&list(w.yala.token.clone(), None).await),
        std::slice::from_ref(&w.yala_enterprise)
    );
    assert_eq!(list(w.admin.token.clone(), None).await["totalCount"], 2);

    let node = "query($id: ID!) { node(id: $id) { id ... on Enterprise { name areaCode } } }";
    let by_node = |token: String, id: Value| {
        let app = &w.app;
        async move {
            app.gql(Some(&token), node, json!({ "id": id }))
                .await
                .data("/node")
                .clone()
        }
    };
    assert!(
        by_node(w.lampang.token.clone(), w.yala_enterprise.clone())
            .await
            .is_null()
    );
    assert_eq!(
        by_node(w.yala.token.clone(), w.yala_enterprise.clone()).await["areaCode"],
        "950101"
    );
    let nodes = w
        .app
        .gql(
            Some(&w.lampang.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [w.yala_enterprise, w.lampang_enterprise] }),
        )
        .await;
    assert_eq!(
        nodes.data("/nodes"),
        &json!([null, { "id": w.lampang_enterprise }])
    );
}

#[actix_web::test]
async fn analysts_see_enterprises_in_their_areas_and_agency_staff_see_none() {
    let w = world().await;
    let analyst = w.app.client(Role::Analyst).await; // no area scopes: everything
    let yala_analyst = w
        .app
        .client_for(
            &AccountBuilder::new(Role::Analyst)
                .scopes(&["95"])
                .create(&w.app)
                .await,
        )
        .await;
    let agency = w.app.client(Role::Agency).await;
    let count = |token: String| {
        let app = &w.app;
        async move {
            app.gql(Some(&token), LIST, json!({}))
                .await
                .data("/enterprises/totalCount")
                .clone()
        }
    };
    assert_eq!(count(analyst.token.clone()).await, 2);
    assert_eq!(count(yala_analyst.token.clone()).await, 1);
    assert_eq!(count(agency.token.clone()).await, 0);
    assert!(
        w.app
            .gql(
                Some(&agency.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": w.lampang_enterprise })
            )
            .await
            .data("/node")
            .is_null()
    );
}

#[actix_web::test]
async fn linking_a_household_to_an_out_of_scope_enterprise_is_not_found_and_writes_nothing() {
    let w = world().await;
    let link = |token: String, enterprise: Value, household: Value| {
        let app = &w.app;
        async move {
            app.gql(
                Some(&token),
                LINK,
                json!({ "i": { "enterpriseId": enterprise, "householdId": household,
                "role": "PRODUCER", "monthlyIncome": 900 } }),
            )
            .await
        }
    };
    let unknown = api::graphql::node::encode("Enterprise", uuid::Uuid::now_v7());
    for token in [w.lampang.token.clone(), w.lampang_surveyor.token.clone()] {
        for enterprise in [w.yala_enterprise.clone(), json!(unknown)] {
            link(token.clone(), enterprise, w.lampang_household.clone())
                .await
                .assert_error("NOT_FOUND", None);
        }
    }
    let count = w
        .app
        .gql(
            Some(&w.admin.token),
            "query($id: ID!) { household(id: $id) { enterprises { totalCount } } }",
            json!({ "id": w.lampang_household }),
        )
        .await;
    assert_eq!(count.data("/household/enterprises/totalCount"), 0);
    // In scope it works.
    link(
        w.lampang_surveyor.token.clone(),
        w.lampang_enterprise.clone(),
        w.lampang_household.clone(),
    )
    .await
    .data("/linkHouseholdToEnterprise/link/id");
}

#[actix_web::test]
async fn enterprise_links_show_only_households_and_enterprises_the_viewer_may_see() {
    let w = world().await;
    // ADMIN links both households to the Lampang enterprise, and the Lampang household to the
    // Yala one as well.
    for (enterprise, household) in [
        (&w.lampang_enterprise, &w.lampang_household),
        (&w.lampang_enterprise, &w.yala_household),
        (&w.yala_enterprise, &w.lampang_household),
    ] {
        w.app
            .gql(
                Some(&w.admin.token),
                LINK,
                json!({ "i": { "enterpriseId": enterprise, "householdId": household,
                "role": "SUPPLIER", "monthlyIncome": 500 } }),
            )
            .await
            .data("/linkHouseholdToEnterprise/link/id");
    }
    let links = "{ enterprises { nodes { id links { totalCount nodes { household { id } } } } } }";
    let lampang = w.app.gql(Some(&w.lampang.token), links, json!({})).await;
    assert_eq!(
        lampang.data("/enterprises/nodes/0/links"),
        &json!({ "totalCount": 1, "nodes": [{ "household": { "id": w.lampang_household } }] })
    );
    let admin = w.app.gql(Some(&w.admin.token), links, json!({})).await;
    assert_eq!(admin.data("/enterprises/nodes/0/links/totalCount"), 2);

    // The Lampang household's own links stay visible, but the Yala enterprise reads as null.
    let own = "query($id: ID!) { household(id: $id) { enterprises { totalCount nodes { role enterprise { id } } } } }";
    let read = w
        .app
        .gql(
            Some(&w.lampang.token),
            own,
            json!({ "id": w.lampang_household }),
        )
        .await;
    let enterprises: Vec<Value> = read
        .data("/household/enterprises/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["enterprise"].clone())
        .collect();
    assert_eq!(
        enterprises,
        [json!({ "id": w.lampang_enterprise }), Value::Null]
    );
    // From Yala, the Lampang enterprise (and so its links) is not reachable at all.
    let yala = w
        .app
        .gql(Some(&w.yala.token), own, json!({ "id": w.yala_household }))
        .await;
    assert_eq!(
        yala.data("/household/enterprises/nodes"),
        &json!([{ "role": "SUPPLIER", "enterprise": null }])
    );
}
