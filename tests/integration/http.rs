//! Behaviour visible only at the HTTP level (GraphQL over HTTP, limits, health, GraphiQL).
use actix_web::test::TestRequest;
use entity::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

fn post_json(body: String) -> TestRequest {
    TestRequest::post()
        .uri("/graphql")
        .insert_header(("content-type", "application/json"))
        .set_payload(body)
}

#[actix_web::test]
async fn a_mutation_over_get_is_405_with_allow_post_and_a_query_over_get_runs() {
    let app = TestApp::spawn().await;
    let (status, headers, _) = app
        .call(TestRequest::get().uri("/graphql?query=mutation%7Blogout%7BrevokedSessions%7D%7D"))
        .await;
    assert_eq!(status, 405);
    assert_eq!(headers.get("allow").unwrap(), "POST");

    let user = app.client(Role::Analyst).await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/graphql?query=query%20Q(%24c%3AString!)%7Barea(code%3A%24c)%7BnameEn%7D%7D&variables=%7B%22c%22%3A%2252%22%7D")
                .insert_header(("authorization", format!("Bearer {}", user.token))),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data("/area/nameEn"), "Lampang");
}

#[actix_web::test]
async fn other_content_types_are_415() {
    let app = TestApp::spawn().await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/graphql",
    ] {
        let (status, _, _) = app
            .call(
                TestRequest::post()
                    .uri("/graphql")
                    .insert_header(("content-type", ct))
                    .set_payload("{ me { id } }"),
            )
            .await;
        assert_eq!(status, 415, "{ct}");
    }
    let (status, _, _) = app
        .call(TestRequest::post().uri("/graphql").set_payload("{}"))
        .await;
    assert_eq!(status, 415);
}

#[actix_web::test]
async fn a_body_over_64_kib_is_refused() {
    let app = TestApp::spawn().await;
    let big = format!(
        "{{\"query\":\"{{ me {{ id }} }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(70 * 1024)
    );
    let (status, _, _) = app.call(post_json(big)).await;
    assert_eq!(status, 413);
}

#[actix_web::test]
async fn parse_and_validation_failures_are_400_with_their_codes() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Admin).await;
    let parse = app.gql(Some(&user.token), "{ me { id ", json!({})).await;
    assert_eq!(parse.status, 400);
    parse.assert_error("GRAPHQL_PARSE_FAILED", None);

    let invalid = app
        .gql(Some(&user.token), "{ me { noSuchField } }", json!({}))
        .await;
    assert_eq!(invalid.status, 400);
    invalid.assert_error("GRAPHQL_VALIDATION_FAILED", None);

    let (status, _, _) = app.call(post_json("not json".into())).await;
    assert_eq!(status, 400);
}

#[actix_web::test]
async fn the_response_media_type_follows_accept() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "{ __typename }" }).to_string();
    for (accept, expected) in [
        (
            Some("application/graphql-response+json"),
            "application/graphql-response+json",
        ),
        (Some("application/json"), "application/json"),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            "application/graphql-response+json",
        ),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
    ] {
        let mut req = post_json(body.clone());
        if let Some(a) = accept {
            req = req.insert_header(("accept", a));
        }
        let (status, headers, _) = app.call(req).await;
        assert_eq!(status, 200);
        let ct = headers.get("content-type").unwrap().to_str().unwrap();
        assert!(ct.starts_with(expected), "{accept:?} gave {ct}");
    }
    let (status, _, _) = app
        .call(post_json(body).insert_header(("accept", "text/html")))
        .await;
    assert_eq!(status, 406);
}

