//! Operations: automatic persisted queries, `/metrics` and the request budget
//! (`docs/operations.md`). Two replicas sharing them: `replicas.rs`.
use actix_web::test;
use api::ops::{PersistedQueryMode, persisted::sha256_hex};
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

pub const ME: &str = "query Me { me { id login } }";

fn pq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `{query?, extensions}` as an Apollo client does.
pub async fn apq_post(app: &TestApp, token: Option<&str>, query: Option<&str>, hash: &str) -> Gql {
    let mut body = json!({ "extensions": pq(hash) });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    let mut req = test::TestRequest::post()
        .uri("/graphql")
        .insert_header(("content-type", "application/json"))
        .insert_header(("accept", "application/graphql-response+json"))
        .set_payload(body.to_string());
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    app.send(req).await
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /graphql?extensions=…` with the hash only, as Apollo's `useGETForHashedQueries`.
pub async fn apq_get(app: &TestApp, token: Option<&str>, hash: &str) -> Gql {
    let mut req = test::TestRequest::get()
        .uri(&format!(
            "/graphql?operationName=Me&extensions={}",
            encode(&pq(hash).to_string())
        ))
        .insert_header(("accept", "application/json"));
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    app.send(req).await
}

#[actix_web::test]
async fn an_unknown_hash_is_persisted_query_not_found_then_the_text_registers_it_for_get_and_post()
{
    let app = TestApp::spawn().await;
    let user = app.client(Role::Surveyor).await;
    let hash = sha256_hex(ME);

    let unknown = apq_post(&app, Some(&user.token), None, &hash).await;
    assert_eq!(unknown.status, 400, "body: {}", unknown.body);
    unknown.assert_error("PERSISTED_QUERY_NOT_FOUND", None);
    assert_eq!(unknown.message(), "PersistedQueryNotFound");
    // Legacy `application/json` clients get 200 with the error, as for other requests that
    // never ran.
    let legacy = apq_get(&app, Some(&user.token), &hash).await;
    assert_eq!(legacy.status, 200, "body: {}", legacy.body);
    legacy.assert_error("PERSISTED_QUERY_NOT_FOUND", None);

    let registered = apq_post(&app, Some(&user.token), Some(ME), &hash).await;
    assert_eq!(registered.data("/me/login"), &json!(user.account.login));

    let by_get = apq_get(&app, Some(&user.token), &hash).await;
    assert_eq!(by_get.status, 200);
    assert_eq!(by_get.data("/me/login"), &json!(user.account.login));
    let by_post = apq_post(&app, Some(&user.token), None, &hash.to_uppercase()).await;
    assert_eq!(by_post.data("/me/login"), &json!(user.account.login));

    // A known hash costs no statement once the replica has seen it: only the request's own.
    app.reset_statements().await;
    apq_post(&app, Some(&user.token), None, &hash).await;
    let hit = app.statements();
    app.reset_statements().await;
    app.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(hit, app.statements());
}

#[actix_web::test]
async fn a_hash_that_is_not_the_texts_or_malformed_is_bad_input_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Surveyor).await;
    let t = Some(user.token.as_str());
    let wrong = sha256_hex("{ something else }");
    let res = apq_post(&app, t, Some("{ __typename }"), &wrong).await;
    res.assert_error(
        "BAD_USER_INPUT",
        Some("extensions.persistedQuery.sha256Hash"),
    );
    apq_post(&app, t, None, "abc").await.assert_error(
        "BAD_USER_INPUT",
        Some("extensions.persistedQuery.sha256Hash"),
    );
    let v2 = app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("content-type", "application/json"))
                .insert_header(("authorization", format!("Bearer {}", user.token)))
                .set_payload(
                    json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": wrong } } })
                        .to_string(),
                ),
        )
        .await;
    v2.assert_error("BAD_USER_INPUT", Some("extensions.persistedQuery.version"));
    apq_post(&app, t, None, &wrong)
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);
}

#[actix_web::test]
async fn texts_beyond_the_limits_or_failing_validation_are_not_stored() {
    let app = TestApp::spawn_with(|s| s.limits.max_depth = 3).await;
    let user = app.client(Role::Surveyor).await;
    let t = Some(user.token.as_str());
    let deep = "{ me { agency { accounts { nodes { id } } } } }";
    let res = apq_post(&app, t, Some(deep), &sha256_hex(deep)).await;
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
    apq_post(&app, t, None, &sha256_hex(deep))
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);

    let unknown_field = "{ noSuchField }";
    apq_post(&app, t, Some(unknown_field), &sha256_hex(unknown_field))
        .await
        .assert_error("GRAPHQL_VALIDATION_FAILED", None);
    apq_post(&app, t, None, &sha256_hex(unknown_field))
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);
}

#[actix_web::test]
async fn an_anonymous_client_runs_a_text_with_its_hash_but_stores_nothing() {
    // Anonymous callers cannot grow the shared table: their texts run, and are not kept.
    let app = TestApp::spawn().await;
    let text = "{ __typename }";
    let hash = sha256_hex(text);
    let res = apq_post(&app, None, Some(text), &hash).await;
    assert_eq!(res.data("/__typename"), "QueryRoot", "body: {}", res.body);
    apq_post(&app, None, None, &hash)
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);
    // Signed in, the same text is stored and then runs by its hash alone, for anyone.
    let user = app.client(Role::Surveyor).await;
    apq_post(&app, Some(&user.token), Some(text), &hash).await;
    let by_hash = apq_post(&app, None, None, &hash).await;
    assert_eq!(
        by_hash.data("/__typename"),
        "QueryRoot",
        "body: {}",
        by_hash.body
    );
}

#[actix_web::test]
async fn in_allowlist_mode_only_registered_texts_run() {
    let app = TestApp::spawn_with(|s| {
        s.ops.persisted_queries = PersistedQueryMode::Allowlist;
    })
    .await;
    // The login the test client sends is registered first (as a deployment would register
    // its clients' texts); a text without its hash runs when its hash is registered.
    let login = "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }";
    api::ops::persisted::store(&app.db, &sha256_hex(login), login)
        .await
        .unwrap();
    let user = app.client(Role::Surveyor).await;
    let hash = sha256_hex(ME);
    // A free text, or a text with its hash that nobody registered, does not run.
    app.gql(Some(&user.token), ME, json!({}))
        .await
        .assert_error("FORBIDDEN", None);
    apq_post(&app, Some(&user.token), Some(ME), &hash)
        .await
        .assert_error("PERSISTED_QUERY_NOT_FOUND", None);
    // Registered (what `api persisted-queries add` does), it runs by hash.
    let checked = api::ops::persisted::checked_hash(ME, &app.state.services.settings.limits);
    assert_eq!(checked.as_deref(), Ok(hash.as_str()));
    api::ops::persisted::store(&app.db, &hash, ME)
        .await
        .unwrap();
    let res = apq_post(&app, Some(&user.token), None, &hash).await;
    assert_eq!(res.data("/me/login"), &json!(user.account.login));
}

async fn metrics(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut req = test::TestRequest::get().uri("/metrics");
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    let (status, _, body) = app.call(req).await;
    (status.as_u16(), String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn metrics_count_requests_by_operation_and_outcome_and_show_the_pool() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Surveyor).await;
    app.gql(Some(&user.token), ME, json!({})).await;
    app.gql(None, "query Me { me { id } }", json!({})).await;
    app.gql(Some(&user.token), "query Broken { nope }", json!({}))
        .await;
    let (status, text) = metrics(&app, None).await;
    assert_eq!(status, 200);
    assert!(
        text.contains(r#"graphql_requests_total{operation="Me",outcome="ok"}"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"graphql_requests_total{operation="Broken",outcome="GRAPHQL_VALIDATION_FAILED"}"#
        ),
        "{text}"
    );
    assert!(text.contains("graphql_request_duration_seconds_bucket{operation=\"Me\""));
    assert!(text.contains("db_pool_connections{state=\"open\"}"));
    assert!(text.contains("graphql_subscriptions_open"));
    // The live machinery's counters, as counters.
    app.state
        .services
        .live
        .deliver_locally(api::live::Event::new(
            api::live::Kind::Import,
            user.account.id,
        ));
    let (_, text) = metrics(&app, None).await;
    assert!(
        text.contains("# TYPE live_events_total counter\nlive_events_total 1\n"),
        "{text}"
    );
    assert!(text.contains("\nlive_slow_consumers_total 0\n"), "{text}");
    assert!(text.contains("\nlive_rereads_running 0\n"), "{text}");
}

#[actix_web::test]
async fn with_a_metrics_token_only_its_bearer_reads_metrics() {
    let token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(|s| {
        s.ops.metrics_token = Some(token.to_string().into());
    })
    .await;
    assert_eq!(metrics(&app, None).await.0, 401);
    assert_eq!(metrics(&app, Some("metrics-token-wrong-000")).await.0, 401);
    assert_eq!(metrics(&app, Some(token)).await.0, 200);
}

#[actix_web::test]
async fn over_its_budget_a_caller_is_rate_limited_with_retry_after_and_others_are_not() {
    let app = TestApp::spawn_with(|s| {
        s.ops.request_budget = 3;
        s.ops.request_budget_window = std::time::Duration::from_secs(3600);
    })
    .await;
    // Logging in spends budget of the (anonymous) address; sign in two users first.
    let (one, two) = {
        let a = crate::helpers::fixtures::AccountBuilder::new(Role::Surveyor)
            .create(&app)
            .await;
        let b = crate::helpers::fixtures::AccountBuilder::new(Role::Surveyor)
            .create(&app)
            .await;
        (
            app.login(&a.login, crate::helpers::PASSWORD).await.0,
            app.login(&b.login, crate::helpers::PASSWORD).await.0,
        )
    };
    for _ in 0..3 {
        assert_eq!(app.gql(Some(&one), ME, json!({})).await.status, 200);
    }
    let over = app.gql(Some(&one), ME, json!({})).await;
    assert_eq!(over.status, 429, "body: {}", over.body);
    over.assert_error("RATE_LIMITED", None);
    let retry = over
        .body
        .pointer("/errors/0/extensions/retryAfter")
        .unwrap();
    assert!(retry.as_u64().unwrap() >= 1);
    assert_eq!(
        over.headers.get("retry-after").unwrap().to_str().unwrap(),
        retry.to_string()
    );
    // Another account has its own budget.
    assert_eq!(app.gql(Some(&two), ME, json!({})).await.status, 200);
    // Anonymous requests count against the address: two logins and this one are three.
    assert_eq!(app.gql(None, "{ __typename }", json!({})).await.status, 200);
    assert_eq!(app.gql(None, "{ __typename }", json!({})).await.status, 429);
}

#[actix_web::test]
async fn the_budget_costs_one_statement_per_request() {
    let with = TestApp::spawn_with(|s| s.ops.request_budget = 1_000).await;
    let without = TestApp::spawn().await;
    let a = with.client(Role::Surveyor).await;
    let b = without.client(Role::Surveyor).await;
    with.gql(Some(&a.token), ME, json!({})).await;
    without.gql(Some(&b.token), ME, json!({})).await;
    with.reset_statements().await;
    without.reset_statements().await;
    with.gql(Some(&a.token), ME, json!({})).await;
    without.gql(Some(&b.token), ME, json!({})).await;
    assert_eq!(with.statements(), without.statements() + 1);
}

/// The value of one sample line of `/metrics` (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn requests_refused_before_graphql_are_counted_by_reason_and_status() {
    let app = TestApp::spawn_with(|s| s.limits.max_body_bytes = 1_000).await;
    let series = [
        r#"http_requests_rejected_total{reason="too_large",status="413"}"#,
        r#"http_requests_rejected_total{reason="unsupported_media_type",status="415"}"#,
        r#"http_requests_rejected_total{reason="malformed",status="400"}"#,
        r#"http_requests_rejected_total{reason="method_not_allowed",status="405"}"#,
    ];
    let (_, before) = metrics(&app, None).await;
    let post = |content_type: &str, body: Vec<u8>| {
        test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("content-type", content_type.to_string()))
            .insert_header(("accept", "application/graphql-response+json"))
            .set_payload(body)
    };
    let big = serde_json::to_vec(
        &json!({ "query": format!("{{ me {{ id }} }} #{}", "x".repeat(2_000)) }),
    )
    .unwrap();
    let (status, _, _) = app.call(post("application/json", big)).await;
    assert_eq!(status.as_u16(), 413);
    let (status, _, _) = app
        .call(post("text/plain", b"{ me { id } }".to_vec()))
        .await;
    assert_eq!(status.as_u16(), 415);
    let (status, _, _) = app
        .call(post("application/json", b"not json".to_vec()))
        .await;
    assert_eq!(status.as_u16(), 400);
    let (status, _, _) = app.call(test::TestRequest::put().uri("/graphql")).await;
    assert_eq!(status.as_u16(), 405);
    let (_, after) = metrics(&app, None).await;
    for s in series {
        // Other tests in this process may count some too: at least ours.
        assert!(
            sample(&after, s) >= sample(&before, s) + 1.0,
            "{s}: {} then {}",
            sample(&before, s),
            sample(&after, s)
        );
    }
}

#[actix_web::test]
async fn a_request_beyond_the_executions_allowed_waits_for_a_turn_and_is_busy_when_none_comes() {
    let app = TestApp::spawn_with(|s| {
        s.limits.max_executions = 1;
        s.limits.request_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let client = app.client(Role::Coordinator).await;
    // Every turn is taken (as by a long request): this one waits out its time limit.
    let turn = app.state.services.executions.acquire().await.unwrap();
    let busy = app.gql(Some(&client.token), ME, json!({})).await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    busy.assert_error("SERVICE_UNAVAILABLE", None);
    assert_eq!(busy.headers.get("retry-after").unwrap(), "1");
    assert!(busy.body.get("data").is_none(), "{}", busy.body);

    drop(turn);
    let answered = app.gql(Some(&client.token), ME, json!({})).await;
    assert_eq!(answered.data("/me/login"), client.account.login.as_str());
}
