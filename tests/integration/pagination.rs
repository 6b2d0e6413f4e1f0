use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, builders::AgencyBuilder};

fn codes(v: &Value) -> Vec<String> {
    v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn paging_forward_and_backward_visits_every_district_once_in_order() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Analyst).await;
    let q = "query($f: Int, $a: String, $l: Int, $b: String) { areas(parentCode: \"52\", first: $f, after: $a, last: $l, before: $b) { totalCount edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

    let mut forward = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let res = app
            .gql(Some(&user.token), q, json!({ "f": 5, "a": after }))
            .await;
        let conn = res.data("/areas").clone();
        assert_eq!(conn["totalCount"], 13);
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], pages > 0);
        forward.extend(codes(&conn));
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    let mut sorted = forward.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(forward, sorted);
    assert_eq!(forward.len(), 13);

    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let res = app
            .gql(Some(&user.token), q, json!({ "l": 4, "b": before }))
            .await;
        let conn = res.data("/areas").clone();
        let mut page = codes(&conn);
        page.extend(backward);
        backward = page;
        if conn["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = conn["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, forward);
}

#[actix_web::test]
async fn a_cursor_stays_valid_when_rows_are_inserted() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    for i in 0..4 {
        AgencyBuilder::new(&format!("Agency {i}"))
            .create(&app)
            .await;
    }
    let q = "query($a: String) { agencies(first: 2, after: $a) { edges { node { name } } pageInfo { endCursor hasNextPage } } }";
    let page1 = app.gql(Some(&admin.token), q, json!({})).await;
    let cursor = page1.data("/agencies/pageInfo/endCursor").clone();
    AgencyBuilder::new("Agency late").create(&app).await;
    let page2 = app.gql(Some(&admin.token), q, json!({ "a": cursor })).await;
    let names: Vec<&str> = page2
        .data("/agencies/edges")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Agency 2", "Agency 3"]);
    assert_eq!(page2.data("/agencies/pageInfo/hasNextPage"), true);
}

#[actix_web::test]
async fn page_sizes_outside_1_to_100_and_bad_cursors_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Analyst).await;
    for (args, field) in [
        ("first: 0", "first"),
        ("first: 101", "first"),
        ("last: -1", "last"),
        ("first: 5, after: \"garbage\"", "after"),
        ("first: 5, last: 5", "last"),
    ] {
        let res = app
            .gql(
                Some(&user.token),
                &format!("{{ areas({args}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        res.assert_error("BAD_USER_INPUT", Some(field));
    }
}
