//! GraphQL over HTTP, as the GraphQL-over-HTTP spec and API.md say: POST with
//! `application/json`; GET for queries only (405 with `Allow: POST` for a mutation); 415 for
//! other content types; 413 (with a GraphQL error body) beyond the body limit; the response
//! type follows `Accept`. A request that never ran (parse, validation or input failure) is 400
//! with `application/graphql-response+json` and 200 with `application/json` (the spec's
//! SHOULD for legacy clients); a bad token is 401; a database that cannot be reached is 503.
//! Where an error is answered with a status of its own, the status is the one its code calls
//! for (`crate::error::status_of_code`): a token check that fails inside the server is 500.
use std::sync::Arc;

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{BatchRequest, BatchResponse, Request, Response, parser::types::OperationType};
use futures::StreamExt;
use serde_json::json;

use crate::{
    auth::{Viewer, service::resolve_viewer_cached, viewer::RequestInfo},
    error::{
        ApiError,
        code::{
            BAD_USER_INPUT, GRAPHQL_PARSE_FAILED as PARSE_FAILED,
            GRAPHQL_VALIDATION_FAILED as VALIDATION_FAILED, INTERNAL_SERVER_ERROR,
            PERSISTED_QUERY_NOT_FOUND, RATE_LIMITED, SERVICE_UNAVAILABLE, UNAUTHENTICATED,
        },
        status_of_code,
    },
    graphql::{
        document::{self, Refusal},
        extensions::error_code,
        introspection_cache, loaders,
        response_cache::{self, SharedDependencies},
    },
    metrics,
    ops::{PersistedQueryMode, budget, persisted},
    startup::{AppState, RequestId},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

pub(crate) fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

fn reply(status: StatusCode, media: &str, body: &impl serde::Serialize) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        builder.insert_header((
            header::RETRY_AFTER,
            ApiError::UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
        ));
    }
    builder.json(body)
}

