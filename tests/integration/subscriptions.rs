//! Subscriptions over `/graphql/ws` (`graphql-transport-ws`), against a real bound server:
//! the token in `connection_init`, closing when the session ends, no event outside the
//! subscriber's scope, and events crossing replicas (PostgreSQL NOTIFY; on SQLite the
//! in-process channel shared by the servers of one database URL).
use std::time::Duration;

use entity::enums::Role;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::helpers::{
    TestApp,
    builders::AgencyBuilder,
    casework::{agency_client, casework, gid},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for something that should happen (never for ordering).
const DEADLINE: Duration = Duration::from_secs(15);

/// Serves `app`'s route table on a free local port; returns the port.
fn serve(app: &TestApp) -> u16 {
    let state = app.state.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = actix_web::HttpServer::new(move || api::startup::build_app(state.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
    actix_web::rt::spawn(server);
    port
}

/// Opens a socket speaking graphql-transport-ws and sends `connection_init` with `payload`.
async fn open(port: u16, payload: Value) -> Socket {
    let mut req = format!("ws://127.0.0.1:{port}/graphql/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut ws, _) = connect_async(req).await.expect("connect");
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    ws
}

async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// The next protocol message, or the close code when the server closed.
async fn next(ws: &mut Socket) -> Result<Value, Option<u16>> {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).expect("json");
                    if v["type"] == "ping" {
                        continue;
                    }
                    return Ok(v);
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("a message before the deadline")
}

/// Signs in over the socket and waits for the acknowledgement.
async fn connect(port: u16, token: &str) -> Socket {
    let mut ws = open(port, json!({ "Authorization": format!("Bearer {token}") })).await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    ws
}

async fn subscribe(ws: &mut Socket, id: &str, query: &str) {
    send(
        ws,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
}

const REFERRALS: &str = "subscription { referralChanged { id status toAgency { id } } }";

#[actix_web::test]
async fn a_bad_or_missing_token_closes_the_connection_with_4403() {
    let app = TestApp::spawn().await;
    let port = serve(&app);
    let mut ws = open(port, json!({ "Authorization": "Bearer not-a-token" })).await;
    assert_eq!(next(&mut ws).await, Err(Some(4403)));
    let mut ws = open(port, json!({})).await;
    assert_eq!(next(&mut ws).await, Err(Some(4403)));
    // A signed-in account gets the acknowledgement; `token` works like the header.
    let user = app.client(Role::Coordinator).await;
    let mut ws = open(port, json!({ "token": user.token })).await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
}

#[actix_web::test]
async fn a_revoked_session_closes_the_connection_with_4401() {
    let app = TestApp::spawn_with(|s| s.live.session_check = Duration::from_millis(100)).await;
    let port = serve(&app);
    let user = app.client(Role::Coordinator).await;
    let mut ws = connect(port, &user.token).await;
    subscribe(&mut ws, "1", REFERRALS).await;

    let out = app
        .gql(
            Some(&user.token),
            "mutation { logout { revokedSessions } }",
            json!({}),
        )
        .await;
    assert_eq!(out.data("/logout/revokedSessions"), 1);
    assert_eq!(next(&mut ws).await, Err(Some(4401)));
}

/// The next message within `wait`, if any.
async fn within(ws: &mut Socket, wait: Duration) -> Option<Value> {
    match tokio::time::timeout(wait, next(ws)).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(code)) => panic!("closed: {code:?}"),
        Err(_) => None,
    }
}

/// A subscription starts listening shortly after its `subscribe` message (the protocol has
/// no message saying when), so: write with `write` until `ws` hears of a write; returns the
/// event heard.
async fn until_heard<F, Fut>(ws: &mut Socket, mut write: F) -> Value
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let start = std::time::Instant::now();
    for seed in 100.. {
        assert!(start.elapsed() < DEADLINE, "no event before the deadline");
        write(seed).await;
        if let Some(got) = within(ws, Duration::from_millis(300)).await {
            assert_eq!(got["type"], "next", "{got}");
            return got["payload"]["data"].clone();
        }
    }
    unreachable!()
}

/// Every referral event until the one of `last`, checking each is for `agency`.
async fn referrals_until(ws: &mut Socket, last: &Value, agency: &Value) {
    loop {
        let got = next(ws).await.expect("an event");
        let r = &got["payload"]["data"]["referralChanged"];
        assert_eq!(
            &r["toAgency"]["id"], agency,
            "an event of another agency: {got}"
        );
        if &r["id"] == last {
            return;
        }
    }
}

#[actix_web::test]
async fn an_agency_hears_of_its_own_referrals_only() {
    let c = casework().await;
    let port = serve(&c.app);
    let other = AgencyBuilder::new("Other agency").create(&c.app).await;
    let other_staff = agency_client(&c.app, other.id).await;
    let (ours, theirs_id) = (gid("Agency", c.agency.id), gid("Agency", other.id));
    let mut mine = connect(port, &c.staff.token).await;
    subscribe(&mut mine, "r", REFERRALS).await;
    let mut theirs = connect(port, &other_staff.token).await;
    subscribe(&mut theirs, "r", REFERRALS).await;

    // Both subscriptions are listening once each heard of a referral of its own agency.
    let cw = &c;
    let other_id = other.id;
    let heard = until_heard(&mut mine, |seed| async move {
        let case = cw.open_case(&cw.household(seed).await).await;
        cw.refer_overriding(&case, cw.agency.id).await
    })
    .await;
    assert_eq!(heard["referralChanged"]["toAgency"]["id"], ours);
    let heard = until_heard(&mut theirs, |seed| async move {
        let case = cw.open_case(&cw.household(seed + 1000).await).await;
        cw.refer_overriding(&case, other_id).await
    })
    .await;
    assert_eq!(heard["referralChanged"]["toAgency"]["id"], theirs_id);

    // Then one referral to each: each agency hears of its own and of nothing else.
    let case1 = c.open_case(&c.household(1).await).await;
    let to_other = c.refer_overriding(&case1, other.id).await;
    let case2 = c
        .open_case(&c.consented_household(2, c.agency.id).await)
        .await;
    let to_us = c.refer(&case2, c.agency.id).await;
    referrals_until(&mut mine, &to_us, &ours).await;
    referrals_until(&mut theirs, &to_other, &theirs_id).await;

    // The partner accepts: it hears of the move, re-read with the new status.
    c.accept(&c.staff, &to_us).await;
    let got = next(&mut mine).await.expect("an event");
    assert_eq!(got["payload"]["data"]["referralChanged"]["id"], to_us);
    assert_eq!(
        got["payload"]["data"]["referralChanged"]["status"],
        "ACCEPTED"
    );
}

#[actix_web::test]
async fn a_subscription_on_one_replica_hears_of_a_write_on_the_other() {
    let c = casework().await;
    let b = c.app.replica().await;
    let port_b = serve(&b);
    let mut ws = connect(port_b, &c.coordinator.token).await;
    subscribe(&mut ws, "c", "subscription { caseChanged { id phase } }").await;
    // Cases are opened through replica a (`c.app`) only.
    let cw = &c;
    let heard = until_heard(&mut ws, |seed| async move {
        cw.open_case(&cw.household(seed).await).await
    })
    .await;
    assert_eq!(heard["caseChanged"]["phase"], "INTAKE", "{heard}");
    // And the case it heard of is one opened on a, read back through b's scope layer.
    let case = heard["caseChanged"]["id"].clone();
    assert_eq!(cw.read_case(&c.coordinator, &case).await["id"], case);
    drop(ws);
    drop(b);
}

#[actix_web::test]
async fn an_account_over_its_connection_limit_is_refused_with_4429() {
    let app = TestApp::spawn_with(|s| s.live.max_per_account = 1).await;
    let port = serve(&app);
    let user = app.client(Role::Coordinator).await;
    let first = connect(port, &user.token).await;
    let mut second = open(port, json!({ "token": user.token })).await;
    assert_eq!(next(&mut second).await, Err(Some(4429)));
    // The refused connection is uncounted once its task ends (poll: it ends after the close).
    let start = std::time::Instant::now();
    while app.state.services.live.open_connections() != 1 {
        assert!(
            start.elapsed() < DEADLINE,
            "the refused connection is still counted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Another account is not held back by it.
    let other = app.client(Role::Surveyor).await;
    connect(port, &other.token).await;
    drop(first);
}

#[actix_web::test]
async fn a_subscription_needs_the_graphql_transport_ws_protocol() {
    let app = TestApp::spawn().await;
    let port = serve(&app);
    let req = format!("ws://127.0.0.1:{port}/graphql/ws")
        .into_client_request()
        .expect("request");
    let refused = connect_async(req).await;
    assert!(
        refused.is_err(),
        "a socket without the sub-protocol was opened"
    );
}