#[actix_web::test]
async fn depth_alias_batch_and_document_limits_are_enforced() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Admin).await;
    let deep = "{ area(code: \"520101\") { parent { parent { children { nodes { children { nodes { children { nodes { parent { parent { code } } } } } } } } } } } }";
    let res = app.gql(Some(&user.token), deep, json!({})).await;
    assert_eq!(res.status, 400, "{}", res.body);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);

    let aliases: String = (0..16).map(|i| format!("a{i}: __typename ")).collect();
    let res = app
        .gql(Some(&user.token), &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(res.status, 400);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);

    let op = json!({ "query": "{ __typename }" });
    let (status, _, body) = app.call(post_json(json!([op, op]).to_string())).await;
    assert_eq!(status, 200);
    let batch: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(batch.as_array().unwrap().len(), 2);
    let too_many = app
        .send(
            post_json(json!([op, op, op, op, op, op]).to_string())
                .insert_header(("accept", "application/graphql-response+json")),
        )
        .await;
    assert_eq!(too_many.status, 400);
    too_many.assert_error("GRAPHQL_VALIDATION_FAILED", None);

    let long = format!("{{ __typename }} # {}", "x".repeat(15_001));
    let res = app.gql(Some(&user.token), &long, json!({})).await;
    assert_eq!(res.status, 400);

    let costly = "{ areas(first: 100) { nodes { children(first: 100) { nodes { children(first: 100) { nodes { code } } } } } } }";
    let res = app.gql(Some(&user.token), costly, json!({})).await;
    assert_eq!(res.status, 400);
    res.assert_error("GRAPHQL_VALIDATION_FAILED", None);
}

#[actix_web::test]
async fn health_schema_and_graphiql_endpoints_answer() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.call(TestRequest::get().uri("/livez")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"ok"[..]));
    let (status, _, _) = app.call(TestRequest::get().uri("/readyz")).await;
    assert_eq!(status, 200);
    let (status, _, body) = app.call(TestRequest::get().uri("/schema.graphql")).await;
    assert_eq!(status, 200);
    assert!(
        std::str::from_utf8(&body)
            .unwrap()
            .contains("interface Node")
    );
    let (status, _, body) = app.call(TestRequest::get().uri("/graphiql")).await;
    assert_eq!(status, 200);
    assert!(std::str::from_utf8(&body).unwrap().contains("/graphql"));
}

#[actix_web::test]
async fn production_mode_turns_graphiql_introspection_and_suggestions_off() {
    let app = TestApp::spawn_with(|s| {
        s.environment = api::config::Environment::Production;
        s.limits.introspection = false;
    })
    .await;
    let (status, _, _) = app.call(TestRequest::get().uri("/graphiql")).await;
    assert_eq!(status, 404);
    let user = app.client(Role::Admin).await;
    let res = app
        .gql(
            Some(&user.token),
            "{ __schema { types { name } } }",
            json!({}),
        )
        .await;
    assert!(
        res.body
            .pointer("/data/__schema")
            .is_none_or(|v| v.is_null()),
        "{}",
        res.body
    );
    let res = app
        .gql(Some(&user.token), "{ mee { id } }", json!({}))
        .await;
    assert!(!res.message().contains("Did you mean"), "{}", res.message());
}

#[actix_web::test]
async fn a_request_id_is_made_when_the_caller_sends_none_or_a_bad_one() {
    let app = TestApp::spawn().await;
    let (_, headers, _) = app.call(TestRequest::get().uri("/livez")).await;
    assert_eq!(headers.get("x-request-id").unwrap().len(), 36);
    let (_, headers, _) = app
        .call(
            TestRequest::get()
                .uri("/livez")
                .insert_header(("x-request-id", "bad id with spaces")),
        )
        .await;
    assert_ne!(headers.get("x-request-id").unwrap(), "bad id with spaces");
}