/// The status of a request that was refused before it ran: 400 for clients that speak
/// `application/graphql-response+json`, 200 (errors in the body) for `application/json`.
fn never_ran_status(media: &str) -> StatusCode {
    if media == GRAPHQL_RESPONSE_JSON {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

fn refused(media: &str, refusal: &Refusal) -> HttpResponse {
    reply(
        never_ran_status(media),
        media,
        &Response::from_errors(vec![refusal.to_server_error()]),
    )
}

/// The body, read up to the limit: beyond it, 413 with a GraphQL error (not actix's plain
/// text), decided from `Content-Length` when there is one, before reading anything.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    media: &str,
) -> Result<web::Bytes, HttpResponse> {
    let too_large = || {
        reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &json!({ "errors": [{
                "message": format!("the request body is larger than {limit} bytes"),
                "extensions": { "code": BAD_USER_INPUT, "maxBytes": limit },
            }] }),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            reply(
                StatusCode::BAD_REQUEST,
                media,
                &error_body(PARSE_FAILED, "the request body could not be read"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `response`, counted in `/metrics` as refused before GraphQL parsed it.
fn rejected(reason: metrics::Rejection, response: HttpResponse) -> HttpResponse {
    metrics::observe_rejected(reason, response.status().as_u16());
    response
}

/// The media type to answer with, or None when the client accepts neither JSON type.
fn negotiate(req: &HttpRequest) -> Option<&'static str> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Some(JSON);
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&GRAPHQL_RESPONSE_JSON) {
        Some(GRAPHQL_RESPONSE_JSON)
    } else if types
        .iter()
        .any(|t| *t == JSON || *t == "*/*" || *t == "application/*")
    {
        Some(JSON)
    } else {
        None
    }
}

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return rejected(
            metrics::Rejection::NotAcceptable,
            HttpResponse::NotAcceptable().finish(),
        );
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != JSON {
        return rejected(
            metrics::Rejection::UnsupportedMediaType,
            reply(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                &error_body(BAD_USER_INPUT, "send the request as application/json"),
            ),
        );
    }
    let limit = state.services.settings.limits.max_body_bytes;
    let body = match read_body(&req, payload, limit, media).await {
        Ok(body) => body,
        Err(response) => {
            let reason = if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
                metrics::Rejection::TooLarge
            } else {
                metrics::Rejection::Malformed
            };
            return rejected(reason, response);
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            return rejected(
                metrics::Rejection::Malformed,
                reply(
                    StatusCode::BAD_REQUEST,
                    media,
                    &error_body(PARSE_FAILED, "the body is not a GraphQL request in JSON"),
                ),
            );
        }
    };
    execute(req, batch, media, false, state).await
}

#[derive(serde::Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    /// JSON, as in a POST body: `{"persistedQuery":{"version":1,"sha256Hash":"…"}}`.
    extensions: Option<String>,
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return rejected(
            metrics::Rejection::NotAcceptable,
            HttpResponse::NotAcceptable().finish(),
        );
    };
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(_) => {
            return rejected(
                metrics::Rejection::Malformed,
                reply(
                    StatusCode::BAD_REQUEST,
                    media,
                    &error_body(PARSE_FAILED, "bad query string"),
                ),
            );
        }
    };
    let mut request = Request::new(params.query.unwrap_or_default());
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables.filter(|v| !v.is_empty()) {
        match serde_json::from_str(&vars) {
            Ok(v) => request = request.variables(v),
            Err(_) => {
                return rejected(
                    metrics::Rejection::Malformed,
                    reply(
                        StatusCode::BAD_REQUEST,
                        media,
                        &error_body(PARSE_FAILED, "variables is not a JSON object"),
                    ),
                );
            }
        }
    }
    if let Some(extensions) = params.extensions.filter(|v| !v.is_empty()) {
        match serde_json::from_str(&extensions) {
            Ok(e) => request.extensions = e,
            Err(_) => {
                return rejected(
                    metrics::Rejection::Malformed,
                    reply(
                        StatusCode::BAD_REQUEST,
                        media,
                        &error_body(PARSE_FAILED, "extensions is not a JSON object"),
                    ),
                );
            }
        }
    }
    execute(req, BatchRequest::Single(request), media, true, state).await
}

/// A request's `extensions.persistedQuery`, resolved: the text to run is in `request.query`
/// afterwards; `Some(hash)` when the text came with its hash and is to be stored once it has
/// run without parse or validation errors.
async fn resolve_persisted(
    request: &mut Request,
    state: &AppState,
) -> Result<Option<String>, Refusal> {
    let mode = state.services.settings.ops.persisted_queries;
    let lookup = async |hash: &str| {
        state
            .services
            .persisted
            .get(&state.services.db, hash)
            .await
            .map_err(|e| {
                e.log_cause();
                Refusal {
                    code: e.code(),
                    message: e.message(),
                    field: None,
                }
            })
    };
    let Some(value) = request.extensions.0.get("persistedQuery") else {
        // On an allow-list, a text without its hash runs when its hash is registered.
        if mode == PersistedQueryMode::Allowlist
            && lookup(&persisted::sha256_hex(&request.query))
                .await?
                .is_none()
        {
            return Err(Refusal {
                code: crate::error::code::FORBIDDEN,
                message: "this server runs registered persisted queries only".into(),
                field: None,
            });
        }
        return Ok(None);
    };
    let field = |name: &str| format!("extensions.persistedQuery.{name}");
    let bad = |name: &str, message: &str| Refusal {
        code: BAD_USER_INPUT,
        message: message.into(),
        field: Some(field(name)),
    };
    let async_graphql::Value::Object(fields) = value else {
        return Err(bad("version", "persistedQuery must be an object"));
    };
    let version = fields.get("version").and_then(|v| match v {
        async_graphql::Value::Number(n) => n.as_i64(),
        _ => None,
    });
    if version != Some(1) {
        return Err(bad("version", "only persistedQuery version 1 is supported"));
    }
    let hash = match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(h)) if persisted::is_hash(h) => h.to_ascii_lowercase(),
        _ => {
            return Err(bad(
                "sha256Hash",
                "sha256Hash must be 64 hexadecimal digits",
            ));
        }
    };
    let not_found = || Refusal {
        code: PERSISTED_QUERY_NOT_FOUND,
        message: persisted::NOT_FOUND_MESSAGE.into(),
        field: None,
    };
    if mode == PersistedQueryMode::Off {
        return Err(not_found());
    }
    let sent_text = !request.query.is_empty();
    if sent_text && persisted::sha256_hex(&request.query) != hash {
        return Err(bad("sha256Hash", "provided sha does not match query"));
    }
    if sent_text && mode == PersistedQueryMode::Automatic {
        return Ok(Some(hash));
    }
    match lookup(&hash).await? {
        Some(text) => {
            if !sent_text {
                request.query = text.to_string();
            }
            Ok(None)
        }
        None => Err(not_found()),
    }
}

