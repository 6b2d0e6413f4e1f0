//! `GET /graphql/ws`: GraphQL subscriptions over the `graphql-transport-ws` protocol.
//!
//! The first message must be `connection_init` with the access token in its payload
//! (`{"Authorization": "Bearer …"}` or `{"token": "…"}`), resolved exactly like the HTTP
//! `Authorization` header (`auth::service::resolve_viewer`). Close codes: 4400 a first message
//! other than `connection_init`, 4403 a missing or bad token, 4408 no `connection_init` in
//! time, 4429 too many connections for the account, 4401 the session was revoked, the account's
//! scope changed (re-checked at once on every account event, on any replica) or the token
//! expired while open, 4413 a slow consumer (the client did not read what it was sent).
use std::{pin::pin, sync::Arc, time::Duration};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use async_graphql::{
    Data,
    http::{WebSocket, WebSocketProtocols},
};
use futures::{SinkExt, StreamExt, channel::mpsc};
use tokio::sync::Notify;

use super::OpenSlot;
use crate::{
    auth::{Scope, Viewer, service::resolve_viewer, viewer::RequestInfo},
    error::ApiError,
    graphql::{http::error_body, loaders},
    startup::AppState,
};

/// The only sub-protocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Raised by a subscription that fell behind: its connection closes (4413).
#[derive(Clone, Default)]
pub struct SlowConsumer(Arc<Notify>);

impl SlowConsumer {
    pub fn signal(&self) {
        self.0.notify_one();
    }
}

pub async fn handler(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let offered = req
        .headers()
        .get(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return Ok(HttpResponse::BadRequest().json(error_body(
            crate::error::code::BAD_USER_INPUT,
            "the WebSocket sub-protocol must be graphql-transport-ws",
        )));
    }
    let Some(slot) = state.services.live.try_open() else {
        return Ok(
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(error_body(
                crate::error::code::SERVICE_UNAVAILABLE,
                "too many live connections; try again later",
            )),
        );
    };
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, body, &[PROTOCOL])?;
    actix_web::rt::spawn(run(state.get_ref().clone(), slot, session, messages));
    Ok(response)
}

async fn close(session: Session, code: u16, reason: &str) {
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::Other(code),
            description: Some(reason.to_owned()),
        }))
        .await;
}

