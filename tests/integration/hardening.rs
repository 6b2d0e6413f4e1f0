//! Hostile requests: each test here is an attack that once crashed, stalled or misled the
//! service, sent as an attacker would (anonymous where that was enough).
use actix_web::test::TestRequest;
use entity::enums::Role;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixtures};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn post(body: Value, accept: &str) -> TestRequest {
    TestRequest::post()
        .uri("/graphql")
        .insert_header(("content-type", "application/json"))
        .insert_header(("accept", accept))
        .set_payload(body.to_string())
}

fn get(query: &str) -> TestRequest {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    TestRequest::get()
        .uri(&format!("/graphql?query={encoded}"))
        .insert_header(("accept", GRAPHQL_RESPONSE_JSON))
}

/// A document whose fragments each spread the previous one six times, `levels` deep.
fn fragment_bomb(levels: usize) -> String {
    let mut doc = String::from("fragment F1 on QueryRoot { __typename }\n");
    for k in 2..=levels {
        doc.push_str(&format!(
            "fragment F{k} on QueryRoot {{ {}}}\n",
            format!("...F{} ", k - 1).repeat(6)
        ));
    }
    doc.push_str(&format!("query {{ ...F{levels} }}"));
    doc
}

#[actix_web::test]
async fn literals_nested_thousands_deep_are_refused_by_post_and_get_instead_of_overflowing_the_stack()
 {
    let app = TestApp::spawn().await;
    let list = format!(
        "{{ __typename(x: {}1{}) }}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let object = format!(
        "{{ __typename(x: {}1{}) }}",
        "{a:".repeat(1500),
        "}".repeat(1500)
    );
    for doc in [&list, &object] {
        let res = app
            .send(post(json!({ "query": doc }), GRAPHQL_RESPONSE_JSON))
            .await;
        assert_eq!(res.status, 400, "{}", res.body);
        res.assert_error("GRAPHQL_PARSE_FAILED", None);
    }
    // GET: the same list, shorter so that it fits a URL.
    let res = app
        .send(get(&format!(
            "{{ __typename(x: {}1{}) }}",
            "[".repeat(700),
            "]".repeat(700)
        )))
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    res.assert_error("GRAPHQL_PARSE_FAILED", None);
    // The service is still there.
    let res = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(res.data("/__typename"), "QueryRoot");
}

#[actix_web::test]
async fn a_fragment_bomb_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    for levels in [9, 10] {
        let doc = fragment_bomb(levels);
        assert!(doc.len() < 800, "{} bytes", doc.len());
        let res = app.gql(None, &doc, json!({})).await;
        assert_eq!(res.status, 400, "{}", res.body);
        res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
        assert!(
            res.message().contains("fragments are spread"),
            "{}",
            res.body
        );
    }
    // Fragments spread a few times are fine.
    let res = app.gql(None, &fragment_bomb(3), json!({})).await;
    assert_eq!(res.data("/__typename"), "QueryRoot");
}

#[actix_web::test]
async fn aliases_hidden_in_spread_fragments_count_against_the_alias_limit() {
    let app = TestApp::spawn().await;
    let doc = format!(
        "fragment F on QueryRoot {{ a: __typename b: __typename c: __typename }} {{ {} }}",
        "...F ".repeat(6)
    );
    let res = app.gql(None, &doc, json!({})).await;
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
    assert!(res.message().contains("aliases"), "{}", res.body);
}