/// Whether a request's answer may come from memory, under a key of its text.
#[derive(Clone, Copy)]
enum Reuse {
    No,
    /// It reads the schema only (`introspection_cache`).
    Schema([u8; 32]),
    /// It reads dashboards only (`response_cache`, keyed further by who asks and the day).
    Dashboards([u8; 32]),
}

enum Rejection {
    Refused(Refusal),
    MethodNotAllowed,
}

/// Checks the document before anything runs (see `graphql::document`) and hands the parsed
/// document to async-graphql, so it is parsed once. Says whether its answer may be reused,
/// and whether it is a mutation.
fn precheck(
    request: &mut Request,
    state: &AppState,
    via_get: bool,
) -> Result<(Reuse, bool), Rejection> {
    let text_key = |request: &Request| {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        introspection_cache::key(
            &request.query,
            request.operation_name.as_deref(),
            &variables,
        )
    };
    // A text already parsed, checked and found to read dashboards only is not parsed again
    // here: the same text with the same variables passes the same checks. (On a miss of its
    // answer, async-graphql parses it once.)
    let responses = &state.services.responses;
    let known_key = responses.knows_any_text().then(|| text_key(request));
    if let Some(key) = known_key
        && responses.is_dashboard_text(&key)
    {
        return Ok((Reuse::Dashboards(key), false));
    }
    let (doc, ty) = document::parse_and_check_kept(
        &request.query,
        request.operation_name.as_deref(),
        &request.variables,
        &state.services.settings.limits,
        &state.services.parsed,
    )
    .map_err(Rejection::Refused)?;
    if via_get && ty != OperationType::Query {
        return Err(Rejection::MethodNotAllowed);
    }
    let operation = request.operation_name.as_deref();
    // The text's key, hashed at most once per request.
    let key = || known_key.unwrap_or_else(|| text_key(request));
    let reuse = if document::reads_schema_only(&doc, operation) {
        Reuse::Schema(key())
    } else if document::reads_dashboards_only(&doc, operation) {
        let key = key();
        responses.remember_dashboard_text(key);
        Reuse::Dashboards(key)
    } else {
        Reuse::No
    };
    request.set_parsed_query(doc);
    Ok((reuse, ty == OperationType::Mutation))
}

/// Runs the request and counts it in `/metrics` (operation, outcome, latency).
async fn execute(
    req: HttpRequest,
    batch: BatchRequest,
    media: &'static str,
    via_get: bool,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let operation = match &batch {
        BatchRequest::Single(r) => metrics::operation_label(
            r.operation_name
                .as_deref()
                .or_else(|| metrics::named_operation(&r.query)),
        ),
        BatchRequest::Batch(_) => "batch".to_string(),
    };
    let mut outcome = None;
    let response = run(req, batch, media, via_get, state, &mut outcome).await;
    let outcome = outcome.unwrap_or_else(|| outcome_of_status(response.status()));
    metrics::observe_request(&operation, outcome, started.elapsed());
    response
}