/// The next text frame (answering pings on the way); `None` when the client went away.
async fn next_text(session: &mut Session, messages: &mut MessageStream) -> Option<String> {
    loop {
        match messages.recv().await? {
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(Message::Ping(p)) => {
                session.pong(&p).await.ok()?;
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The token of a `connection_init` payload.
fn token_of(payload: &serde_json::Value) -> Option<&str> {
    if let Some(h) = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
    {
        return h.strip_prefix("Bearer ").map(str::trim);
    }
    payload.get("token").and_then(|v| v.as_str())
}

async fn run(
    state: AppState,
    mut slot: OpenSlot,
    mut session: Session,
    mut messages: MessageStream,
) {
    let services = state.services.clone();
    let Ok(Some(init)) =
        tokio::time::timeout(INIT_TIMEOUT, next_text(&mut session, &mut messages)).await
    else {
        return close(session, 4408, "Connection initialisation timeout").await;
    };
    let parsed: serde_json::Value = serde_json::from_str(&init).unwrap_or_default();
    if parsed.get("type").and_then(|t| t.as_str()) != Some("connection_init") {
        return close(session, 4400, "the first message must be connection_init").await;
    }
    let empty = serde_json::Value::Null;
    let payload = parsed.get("payload").unwrap_or(&empty);
    let Some(token) = token_of(payload).map(str::to_owned) else {
        return close(session, 4403, "Forbidden: connection_init carries no token").await;
    };
    let viewer = match resolve_viewer(&services.db, &services.keys, &token).await {
        Ok(v) => v,
        Err(ApiError::Unauthenticated(_)) => {
            return close(
                session,
                4403,
                "Forbidden: the access token is invalid or expired",
            )
            .await;
        }
        Err(e) => {
            tracing::warn!(error = ?e, "live connection: viewer not resolved");
            return close(session, 1011, "the service is unavailable").await;
        }
    };
    let Viewer::Account(account) = &viewer else {
        return close(session, 4403, "Forbidden").await;
    };
    if !slot.claim_account(account.id) {
        return close(session, 4429, "too many live connections for this account").await;
    }
    // The token's own expiry: the connection does not outlive it.
    let expires_in = services
        .keys
        .verify(&token)
        .map(|c| (c.exp - chrono::Utc::now().timestamp()).max(0))
        .unwrap_or(0);
    let expiry = tokio::time::sleep(Duration::from_secs(expires_in as u64));

    let slow = SlowConsumer::default();
    let mut data = Data::default();
    data.insert(viewer.clone());
    data.insert(RequestInfo {
        request_id: format!("ws-{}", uuid::Uuid::now_v7()),
    });
    data.insert(loaders::for_connection(
        services.db.clone(),
        viewer.clone(),
        services.settings.dataloader_delay,
    ));
    data.insert(slow.clone());
    let me = account.id;
    let scope = Scope::for_viewer(&viewer);
    // Account events: a change of this account on any replica is re-checked at once.
    let mut account_events = services.live.account_events().await;

    // Client frames go to the protocol engine through a small bounded queue.
    let (mut to_engine, from_client) = mpsc::channel::<String>(16);
    if to_engine.send(init).await.is_err() {
        return;
    }
    let engine = WebSocket::new(
        state.schema.clone(),
        from_client,
        WebSocketProtocols::GraphQLWS,
    )
    .connection_data(data);
    let mut engine = pin!(engine);
    let mut expiry = pin!(expiry);
    let live = services.live.settings.clone();
    let mut check = tokio::time::interval(live.session_check);
    check.tick().await;

    // Frames for the client wait in a queue of `APP_LIVE_BUFFER`, written by their own task.
    // While the queue is full the engine is not polled (its subscriptions wait, their events
    // stay in the process's ring): a burst is paced to what the client reads, and a client
    // that reads nothing is closed as a slow consumer (4413) when a frame waited longer than
    // the send timeout for the socket, or a subscription fell more than the ring behind.
    // Nothing else buffers, so a connection holds at most the queue and the socket's buffers.
    let (to_client, mut outgoing) = tokio::sync::mpsc::channel::<String>(live.buffer.max(1));
    let mut writer_session = session.clone();
    let send_timeout = live.send_timeout;
    let mut writer = tokio::spawn(async move {
        while let Some(t) = outgoing.recv().await {
            match tokio::time::timeout(send_timeout, writer_session.text(t)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return WriterEnd::ClientGone,
                Err(_) => return WriterEnd::Slow,
            }
        }
        WriterEnd::Drained
    });
    let _abort_writer = AbortOnDrop(writer.abort_handle());

    let end = loop {
        tokio::select! {
            incoming = messages.recv() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if to_engine.send(t.to_string()).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    if session.pong(&p).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                Some(Ok(_)) => {}
            },
            // Only while the queue has room (the queue is this loop's alone to fill).
            outgoing = engine.next(), if to_client.capacity() > 0 => match outgoing {
                Some(async_graphql::http::WsMessage::Text(t)) => {
                    if to_client.try_send(t).is_err() {
                        // The writer ended: its reason is the connection's.
                        break writer_end(&mut writer, &services).await;
                    }
                }
                Some(async_graphql::http::WsMessage::Close(code, reason)) => {
                    break Some((code, reason));
                }
                None => break Some((1000, String::new())),
            },
            // The queue is full: wait for the writer to take a frame (or to end).
            room = to_client.reserve(), if to_client.capacity() == 0 => {
                if room.is_err() {
                    break writer_end(&mut writer, &services).await;
                }
            }
            done = &mut writer => break writer_ended(done, &services),
            _ = slow.0.notified() => break Some(slow_consumer(&services)),
            _ = &mut expiry => break Some((4401, "the access token expired".to_owned())),
            changed = account_events.recv() => {
                let concerns_me = match changed {
                    Ok(id) => id == me,
                    // Missed some: re-check, one of them may have been this account.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        account_events = services.live.account_events().await;
                        false
                    }
                };
                if concerns_me
                    && let Some(reason) = recheck(&services, &token, &scope).await
                {
                    break Some((4401, reason.to_owned()));
                }
            }
            _ = check.tick() => {
                if let Some(reason) = recheck(&services, &token, &scope).await {
                    break Some((4401, reason.to_owned()));
                }
            }
        }
    };
    drop(_abort_writer);
    if let Some((code, reason)) = end {
        // The close frame queues behind what the client has not read yet: it waits as long as
        // a send may, then the connection is dropped without it (the client sees it end
        // abnormally, 1006).
        let _ = tokio::time::timeout(live.send_timeout, close(session, code, &reason)).await;
    }
}

/// How the task writing to the client ended.
enum WriterEnd {
    /// Its queue closed: the connection is ending anyway.
    Drained,
    /// The socket is gone.
    ClientGone,
    /// A frame waited longer than the send timeout: the client does not read.
    Slow,
}

/// The close owed once the writer ended (`None`: nothing can be sent any more).
fn writer_ended(
    done: Result<WriterEnd, tokio::task::JoinError>,
    services: &crate::state::Services,
) -> Option<(u16, String)> {
    match done {
        Ok(WriterEnd::Slow) => Some(slow_consumer(services)),
        Ok(WriterEnd::Drained | WriterEnd::ClientGone) | Err(_) => None,
    }
}

/// Waits for the writer, whose queue just refused a frame because it ended.
async fn writer_end(
    writer: &mut tokio::task::JoinHandle<WriterEnd>,
    services: &crate::state::Services,
) -> Option<(u16, String)> {
    writer_ended(writer.await, services)
}

/// Counts a slow consumer; its close code and reason.
fn slow_consumer(services: &crate::state::Services) -> (u16, String) {
    services
        .live
        .counters
        .slow_consumers
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (4413, "slow consumer".to_owned())
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Checks the connection's token again: `Some(reason)` when the connection must close
/// because the session ended, the account was deactivated, or its role, areas or agency
/// changed (the scope the connection's subscriptions read with is no longer the account's).
async fn recheck(
    services: &crate::state::Services,
    token: &str,
    scope: &Scope,
) -> Option<&'static str> {
    match resolve_viewer(&services.db, &services.keys, token).await {
        Ok(v) if Scope::for_viewer(&v) == *scope => None,
        Ok(_) => Some("the account's access changed; connect again"),
        Err(ApiError::Unauthenticated(_)) => Some("the session has ended"),
        // The database is away: keep the connection, check again later.
        Err(_) => None,
    }
}
