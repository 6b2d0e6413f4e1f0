use entity::enums::Role;
use serde_json::json;

use crate::helpers::{TestApp, builders::AgencyBuilder, fixtures::AccountBuilder};

const CREATE: &str = "mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id name nameEn type version contact { name email phone } coverage { code nameEn } } } }";
const UPDATE: &str = "mutation($i: UpdateAgencyInput!) { updateAgency(input: $i) { agency { id name version contact { phone email } coverage { code } active } } }";

#[actix_web::test]
async fn an_admin_creates_and_updates_an_agency_with_its_coverage() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(
            Some(&admin.token),
            CREATE,
            json!({ "i": { "name": "มทร.ล้านนา ลำปาง", "nameEn": "RMUTL Lampang", "type": "UNIVERSITY",
                "contactName": "Dr. A", "contactEmail": "a@rmutl.ac.th", "contactPhone": "054-342 547",
                "coverageAreaCodes": ["52", "95"] } }),
        )
        .await;
    assert_eq!(res.data("/createAgency/agency/type"), "UNIVERSITY");
    assert_eq!(res.data("/createAgency/agency/contact/phone"), "054342547");
    assert_eq!(
        res.data("/createAgency/agency/coverage"),
        &json!([{ "code": "52", "nameEn": "Lampang" }, { "code": "95", "nameEn": "Yala" }])
    );
    let id = res.data("/createAgency/agency/id").clone();

    let res = app
        .gql(
            Some(&admin.token),
            UPDATE,
            json!({ "i": { "id": id, "version": 1, "contactEmail": null, "coverageAreaCodes": ["5201"] } }),
        )
        .await;
    assert_eq!(res.data("/updateAgency/agency/version"), 2);
    assert_eq!(res.data("/updateAgency/agency/contact/email"), &json!(null));
    assert_eq!(
        res.data("/updateAgency/agency/coverage"),
        &json!([{ "code": "5201" }])
    );

    let stale = app
        .gql(
            Some(&admin.token),
            UPDATE,
            json!({ "i": { "id": id, "version": 1, "name": "Other" } }),
        )
        .await;
    stale.assert_error("CONFLICT", None);
}

#[actix_web::test]
async fn agency_names_are_unique_and_bad_contacts_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    AgencyBuilder::new("Provincial Office").create(&app).await;
    app.gql(
        Some(&admin.token),
        CREATE,
        json!({ "i": { "name": "Provincial Office", "type": "PROVINCIAL_GOV" } }),
    )
    .await
    .assert_error("CONFLICT", None);
    for (patch, field) in [
        (json!({ "contactEmail": "nope" }), "contactEmail"),
        (json!({ "contactPhone": "12" }), "contactPhone"),
        (
            json!({ "coverageAreaCodes": ["999999"] }),
            "coverageAreaCodes",
        ),
        (json!({ "name": "" }), "name"),
    ] {
        let mut input = json!({ "name": "New agency", "type": "NGO" });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        app.gql(Some(&admin.token), CREATE, json!({ "i": input }))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    let all = app
        .gql(Some(&admin.token), "{ agencies { totalCount } }", json!({}))
        .await;
    assert_eq!(all.data("/agencies/totalCount"), 1);
}

#[actix_web::test]
async fn agencies_are_found_by_the_areas_they_cover() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    for (name, codes) in [
        ("Lampang office", json!(["52"])),
        ("Yala office", json!(["95"])),
        ("Mueang Lampang", json!(["5201"])),
    ] {
        app.gql(
            Some(&admin.token),
            CREATE,
            json!({ "i": { "name": name, "type": "PROVINCIAL_GOV", "coverageAreaCodes": codes } }),
        )
        .await
        .data("/createAgency");
    }
    let q = "query($a: String!) { agencies(filter: { coversArea: $a }) { nodes { name } } }";
    let names = |res: &crate::helpers::Gql| -> Vec<String> {
        res.data("/agencies/nodes")
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    let res = app
        .gql(Some(&admin.token), q, json!({ "a": "520101" }))
        .await;
    assert_eq!(names(&res), ["Lampang office", "Mueang Lampang"]);
    let res = app.gql(Some(&admin.token), q, json!({ "a": "5202" })).await;
    assert_eq!(names(&res), ["Lampang office"]);
    app.gql(Some(&admin.token), q, json!({ "a": "5x" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("filter.coversArea"));
}

#[actix_web::test]
async fn agency_staff_see_their_colleagues_but_no_other_agencys_accounts() {
    let app = TestApp::spawn().await;
    let ours = AgencyBuilder::new("Ours").create(&app).await;
    let theirs = AgencyBuilder::new("Theirs").create(&app).await;
    let me = app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(ours.id)
                .create(&app)
                .await,
        )
        .await;
    AccountBuilder::new(Role::Agency)
        .agency(ours.id)
        .create(&app)
        .await;
    AccountBuilder::new(Role::Agency)
        .agency(theirs.id)
        .create(&app)
        .await;
    let coordinator = app.client(Role::Coordinator).await;

    let q = "{ agencies { nodes { name accounts { totalCount nodes { login } } } } }";
    let res = app.gql(Some(&me.token), q, json!({})).await;
    assert_eq!(res.data("/agencies/nodes/0/accounts/totalCount"), 2);
    assert_eq!(res.data("/agencies/nodes/1/accounts/totalCount"), 0);
    let res = app.gql(Some(&coordinator.token), q, json!({})).await;
    assert_eq!(res.data("/agencies/nodes/0/accounts/totalCount"), 0);
}