/// The outcome of a request answered before it ran, from its status.
fn outcome_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=299 => "ok",
        401 => UNAUTHENTICATED,
        429 => RATE_LIMITED,
        503 => SERVICE_UNAVAILABLE,
        400..=499 => BAD_USER_INPUT,
        _ => INTERNAL_SERVER_ERROR,
    }
}

/// The error code of a response, as a label: `ok`, or the first error's code from the
/// fixed vocabulary (`OTHER` for anything else).
fn outcome_of(response: &Response) -> &'static str {
    use crate::error::code::*;
    let Some(first) = response.errors.first() else {
        return "ok";
    };
    const KNOWN: [&str; 11] = [
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        BAD_USER_INPUT,
        CONFLICT,
        RATE_LIMITED,
        SERVICE_UNAVAILABLE,
        INTERNAL_SERVER_ERROR,
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        PERSISTED_QUERY_NOT_FOUND,
    ];
    let code = error_code(first).unwrap_or("");
    KNOWN.into_iter().find(|k| *k == code).unwrap_or("OTHER")
}

/// The client's address for the request budget: the peer, or, behind a trusted proxy
/// (`APP_TRUST_FORWARDED_FOR`), the last address of `X-Forwarded-For` (the one that proxy
/// appended; earlier ones are the client's to invent).
fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for
        && let Some(last) = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
    {
        return Some(last.to_string());
    }
    req.peer_addr().map(|a| a.ip().to_string())
}