#[actix_web::test]
async fn the_server_binds_a_port_and_answers_over_tcp() {
    use std::io::{Read, Write};
    let (guard, db) = crate::helpers::TestDb::create(Default::default()).await;
    let mut settings = api::config::Settings::for_database(guard.url());
    settings.port = 0;
    let server = api::startup::Application::build_with_db(settings, db).unwrap();
    let port = server.port();
    let handle = actix_web::rt::spawn(server.run_until_stopped());
    let response = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(b"GET /livez HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    handle.abort();
    drop(guard);
}

/// The `src="…"` and `href="…"` values of an HTML page.
fn referenced_paths(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            out.push(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    out
}

#[actix_web::test]
async fn graphiql_loads_only_same_origin_assets_each_served_with_its_type_and_cached_for_good() {
    let app = TestApp::spawn().await;
    let (status, headers, body) = app.call(TestRequest::get().uri("/graphiql")).await;
    assert_eq!(status, 200);
    let header = |h: &actix_web::http::header::HeaderMap, name: &str| {
        h.get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(
        header(&headers, "content-security-policy").starts_with("default-src 'self'"),
        "{headers:?}"
    );
    let html = std::str::from_utf8(&body).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(!html.contains("{{"), "a placeholder was left: {html}");
    let csp = header(&headers, "content-security-policy");
    assert!(!csp.contains("unsafe"), "{csp}");
    let nonce = html
        .split("data-style-nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        nonce.len() >= 22 && csp.contains(&format!("'nonce-{nonce}'")),
        "{csp} / {nonce}"
    );
    let paths = referenced_paths(html);
    let scripts = paths.iter().filter(|p| p.ends_with(".js")).count();
    let styles = paths.iter().filter(|p| p.ends_with(".css")).count();
    assert_eq!((scripts, styles), (4, 2), "{paths:?}");
    // `data:,` is the empty favicon (no request at all).
    for path in paths.iter().filter(|p| *p != "data:,") {
        assert!(path.starts_with("/graphiql/"), "{path}");
        let (status, headers, body) = app.call(TestRequest::get().uri(path)).await;
        assert_eq!(status, 200, "{path}");
        let expected = if path.ends_with(".js") {
            "text/javascript"
        } else if path.ends_with(".css") {
            "text/css"
        } else {
            "text/plain"
        };
        assert!(
            header(&headers, "content-type").starts_with(expected),
            "{path}: {headers:?}"
        );
        assert!(
            header(&headers, "cache-control").contains("immutable"),
            "{path}"
        );
        assert!(!body.is_empty(), "{path}");
    }
    let stale = "/graphiql/000000000000/graphiql.min.js";
    let (status, _, _) = app.call(TestRequest::get().uri(stale)).await;
    assert_eq!(status, 404);

    let production = TestApp::spawn_with(|s| s.limits.introspection = false).await;
    let (status, _, _) = production.call(TestRequest::get().uri(&paths[0])).await;
    assert_eq!(status, 404, "assets are not served when GraphiQL is off");
}

#[actix_web::test]
async fn the_schema_sdl_is_hidden_when_introspection_is_off_unless_app_publish_schema_is_true() {
    let hidden = TestApp::spawn_with(|s| s.limits.introspection = false).await;
    let (status, _, _) = hidden.call(TestRequest::get().uri("/schema.graphql")).await;
    assert_eq!(status, 404);

    let published = TestApp::spawn_with(|s| {
        s.limits.introspection = false;
        s.limits.publish_schema = Some(true);
    })
    .await;
    let (status, _, body) = published
        .call(TestRequest::get().uri("/schema.graphql"))
        .await;
    assert_eq!(status, 200);
    assert!(
        std::str::from_utf8(&body)
            .unwrap()
            .contains("interface Node")
    );
}

#[actix_web::test]
async fn app_publish_schema_false_hides_the_schema_sdl_even_with_introspection_on() {
    let app = TestApp::spawn_with(|s| s.limits.publish_schema = Some(false)).await;
    let (status, _, _) = app.call(TestRequest::get().uri("/schema.graphql")).await;
    assert_eq!(status, 404);
    let (status, _, _) = app.call(TestRequest::get().uri("/graphiql")).await;
    assert_eq!(status, 200, "GraphiQL still follows introspection");
}