#[actix_web::test]
async fn control_characters_in_text_input_are_bad_user_input_naming_the_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    fixtures::seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;

    // Anonymous: the login name.
    let res = app
        .gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({ "i": { "login": "ad\u{0}min", "password": "whatever it is" } }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("login"));

    // A member's given name and the address, deep in the registration input.
    let mut input = fixtures::household_input(fixtures::LAMPANG_VILLAGE, "สม\u{0}ชาย", 7);
    let res = app
        .gql(
            Some(&admin.token),
            crate::helpers::REGISTER,
            json!({ "i": input.clone() }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("members[0].person.givenName"));
    input["members"][0]["person"]["givenName"] = json!("สมชาย");
    input["address"] = json!("12 หมู่ 3\u{0}");
    let res = app
        .gql(
            Some(&admin.token),
            crate::helpers::REGISTER,
            json!({ "i": input }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("address"));
    assert_eq!(
        entity::household::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    // Literals in the document, and filters.
    let cases = [
        ("{ area(code: \"52\\u0000\") { code } }", "code"),
        (
            "{ households(filter: { search: \"x\\u0000\" }) { totalCount } }",
            "filter.search",
        ),
        (
            "{ auditEvents(filter: { entityType: \"Account\\u0000\" }) { totalCount } }",
            "filter.entityType",
        ),
        ("{ areas(search: \"\\u001b[2J\") { totalCount } }", "search"),
    ];
    for (doc, field) in cases {
        let res = app.gql(Some(&admin.token), doc, json!({})).await;
        res.assert_error("BAD_USER_INPUT", Some(field));
    }
    // Line breaks and tabs are text.
    let res = app
        .gql(
            Some(&admin.token),
            "{ areas(search: \"ลำปาง\\n\\t\") { totalCount } }",
            json!({}),
        )
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
}

#[actix_web::test]
async fn a_text_sent_again_is_checked_again_with_its_own_variables_and_operation() {
    // The replica keeps parsed documents by text (`graphql::parsed_cache`); what depends on
    // the request (variables, operation name) must still be checked every time.
    let app = TestApp::spawn().await;
    fixtures::seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let doc = "query Areas($s: String) { areas(search: $s) { totalCount } }";
    for _ in 0..2 {
        let res = app
            .gql(Some(&admin.token), doc, json!({ "s": "ลำปาง" }))
            .await;
        assert!(res.body.get("errors").is_none(), "{}", res.body);
    }
    let res = app
        .gql(Some(&admin.token), doc, json!({ "s": "x\u{0}" }))
        .await;
    res.assert_error("BAD_USER_INPUT", Some("search"));
    let res = app
        .send(
            post(
                json!({ "query": doc, "operationName": "Other", "variables": { "s": "a" } }),
                GRAPHQL_RESPONSE_JSON,
            )
            .insert_header(("authorization", format!("Bearer {}", admin.token))),
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
    // And the document still answers afterwards.
    let res = app.gql(Some(&admin.token), doc, json!({ "s": "ลำ" })).await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
}

#[actix_web::test]
async fn an_unknown_operation_name_or_several_unnamed_operations_are_client_errors() {
    let app = TestApp::spawn().await;
    let res = app
        .send(post(
            json!({ "query": "query A { __typename }", "operationName": "B" }),
            GRAPHQL_RESPONSE_JSON,
        ))
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
    let res = app
        .send(post(
            json!({ "query": "query A { __typename } query B { __typename }" }),
            GRAPHQL_RESPONSE_JSON,
        ))
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
    assert!(res.message().contains("operationName"), "{}", res.body);
    let res = app
        .send(post(
            json!({ "query": "query A { __typename } query B { __typename }", "operationName": "B" }),
            GRAPHQL_RESPONSE_JSON,
        ))
        .await;
    assert_eq!(res.data("/__typename"), "QueryRoot");
}

#[actix_web::test]
async fn plain_json_clients_get_200_for_requests_that_never_ran_and_graphql_response_json_clients_get_400()
 {
    let app = TestApp::spawn().await;
    for (doc, code) in [
        ("{ __typename ", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let res = app
            .send(post(json!({ "query": doc }), "application/json"))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.assert_error(code, None);
        let res = app
            .send(post(json!({ "query": doc }), GRAPHQL_RESPONSE_JSON))
            .await;
        assert_eq!(res.status, 400, "{}", res.body);
        res.assert_error(code, None);
    }
    // Variable coercion.
    let doc = "query($c: String!) { area(code: $c) { code } }";
    let res = app
        .send(post(
            json!({ "query": doc, "variables": { "c": 52 } }),
            "application/json",
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.assert_error("BAD_USER_INPUT", Some("code"));
    let res = app
        .send(post(
            json!({ "query": doc, "variables": { "c": 52 } }),
            GRAPHQL_RESPONSE_JSON,
        ))
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
}

/// The response keys of `data` (or of `data.<field>`), in the order of the raw JSON text
/// (`serde_json::Value` sorts its keys, so the order is read off the bytes).
fn keys_in_order(raw: &str, expected: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = expected
        .iter()
        .map(|k| {
            let at = raw
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} not in {raw}"));
            (at, k.to_string())
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

#[actix_web::test]
async fn top_level_fields_answer_in_the_order_they_were_asked() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Admin).await;
    let ask = |doc: &str| {
        post(json!({ "query": doc }), GRAPHQL_RESPONSE_JSON)
            .insert_header(("authorization", format!("Bearer {}", user.token)))
    };
    // `__typename` is ready at once and the others wait on the database: resolved
    // concurrently and merged as they finish, `__typename` would come first.
    let order = ["povertyLines", "areas", "area", "me", "__typename"];
    let doc = "{ povertyLines { yearBe } areas(first: 1) { totalCount } area(code: \"52\") { code } me { id } __typename }";
    let (_, _, body) = app.call(ask(doc)).await;
    let raw = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(keys_in_order(&raw, &order), order, "{raw}");

    let order = [
        "__typename",
        "me",
        "login",
        "role",
        "area",
        "nameEn",
        "code",
    ];
    let doc = "{ __typename me { login role } area(code: \"52\") { nameEn code } }";
    let (_, _, body) = app.call(ask(doc)).await;
    let raw = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(keys_in_order(&raw, &order), order, "{raw}");
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413_with_a_graphql_error_body() {
    let app = TestApp::spawn().await;
    let big = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(70 * 1024) } });
    let res = app.send(post(big, GRAPHQL_RESPONSE_JSON)).await;
    assert_eq!(res.status, 413);
    res.assert_error("BAD_USER_INPUT", None);
    assert_eq!(
        res.body.pointer("/errors/0/extensions/maxBytes"),
        Some(&json!(65536))
    );
}

#[actix_web::test]
async fn the_standard_introspection_query_works_while_data_keeps_the_depth_limit() {
    let app = TestApp::spawn().await;
    let query = include_str!("fixtures/introspection.graphql");
    let res = app.gql(None, query, json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let types = res.data("/__schema/types").as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Household"));

    let user = app.client(Role::Admin).await;
    let deep = "{ area(code: \"520101\") { parent { parent { children { nodes { children { nodes { children { nodes { parent { parent { code } } } } } } } } } } } }";
    let res = app.gql(Some(&user.token), deep, json!({})).await;
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
}

/// The application on a PostgreSQL that refuses connections (nothing listens on port 1),
/// connected lazily, with a 200 ms acquire timeout.
async fn state_without_database() -> api::startup::AppState {
    let mut settings = api::config::Settings::for_database("postgres://postgres@127.0.0.1:1/none");
    settings.database_acquire_timeout = std::time::Duration::from_millis(200);
    let mut options = sea_orm::ConnectOptions::new(settings.database_url().to_string());
    options
        .connect_lazy(true)
        .acquire_timeout(settings.database_acquire_timeout)
        .connect_timeout(settings.database_acquire_timeout);
    let db = sea_orm::Database::connect(options).await.unwrap();
    api::startup::AppState::new(settings, db).unwrap()
}

/// An anonymous operation that needs the database (the login throttle).
fn login_request(accept: &str) -> TestRequest {
    post(
        json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            "variables": { "i": { "login": "someone", "password": "a long enough password" } },
        }),
        accept,
    )
}

#[actix_web::test]
async fn with_the_database_away_readyz_and_requests_answer_503_at_once_instead_of_hanging() {
    let state = state_without_database().await;
    let app = actix_web::test::init_service(api::startup::build_app(state.clone())).await;

    let res =
        actix_web::test::call_service(&app, TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(res.status(), 503);
    assert!(state.services.db_health.is_down());

    // Known to be away: answered without touching the pool.
    let res =
        actix_web::test::call_service(&app, login_request(GRAPHQL_RESPONSE_JSON).to_request())
            .await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get("retry-after").unwrap(), "1");
    let body: Value = serde_json::from_slice(&actix_web::test::read_body(res).await).unwrap();
    assert_eq!(
        body.pointer("/errors/0/extensions/code"),
        Some(&json!("SERVICE_UNAVAILABLE"))
    );

    // Liveness does not depend on the database.
    let res =
        actix_web::test::call_service(&app, TestRequest::get().uri("/livez").to_request()).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn a_statement_that_cannot_reach_the_database_is_503_service_unavailable() {
    // The first request, before this replica knows of the outage: it waits out the acquire
    // timeout and is then answered 503 with a code, not INTERNAL_SERVER_ERROR.
    let state = state_without_database().await;
    let app = actix_web::test::init_service(api::startup::build_app(state.clone())).await;
    assert!(!state.services.db_health.is_down());
    let res =
        actix_web::test::call_service(&app, login_request("application/json").to_request()).await;
    assert_eq!(res.status(), 503);
    let body: Value = serde_json::from_slice(&actix_web::test::read_body(res).await).unwrap();
    assert_eq!(
        body.pointer("/errors/0/extensions/code"),
        Some(&json!("SERVICE_UNAVAILABLE"))
    );
    assert!(state.services.db_health.is_down());
}

#[actix_web::test]
async fn introspection_is_computed_once_and_then_served_from_memory_with_the_same_answer() {
    let app = TestApp::spawn().await;
    let cache = &app.state.services.introspection;
    let query = include_str!("fixtures/introspection.graphql");
    let ask = |token: Option<&str>| {
        let req = post(json!({ "query": query }), GRAPHQL_RESPONSE_JSON);
        match token {
            Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
            None => req,
        }
    };
    let (status, _, first) = app.call(ask(None)).await;
    assert_eq!(status, 200);
    assert_eq!(cache.len(), 1);
    let (status, headers, second) = app.call(ask(None)).await;
    assert_eq!(status, 200);
    assert_eq!(first, second);
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(GRAPHQL_RESPONSE_JSON)
    );
    // A bad token is still refused, cache or not.
    let (status, _, _) = app.call(ask(Some("not-a-token"))).await;
    assert_eq!(status, 401);

    // Queries that read data, or fail, are not kept.
    let user = app.client(Role::Admin).await;
    let res = app
        .gql(Some(&user.token), "{ __typename me { id } }", json!({}))
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
    let res = app
        .gql(
            None,
            "{ __type(name: \"NoSuchType\") { name } nope: __type(name: 1) { name } }",
            json!({}),
        )
        .await;
    assert!(res.body.get("errors").is_some(), "{}", res.body);
    assert_eq!(cache.len(), 1);
}