async fn run(
    req: HttpRequest,
    batch: BatchRequest,
    media: &'static str,
    via_get: bool,
    state: web::Data<AppState>,
    outcome: &mut Option<&'static str>,
) -> HttpResponse {
    let limits = &state.services.settings.limits;
    let single = matches!(batch, BatchRequest::Single(_));
    let mut requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => {
            if rs.is_empty() || rs.len() > limits.max_batch {
                *outcome = Some(VALIDATION_FAILED);
                return reply(
                    never_ran_status(media),
                    media,
                    &error_body(
                        VALIDATION_FAILED,
                        &format!("a batch holds 1 to {} operations", limits.max_batch),
                    ),
                );
            }
            rs
        }
    };

    // Persisted queries first: the text they name goes through the same checks.
    let mut to_store = Vec::with_capacity(requests.len());
    for request in &mut requests {
        match resolve_persisted(request, &state).await {
            Ok(hash) => to_store.push(hash),
            Err(refusal) => {
                *outcome = Some(refusal.code);
                if refusal.code == SERVICE_UNAVAILABLE {
                    return unavailable(media);
                }
                if refusal.code == INTERNAL_SERVER_ERROR {
                    return reply(
                        status_of_code(INTERNAL_SERVER_ERROR),
                        media,
                        &error_body(INTERNAL_SERVER_ERROR, ApiError::INTERNAL_MESSAGE),
                    );
                }
                return refused(media, &refusal);
            }
        }
    }

    let mut cache_keys = Vec::with_capacity(requests.len());
    let mut mutates = false;
    for request in &mut requests {
        match precheck(request, &state, via_get) {
            Ok((key, mutation)) => {
                cache_keys.push(key);
                mutates |= mutation;
            }
            Err(Rejection::MethodNotAllowed) => {
                return HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, "POST"))
                    .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
                    .json(error_body(
                        BAD_USER_INPUT,
                        "mutations must be sent with POST",
                    ));
            }
            Err(Rejection::Refused(refusal)) => {
                *outcome = Some(refusal.code);
                return refused(media, &refusal);
            }
        }
    }

    // During an outage this replica already knows of, answer at once rather than let every
    // request wait out the pool's acquire timeout.
    let health = &state.services.db_health;
    if health.is_down() {
        return unavailable(media);
    }

    let viewer = match bearer(&req) {
        None => Viewer::Anonymous,
        Some(Err(())) => {
            return unauthorized(media, "the Authorization header must be 'Bearer <token>'");
        }
        Some(Ok(token)) => {
            let s = &state.services;
            match resolve_viewer_cached(&s.db, &s.keys, &s.live, token).await {
                Ok(v) => v,
                Err(ApiError::Unauthenticated(message)) => return unauthorized(media, &message),
                Err(other) => {
                    if matches!(other, ApiError::Unavailable(_)) {
                        health.mark_down(&state.services.db);
                    }
                    // The status the error's code calls for: 503 only when the database is
                    // away, 500 for a fault of ours.
                    return other.http_response(media);
                }
            }
        }
    };
    // Only signed-in callers register texts: an anonymous client could otherwise fill the
    // shared table with endless distinct texts. Theirs still run when sent with the hash.
    if matches!(viewer, Viewer::Anonymous) {
        to_store.iter_mut().for_each(|hash| *hash = None);
    }
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();

    // The request budget (`ops::budget`): one statement, shared by every replica.
    let ops = &state.services.settings.ops;
    if ops.request_budget > 0 {
        let address = client_address(&req, ops.trust_forwarded_for);
        let bucket = budget::bucket_of(&viewer, address.as_deref());
        match budget::spend(
            &state.services.db,
            &bucket,
            ops.request_budget,
            ops.request_budget_window,
        )
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(retry_after_secs)) => {
                *outcome = Some(RATE_LIMITED);
                return ApiError::RateLimited { retry_after_secs }.http_response(media);
            }
            Err(e) => {
                if matches!(e, ApiError::Unavailable(_)) {
                    health.mark_down(&state.services.db);
                }
                *outcome = Some(e.code());
                return e.http_response(media);
            }
        }
    }

    // A query that reads the schema only is answered from memory once computed; one that
    // reads dashboards only, while the rollups it was read from are unchanged.
    let reuse = if single { cache_keys[0] } else { Reuse::No };
    let cache = &state.services.introspection;
    let (cache_key, answer_key) = match reuse {
        Reuse::No => (None, None),
        Reuse::Schema(key) => (Some(key), None),
        Reuse::Dashboards(text) => (
            None,
            response_cache::key(&text, &viewer, chrono::Utc::now().date_naive()),
        ),
    };
    // An answer kept in memory ran without errors before: a text sent with its hash is
    // stored as it would be after running.
    let store_first = async |state: &AppState| {
        if let (Some(Some(hash)), Some(request)) = (to_store.first(), requests.first())
            && let Err(e) = state
                .services
                .persisted
                .put(&state.services.db, hash, &request.query)
                .await
        {
            e.log_cause();
        }
    };
    if let Some(body) = cache_key.and_then(|key| cache.get(&key)) {
        store_first(&state).await;
        return ok_body(media, body);
    }
    if let Some(key) = &answer_key
        && let Ok(Some(body)) = state
            .services
            .responses
            .fresh(&state.services.db, &state.services.live, key)
            .await
    {
        store_first(&state).await;
        return ok_body(media, body);
    }
    let dependencies: SharedDependencies = Arc::default();

    let mut responses = Vec::with_capacity(requests.len());
    let texts: Vec<String> = requests
        .iter()
        .zip(&to_store)
        .filter(|(_, hash)| hash.is_some())
        .map(|(r, _)| r.query.clone())
        .collect();
    // A turn to execute (`APP_MAX_EXECUTIONS`), first come first served, held until the
    // answer is written: requests beyond the limit wait here holding only their document,
    // not an execution's memory. The wait counts towards the request's time limit.
    let deadline = tokio::time::Instant::now() + limits.request_timeout;
    let Ok(Ok(_turn)) =
        tokio::time::timeout_at(deadline, state.services.executions.acquire()).await
    else {
        tracing::warn!("no turn to execute within the request time limit");
        *outcome = Some(SERVICE_UNAVAILABLE);
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            &error_body(SERVICE_UNAVAILABLE, BUSY_MESSAGE),
        );
    };
    for request in requests {
        let (loader, batches) = loaders::for_request(
            state.services.db.clone(),
            viewer.clone(),
            state.services.settings.dataloader_delay,
            dependencies.clone(),
        );
        let request = request
            .data(dependencies.clone())
            .data(viewer.clone())
            .data(RequestInfo {
                request_id: request_id.clone(),
            })
            .data::<Arc<loaders::AppLoader>>(loader);
        let execution = batches.drive(state.schema.execute(request));
        let response = match tokio::time::timeout_at(deadline, execution).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!("request timed out");
                // The status its code calls for: 503 is only for an unreachable database.
                return reply(
                    status_of_code(INTERNAL_SERVER_ERROR),
                    media,
                    &error_body(INTERNAL_SERVER_ERROR, "the request took too long"),
                );
            }
        };
        responses.push(response);
    }
    // A mutation may have changed rollups: this replica reads the provinces' versions again
    // (the others hear of it from the database; `rollup::kept`). Done before answering, so
    // the client's next read here sees its write.
    if mutates {
        state.services.live.versions.forget_all();
    }

    let database_away = responses
        .iter()
        .flat_map(|r| &r.errors)
        .any(|e| error_code(e) == Some(SERVICE_UNAVAILABLE));
    if database_away {
        health.mark_down(&state.services.db);
    }
    *outcome = Some(
        responses
            .iter()
            .map(outcome_of)
            .find(|o| *o != "ok")
            .unwrap_or("ok"),
    );
    // Texts sent with their hash are stored once they ran: they passed the limits above and
    // the schema's validation (a document that never ran is not kept).
    let mut texts = texts.into_iter();
    for (hash, response) in to_store.iter().zip(&responses) {
        let Some(hash) = hash else { continue };
        let text = texts.next().unwrap_or_default();
        let never_ran = response
            .errors
            .iter()
            .any(|e| matches!(error_code(e), Some(PARSE_FAILED) | Some(VALIDATION_FAILED)));
        if !never_ran
            && !database_away
            && let Err(e) = state
                .services
                .persisted
                .put(&state.services.db, hash, &text)
                .await
        {
            e.log_cause();
        }
    }
    if single {
        let response = responses.pop().expect("one response");
        if let Some(key) = cache_key
            && response.errors.is_empty()
            && let Ok(body) = serde_json::to_vec(&response)
        {
            let body = web::Bytes::from(body);
            cache.put(key, body.clone());
            return ok_body(media, body);
        }
        if let Some(key) = answer_key
            && response.errors.is_empty()
            && !database_away
            && let Ok(body) = serde_json::to_vec(&response)
        {
            let body = web::Bytes::from(body);
            state
                .services
                .responses
                .put(key, &dependencies, body.clone());
            return ok_body(media, body);
        }
        let status = if database_away {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            status_of(&response, media)
        };
        reply(status, media, &response)
    } else {
        let status = if database_away {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        reply(status, media, &BatchResponse::Batch(responses))
    }
}

