//! Nested lists are batched: the number of SQL statements for a nested query does not grow
//! with the page size.
use entity::enums::Role;
use serde_json::json;

use crate::helpers::{
    TestApp,
    fixtures::{insert_account_row, new_agency},
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
        let agency = new_agency(&app, &format!("Agency {i:02}")).await;
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
