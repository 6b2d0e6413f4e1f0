//! GraphQL over HTTP, as API.md says: POST with `application/json`; GET for queries only
//! (405 with `Allow: POST` for a mutation); 415 for other content types; the response type
//! follows `Accept`; parse and validation failures are 400; a bad token is 401.
use std::sync::Arc;

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    BatchRequest, BatchResponse, Request, Response,
    parser::types::{OperationType, Selection, SelectionSet},
};
use serde_json::json;

use crate::{
    auth::{Viewer, service::resolve_viewer, viewer::RequestInfo},
    error::ApiError,
    graphql::{
        extensions::{PARSE_FAILED, VALIDATION_FAILED, error_code},
        loaders,
    },
    startup::{AppState, RequestId},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

fn reply(status: StatusCode, media: &str, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
        .json(body)
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

pub async fn post(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return HttpResponse::NotAcceptable().finish();
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
        return reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            &error_body("BAD_USER_INPUT", "send the request as application/json"),
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            return reply(
                StatusCode::BAD_REQUEST,
                media,
                &error_body(PARSE_FAILED, "the body is not a GraphQL request in JSON"),
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
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return HttpResponse::NotAcceptable().finish();
    };
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(_) => {
            return reply(
                StatusCode::BAD_REQUEST,
                media,
                &error_body(PARSE_FAILED, "bad query string"),
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
                return reply(
                    StatusCode::BAD_REQUEST,
                    media,
                    &error_body(PARSE_FAILED, "variables is not a JSON object"),
                );
            }
        }
    }
    execute(req, BatchRequest::Single(request), media, true, state).await
}

/// Counts aliased fields in a selection set, fragments included once.
fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(fr) => count_aliases(&fr.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

enum Rejection {
    Status(StatusCode, &'static str, String),
    MethodNotAllowed,
}

/// Checks that need the document before it runs: size, syntax, aliases, GET-only-queries.
fn precheck(request: &Request, state: &AppState, via_get: bool) -> Result<(), Rejection> {
    let limits = &state.services.settings.limits;
    if request.query.trim().is_empty() {
        return Err(Rejection::Status(
            StatusCode::BAD_REQUEST,
            PARSE_FAILED,
            "no query given".into(),
        ));
    }
    if request.query.chars().count() > limits.max_document_chars {
        return Err(Rejection::Status(
            StatusCode::BAD_REQUEST,
            VALIDATION_FAILED,
            format!(
                "the document is longer than {} characters",
                limits.max_document_chars
            ),
        ));
    }
    let doc = async_graphql::parser::parse_query(&request.query)
        .map_err(|e| Rejection::Status(StatusCode::BAD_REQUEST, PARSE_FAILED, e.to_string()))?;
    let aliases: usize = doc
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .chain(
            doc.fragments
                .values()
                .map(|f| count_aliases(&f.node.selection_set.node)),
        )
        .sum();
    if aliases > limits.max_aliases {
        return Err(Rejection::Status(
            StatusCode::BAD_REQUEST,
            VALIDATION_FAILED,
            format!("at most {} aliases per document", limits.max_aliases),
        ));
    }
    if via_get {
        let op = match &request.operation_name {
            Some(name) => doc
                .operations
                .iter()
                .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))
                .map(|(_, op)| op),
            None => doc.operations.iter().next().map(|(_, op)| op),
        };
        if let Some(op) = op
            && op.node.ty != OperationType::Query
        {
            return Err(Rejection::MethodNotAllowed);
        }
    }
    Ok(())
}

async fn execute(
    req: HttpRequest,
    batch: BatchRequest,
    media: &'static str,
    via_get: bool,
    state: web::Data<AppState>,
) -> HttpResponse {
    let limits = &state.services.settings.limits;
    let single = matches!(batch, BatchRequest::Single(_));
    let requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => {
            if rs.is_empty() || rs.len() > limits.max_batch {
                return reply(
                    StatusCode::BAD_REQUEST,
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

    for request in &requests {
        match precheck(request, &state, via_get) {
            Ok(()) => {}
            Err(Rejection::MethodNotAllowed) => {
                return HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, "POST"))
                    .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
                    .json(error_body(
                        "BAD_USER_INPUT",
                        "mutations must be sent with POST",
                    ));
            }
            Err(Rejection::Status(status, code, message)) => {
                return reply(status, media, &error_body(code, &message));
            }
        }
    }

    let viewer = match bearer(&req) {
        None => Viewer::Anonymous,
        Some(Err(())) => {
            return unauthorized(media, "the Authorization header must be 'Bearer <token>'");
        }
        Some(Ok(token)) => {
            match resolve_viewer(&state.services.db, &state.services.keys, token).await {
                Ok(v) => v,
                Err(ApiError::Unauthenticated(message)) => return unauthorized(media, &message),
                Err(other) => {
                    let err = async_graphql::Error::from(other);
                    return reply(
                        StatusCode::SERVICE_UNAVAILABLE,
                        media,
                        &error_body("INTERNAL_SERVER_ERROR", &err.message),
                    );
                }
            }
        }
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();

    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        let loader = loaders::for_request(
            state.services.db.clone(),
            viewer.clone(),
            state.services.settings.dataloader_delay,
        );
        let request = request
            .data(viewer.clone())
            .data(RequestInfo {
                request_id: request_id.clone(),
            })
            .data::<Arc<loaders::AppLoader>>(loader);
        let response =
            match tokio::time::timeout(limits.request_timeout, state.schema.execute(request)).await
            {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!("request timed out");
                    return reply(
                        StatusCode::SERVICE_UNAVAILABLE,
                        media,
                        &error_body("INTERNAL_SERVER_ERROR", "the request took too long"),
                    );
                }
            };
        responses.push(response);
    }

    if single {
        let response = responses.pop().expect("one response");
        let status = status_of(&response);
        reply(status, media, &response)
    } else {
        reply(StatusCode::OK, media, &BatchResponse::Batch(responses))
    }
}

/// 400 when the document never ran (parse or validation failure), 200 otherwise.
fn status_of(response: &Response) -> StatusCode {
    let never_ran = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|e| matches!(error_code(e), Some(PARSE_FAILED) | Some(VALIDATION_FAILED)));
    if never_ran {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

fn bearer(req: &HttpRequest) -> Option<Result<&str, ()>> {
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

fn unauthorized(media: &str, message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
        .insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
        .json(error_body("UNAUTHENTICATED", message))
}