/// When the document never ran (a parse, validation or input-coercion failure), the status
/// for that (see [`never_ran_status`]); 200 otherwise.
fn status_of(response: &Response, media: &str) -> StatusCode {
    let never_ran = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            matches!(error_code(e), Some(PARSE_FAILED) | Some(VALIDATION_FAILED))
                || (e.path.is_empty() && error_code(e) == Some(BAD_USER_INPUT))
        });
    if never_ran {
        never_ran_status(media)
    } else {
        StatusCode::OK
    }
}

/// 200 with a body already serialized.
fn ok_body(media: &str, body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
        .body(body)
}

/// The message of a request that found no turn to execute in time.
const BUSY_MESSAGE: &str = "the service is busy; try again shortly";

fn unavailable(media: &str) -> HttpResponse {
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        media,
        &error_body(SERVICE_UNAVAILABLE, ApiError::UNAVAILABLE_MESSAGE),
    )
}

pub(crate) fn bearer(req: &HttpRequest) -> Option<Result<&str, ()>> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    let value = value.to_str().map_err(|_| ());
    Some(value.and_then(|v| {
        let (scheme, token) = v.split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            Ok(token.trim())
        } else {
            Err(())
        }
    }))
}

pub(crate) fn unauthorized(media: &str, message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
        .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
        .json(error_body(UNAUTHENTICATED, message))
}
