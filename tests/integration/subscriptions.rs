//! Subscriptions over `/graphql/ws` (`graphql-transport-ws`), against a real bound server:
//! the token in `connection_init`, closing when the session ends, no event outside the
//! subscriber's scope, and events crossing replicas (PostgreSQL NOTIFY; on SQLite the
//! in-process channel shared by the servers of one database URL).
use std::{sync::atomic::Ordering, time::Duration};

use entity::enums::Role;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::helpers::{
    TestApp,
    builders::{AgencyBuilder, AssessmentSpec, CaseBuilder, HouseholdBuilder},
    casework::{agency_client, casework, casework_with, gid, schedule_visit_mutation, uuid_of},
    fixtures::{AccountBuilder, YALA_VILLAGE},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for something that should happen (never for ordering).
const DEADLINE: Duration = Duration::from_secs(15);

/// Serves `app`'s route table on a free local port; returns the port.
fn serve(app: &TestApp) -> u16 {
    serve_on(
        app,
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
    )
}

/// Serves `app` on `listener` (whose socket options its connections inherit).
fn serve_on(app: &TestApp, listener: std::net::TcpListener) -> u16 {
    let state = app.state.clone();
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

fn ws_request(port: u16) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://127.0.0.1:{port}/graphql/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    req
}

/// Opens a socket speaking graphql-transport-ws and sends `connection_init` with `payload`.
async fn open(port: u16, payload: Value) -> Socket {
    let (mut ws, _) = connect_async(ws_request(port)).await.expect("connect");
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

/// Reads events until the one whose `field` has id `last`; returns them all (`data[field]`).
async fn events_until(ws: &mut Socket, field: &str, last: &Value) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let got = next(ws).await.expect("an event");
        assert_eq!(got["type"], "next", "{got}");
        let item = got["payload"]["data"][field].clone();
        let done = &item["id"] == last;
        seen.push(item);
        if done {
            return seen;
        }
    }
}

const VISITS: &str = "subscription { visitChanged { id status } }";

#[actix_web::test]
async fn staff_hear_of_visits_and_partner_agencies_do_not() {
    let c = casework().await;
    let port = serve(&c.app);
    let mut staff = connect(port, &c.coordinator.token).await;
    subscribe(&mut staff, "v", VISITS).await;
    let mut partner = connect(port, &c.staff.token).await;
    subscribe(&mut partner, "v", VISITS).await;
    subscribe(&mut partner, "r", REFERRALS).await;

    let cw = &c;
    let heard = until_heard(&mut staff, |seed| async move {
        cw.schedule_visit(&cw.household(seed).await, None).await
    })
    .await;
    assert_eq!(heard["visitChanged"]["status"], "SCHEDULED", "{heard}");

    // A visit is scheduled and completed: the coordinator hears both, with the state read
    // after each commit.
    let h = c.household(1).await;
    let visit = c.schedule_visit(&h, None).await;
    let seen = events_until(&mut staff, "visitChanged", &visit).await;
    assert_eq!(seen.last().unwrap()["status"], "SCHEDULED");
    c.complete_visit(&visit, json!({}))
        .await
        .data("/completeVisit");
    let got = next(&mut staff).await.expect("an event");
    assert_eq!(got["payload"]["data"]["visitChanged"]["id"], visit);
    assert_eq!(
        got["payload"]["data"]["visitChanged"]["status"],
        "COMPLETED"
    );

    // The partner agency sees no visits: the first thing it hears is a referral to it
    // (written after all the visits above).
    let partner_id = c.agency.id;
    let heard = until_heard(&mut partner, |seed| async move {
        let case = cw.open_case(&cw.household(seed + 500).await).await;
        cw.refer_overriding(&case, partner_id).await
    })
    .await;
    assert!(heard.get("referralChanged").is_some(), "{heard}");
}

const MATCHES: &str = "subscription { matchMoved { id status } }";
const RUN: &str = "mutation($i: RunMatchingInput!) { runMatching(input: $i) { run {
  matchesCreated matches(first: 50) { nodes { id } } } } }";

#[actix_web::test]
async fn matches_suggested_moved_and_created_by_run_matching_are_heard() {
    let c = casework().await;
    let port = serve(&c.app);
    let mut ws = connect(port, &c.coordinator.token).await;
    subscribe(&mut ws, "m", MATCHES).await;
    let tech = c.technology(c.agency.id, "โซลาร์เซลล์").await;

    let cw = &c;
    let t = &tech;
    until_heard(&mut ws, |seed| async move {
        let h = cw.household(seed).await;
        cw.assess(&h).await;
        cw.suggest_match(&h, t).await
    })
    .await;

    // One suggested, then declined: two events, the second re-read as DECLINED.
    let h = c.household(1).await;
    c.assess(&h).await;
    let m = c.suggest_match(&h, &tech).await;
    events_until(&mut ws, "matchMoved", &m).await;
    c.decline_match(&m).await;
    let got = next(&mut ws).await.expect("an event");
    assert_eq!(got["payload"]["data"]["matchMoved"]["id"], m);
    assert_eq!(got["payload"]["data"]["matchMoved"]["status"], "DECLINED");

    // A matching run over three more households: every match it created is heard, once.
    for seed in 2..5 {
        HouseholdBuilder::new(seed)
            .status_path(&["VERIFIED"])
            .moved_by(&c.coordinator.token)
            .verified_on("2026-11-01")
            .assessment(
                AssessmentSpec::new(0.0, 2000.0)
                    .on("2026-11-02")
                    .size(4)
                    .capitals([1.5, 1.5, 1.5, 2.0, 2.0])
                    .with(json!({ "hasLand": true })),
            )
            .create(&c.app, &c.surveyor.token)
            .await;
    }
    let res = c
        .gql(
            &c.coordinator,
            RUN,
            json!({ "i": { "areaCode": "52", "seats": [{ "technologyId": tech, "seats": 10 }] } }),
        )
        .await;
    let created: Vec<Value> = res
        .data("/runMatching/run/matches/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert!(!created.is_empty(), "{}", res.body);
    let mut heard = Vec::new();
    while heard.len() < created.len() {
        let got = next(&mut ws).await.expect("an event");
        let item = &got["payload"]["data"]["matchMoved"];
        assert_eq!(item["status"], "SUGGESTED", "{got}");
        heard.push(item["id"].clone());
    }
    heard.sort_by_key(|v| v.to_string());
    let mut expected = created.clone();
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(heard, expected);
}

const IMPORTS: &str = "subscription { importFinished { accountId } }";
const IMPORT: &str = "mutation($i: ImportHouseholdsInput!) { importHouseholds(input: $i) {
  totals { rows } } }";
const IMPORT_HEADER: &str = "household_external_scheme,household_external_id,village_code,house_number,\
address,lat,lng,source,household_size,member_role,given_name,family_name,sex,birth_date,phone,\
id_type,national_id,education,occupation,disability,chronic_illness\n";

#[actix_web::test]
async fn an_import_is_heard_by_the_account_that_ran_it_only() {
    let c = casework().await;
    let port = serve(&c.app);
    let other = AccountBuilder::new(Role::Coordinator).create(&c.app).await;
    let other = c.app.client_for(&other).await;
    let mut mine = connect(port, &c.coordinator.token).await;
    subscribe(&mut mine, "i", IMPORTS).await;
    let mut theirs = connect(port, &other.token).await;
    subscribe(&mut theirs, "i", IMPORTS).await;
    let import = |who: &crate::helpers::Client| {
        let token = who.token.clone();
        let app = &c.app;
        async move {
            app.gql(
                Some(&token),
                IMPORT,
                json!({ "i": { "csv": IMPORT_HEADER } }),
            )
            .await
            .data("/importHouseholds/totals/rows")
            .clone()
        }
    };
    let heard = until_heard(&mut mine, |_| import(&c.coordinator)).await;
    assert_eq!(
        heard["importFinished"]["accountId"],
        json!(c.coordinator.id())
    );
    // The other account's first event is its own import (it heard nothing of the imports
    // above).
    let heard = until_heard(&mut theirs, |_| import(&other)).await;
    assert_eq!(heard["importFinished"]["accountId"], json!(other.id()));
    // And the first account heard nothing of those: its next event is its next import.
    // (Drain the surplus of its own warm-up imports first.)
    import(&c.coordinator).await;
    loop {
        let got = next(&mut mine).await.expect("an event");
        assert_eq!(
            got["payload"]["data"]["importFinished"]["accountId"],
            json!(c.coordinator.id()),
            "{got}"
        );
        if within(&mut mine, Duration::from_millis(200))
            .await
            .is_none()
        {
            break;
        }
    }
}

/// Subscribes a coordinator's socket with a small receive window (the kernel holds little for
/// it) to its own `importFinished`, and proves the subscription listens; the publisher of
/// such events and the account come with it.
async fn small_window_import_subscriber(app: &TestApp, port: u16) -> (Socket, impl Fn() + use<>) {
    let user = app.client(Role::Coordinator).await;
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let stream = socket
        .connect(([127, 0, 0, 1], port).into())
        .await
        .expect("connect");
    let (mut ws, _) =
        tokio_tungstenite::client_async(ws_request(port), MaybeTlsStream::Plain(stream))
            .await
            .expect("handshake");
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "token": user.token } }),
    )
    .await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    subscribe(&mut ws, "i", IMPORTS).await;
    let bus = app.state.services.live.clone();
    let me = user.account.id;
    let publish = move || bus.deliver_locally(api::live::Event::new(api::live::Kind::Import, me));
    let start = std::time::Instant::now();
    loop {
        assert!(start.elapsed() < DEADLINE, "the subscription never started");
        publish();
        if within(&mut ws, Duration::from_millis(100)).await.is_some() {
            break;
        }
    }
    while within(&mut ws, Duration::from_millis(100)).await.is_some() {}
    (ws, publish)
}

#[actix_web::test]
async fn a_client_that_does_not_read_is_closed_as_a_slow_consumer_without_buffering() {
    const BUFFER: usize = 4;
    let app = TestApp::spawn_with(|s| {
        s.live.buffer = BUFFER;
        s.live.send_timeout = Duration::from_secs(1);
    })
    .await;
    // The kernel's send buffer of the connection is small too, so what reaches the client
    // after it stopped reading is what the process held (the queue, the WebSocket channel
    // and the HTTP write buffer), not what the kernel did.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(8192).expect("sndbuf");
    socket.bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let listener = socket.listen(16).expect("listen").into_std().expect("std");
    let port = serve_on(&app, listener);
    let (mut ws, publish) = small_window_import_subscriber(&app, port).await;
    let live = app.state.services.live.clone();
    let slow = || live.counters.slow_consumers.load(Ordering::Relaxed);

    // The client stops reading while events keep coming, until the server gives up on it.
    let start = std::time::Instant::now();
    let mut published = 0u64;
    while slow() == 0 {
        assert!(
            start.elapsed() < DEADLINE,
            "a client that read nothing of {published} events was never closed"
        );
        publish();
        published += 1;
        tokio::task::yield_now().await;
    }
    // It reads at last: what was already on the way, then the close.
    let mut received = 0;
    let code = loop {
        match next(&mut ws).await {
            Ok(v) => {
                assert_eq!(v["type"], "next", "{v}");
                received += 1;
            }
            Err(code) => break code,
        }
    };
    assert_eq!(code, Some(4413), "after {received} events");
    assert!(
        received < 2_000,
        "the server held {received} events (of {published}) for a client that did not read"
    );
    assert_eq!(slow(), 1);
    // The connection is released.
    let start = std::time::Instant::now();
    while live.open_connections() != 0 {
        assert!(
            start.elapsed() < DEADLINE,
            "the closed connection is still counted"
        );
        tokio::task::yield_now().await;
    }
}

#[actix_web::test]
async fn a_burst_larger_than_the_buffer_reaches_a_client_that_reads() {
    const BUFFER: usize = 4;
    const CASE_COUNT: u64 = 16;
    let c = casework_with(|s| s.live.buffer = BUFFER).await;
    let port = serve(&c.app);
    let mut ws = listening_to_cases(&c, port).await;
    let mut cases = Vec::new();
    for seed in 0..CASE_COUNT {
        cases.push(uuid_of(&c.open_case(&c.household(seed).await).await));
    }
    while within(&mut ws, Duration::from_millis(300)).await.is_some() {}

    // Rounds of events of distinct cases, each round published at once (many more frames
    // than the connection's queue holds, faster than they are written), fewer than the ring
    // holds; the client reads them afterwards.
    let live = c.app.state.services.live.clone();
    const ROUNDS: usize = 25;
    for _ in 0..ROUNDS {
        for id in &cases {
            live.deliver_locally(api::live::Event::new(api::live::Kind::Case, *id));
        }
        tokio::task::yield_now().await;
    }
    let mut received = 0;
    while let Some(v) = within(&mut ws, Duration::from_millis(500)).await {
        assert_eq!(v["type"], "next", "{v}");
        received += 1;
    }
    // Events of one case waiting together arrive as one: at least a round's worth arrives.
    assert!(
        received >= CASE_COUNT as usize,
        "only {received} frames of {ROUNDS} rounds of {CASE_COUNT} case events arrived"
    );
    assert_eq!(live.counters.slow_consumers.load(Ordering::Relaxed), 0);
    assert_eq!(live.open_connections(), 1, "the reading client was closed");
    // And it still listens.
    let last = c.open_case(&c.household(CASE_COUNT + 1).await).await;
    events_until(&mut ws, "caseChanged", &last).await;
}

const CASES: &str = "subscription { caseChanged { id } }";

/// The coordinator's socket subscribed to `caseChanged`, once an event proved it listens.
async fn listening_to_cases(c: &crate::helpers::casework::Casework, port: u16) -> Socket {
    let mut ws = connect(port, &c.coordinator.token).await;
    subscribe(&mut ws, "c", CASES).await;
    until_heard(&mut ws, |seed| async move {
        c.open_case(&c.household(seed).await).await
    })
    .await;
    ws
}

#[actix_web::test]
async fn an_event_outside_a_subscribers_areas_costs_it_no_query() {
    let c = casework().await;
    let port = serve(&c.app);
    let yala = AccountBuilder::new(Role::Coordinator)
        .scopes(&["95"])
        .create(&c.app)
        .await;
    let yala = c.app.client_for(&yala).await;
    let mut lampang_ws = connect(port, &c.coordinator.token).await;
    subscribe(&mut lampang_ws, "c", CASES).await;
    let mut yala_ws = connect(port, &yala.token).await;
    subscribe(&mut yala_ws, "c", CASES).await;

    let cw = &c;
    let yala_case = |seed: u64| async move {
        let h = HouseholdBuilder::new(seed)
            .village(YALA_VILLAGE)
            .create(&cw.app, &cw.admin.token)
            .await
            .id;
        CaseBuilder::new(&h).create(&cw.app, &cw.admin.token).await
    };
    until_heard(&mut lampang_ws, |seed| async move {
        cw.open_case(&cw.household(seed).await).await
    })
    .await;
    until_heard(&mut yala_ws, |seed| yala_case(seed + 1000)).await;
    // Fences: each has read everything up to its own last case.
    let fence = c.open_case(&c.household(1).await).await;
    events_until(&mut lampang_ws, "caseChanged", &fence).await;
    let fence = yala_case(2).await;
    events_until(&mut yala_ws, "caseChanged", &fence).await;

    let counters = &c.app.state.services.live.counters;
    let rereads = || counters.rereads.load(Ordering::Relaxed);
    let before = rereads();
    let mut lampang = Vec::new();
    for seed in 10..15 {
        lampang.push(c.open_case(&c.household(seed).await).await);
    }
    let heard = events_until(&mut lampang_ws, "caseChanged", lampang.last().unwrap()).await;
    assert_eq!(
        heard.iter().map(|h| h["id"].clone()).collect::<Vec<_>>(),
        lampang
    );
    // The Yala coordinator's next event is its own case: it heard none of Lampang's …
    let own = yala_case(3).await;
    let heard = next(&mut yala_ws).await.expect("an event");
    assert_eq!(
        heard["payload"]["data"]["caseChanged"]["id"], own,
        "{heard}"
    );
    // … and re-read none of them: five re-reads for Lampang, one for Yala.
    assert_eq!(rereads() - before, 6);
}

/// Waits for the socket to close; returns the code.
async fn closed(ws: &mut Socket) -> Option<u16> {
    loop {
        match next(ws).await {
            Ok(_) => continue,
            Err(code) => return code,
        }
    }
}

#[actix_web::test]
async fn access_changes_on_one_replica_close_connections_on_the_other_at_once() {
    // The periodic check is far beyond the deadline: only the account events can close.
    let a = TestApp::spawn_with(|s| s.live.session_check = Duration::from_secs(3600)).await;
    let b = a.replica().await;
    let port_b = serve(&b);
    let admin = a.client(Role::Admin).await;
    let moved = a.client(Role::Coordinator).await;
    let leaving = a.client(Role::Surveyor).await;
    let logging_out = a.client(Role::Surveyor).await;
    let bystander = a.client(Role::Surveyor).await;
    let mut moved_ws = connect(port_b, &moved.token).await;
    let mut leaving_ws = connect(port_b, &leaving.token).await;
    let mut logging_out_ws = connect(port_b, &logging_out.token).await;
    let mut bystander_ws = connect(port_b, &bystander.token).await;
    for ws in [
        &mut moved_ws,
        &mut leaving_ws,
        &mut logging_out_ws,
        &mut bystander_ws,
    ] {
        subscribe(ws, "c", CASES).await;
    }

    // An area change (on a) closes the moved coordinator's connection (on b) with 4401.
    a.gql(
        Some(&admin.token),
        "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { id } } }",
        json!({ "i": { "id": moved.id(), "version": 1, "areaScopes": ["95"] } }),
    )
    .await
    .data("/updateAccount/account/id");
    assert_eq!(closed(&mut moved_ws).await, Some(4401));

    a.gql(
        Some(&admin.token),
        "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { id } } }",
        json!({ "i": { "id": leaving.id() } }),
    )
    .await
    .data("/deactivateAccount/account/id");
    assert_eq!(closed(&mut leaving_ws).await, Some(4401));

    a.gql(
        Some(&logging_out.token),
        "mutation { logout { revokedSessions } }",
        json!({}),
    )
    .await
    .data("/logout/revokedSessions");
    assert_eq!(closed(&mut logging_out_ws).await, Some(4401));

    // The bystander's connection stays open (it still answers a ping with a pong).
    bystander_ws
        .send(Message::Ping(b"still there?".to_vec().into()))
        .await
        .expect("ping");
    let pong = tokio::time::timeout(DEADLINE, async {
        loop {
            match bystander_ws.next().await {
                Some(Ok(Message::Pong(p))) => return p,
                Some(Ok(Message::Close(f))) => panic!("closed: {f:?}"),
                Some(Ok(_)) => continue,
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("a pong");
    assert_eq!(&pong[..], b"still there?");
}

#[actix_web::test]
async fn on_postgres_any_committed_write_is_heard_and_a_rolled_back_one_is_not() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let c = casework().await;
    if c.app.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite publishes from the resolvers only (docs/subscriptions.md).
    }
    let port = serve(&c.app);
    let mut ws = listening_to_cases(&c, port).await;
    let fence = c.open_case(&c.household(1).await).await;
    events_until(&mut ws, "caseChanged", &fence).await;
    let rolled_back = crate::helpers::casework::uuid_of(&c.open_case(&c.household(2).await).await);
    let committed = c.open_case(&c.household(3).await).await;
    events_until(&mut ws, "caseChanged", &committed).await;

    // Written straight to the database, not through a resolver: one transaction rolls back,
    // the next commits.
    let touch = |id: uuid::Uuid| {
        sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "UPDATE support_case SET updated_at = now() WHERE id = $1",
            [id.into()],
        )
    };
    let txn = c.app.db.begin().await.expect("begin");
    txn.execute_raw(touch(rolled_back)).await.expect("update");
    txn.rollback().await.expect("rollback");
    let committed = crate::helpers::casework::uuid_of(&committed);
    let txn = c.app.db.begin().await.expect("begin");
    txn.execute_raw(touch(committed)).await.expect("update");
    txn.commit().await.expect("commit");
    let got = next(&mut ws).await.expect("an event");
    assert_eq!(
        got["payload"]["data"]["caseChanged"]["id"],
        gid("Case", committed),
        "{got}"
    );
}

#[actix_web::test]
async fn an_agency_hears_of_changes_to_cases_it_holds_a_referral_on_only() {
    let c = casework().await;
    let port = serve(&c.app);
    let mut ws = connect(port, &c.staff.token).await;
    subscribe(&mut ws, "c", CASES).await;
    let cw = &c;
    let update = |case: Value| async move {
        let version = cw.read_case(&cw.coordinator, &case).await["version"].clone();
        cw.gql(
            &cw.coordinator,
            &crate::helpers::casework::update_case_mutation(),
            json!({ "i": { "id": case, "version": version, "summary": "สรุปใหม่" } }),
        )
        .await
        .data("/updateCase/case/id")
        .clone()
    };
    let update = &update;
    until_heard(&mut ws, |seed| async move {
        let case = cw.open_case(&cw.household(seed).await).await;
        cw.refer_overriding(&case, cw.agency.id).await;
        update(case).await
    })
    .await;

    // A case without a referral to the agency changes, then one referred to it: the first
    // the agency hears of is the referred one (routed by its referral's agencies).
    let other = c.open_case(&c.household(1).await).await;
    update(other.clone()).await;
    let referred = c.open_case(&c.household(2).await).await;
    c.refer_overriding(&referred, c.agency.id).await;
    update(referred.clone()).await;
    loop {
        let got = next(&mut ws).await.expect("an event");
        let id = &got["payload"]["data"]["caseChanged"]["id"];
        assert_ne!(id, &other, "a case the agency may not see: {got}");
        if id == &referred {
            break;
        }
    }
}

/// Every visit event of each socket until the one of `last`.
async fn visits_until(sockets: &mut [&mut Socket], last: &Value) {
    for ws in sockets.iter_mut() {
        events_until(ws, "visitChanged", last).await;
    }
}

#[actix_web::test]
async fn subscribers_of_one_scope_share_one_reread_and_other_scopes_read_their_own() {
    let c = casework().await;
    let port = serve(&c.app);
    // Another coordinator of the same areas (Lampang, 52): the same scope as `c.coordinator`.
    let twin = c.app.client(Role::Coordinator).await;
    let yala = AccountBuilder::new(Role::Coordinator)
        .scopes(&["95"])
        .create(&c.app)
        .await;
    let yala = c.app.client_for(&yala).await;
    let mut same = Vec::new();
    for token in [
        &c.coordinator.token,
        &c.coordinator.token,
        &c.coordinator.token,
        &twin.token,
    ] {
        let mut ws = connect(port, token).await;
        subscribe(&mut ws, "v", VISITS).await;
        same.push(ws);
    }
    let mut admin = connect(port, &c.admin.token).await;
    subscribe(&mut admin, "v", VISITS).await;
    let mut yala_ws = connect(port, &yala.token).await;
    subscribe(&mut yala_ws, "v", VISITS).await;

    // A visit in Yala, scheduled by the admin.
    let cw = &c;
    let yala_visit = |seed: u64| async move {
        let h = HouseholdBuilder::new(seed)
            .village(YALA_VILLAGE)
            .create(&cw.app, &cw.admin.token)
            .await
            .id;
        let input = json!({ "householdId": h, "type": "HOME",
            "scheduledAt": "2026-01-05T09:00:00Z", "notes": "ติดตามผล" });
        cw.gql(&cw.admin, &schedule_visit_mutation(), json!({ "i": input }))
            .await
            .data("/scheduleVisit/visit/id")
            .clone()
    };

    // Every subscription is listening (each heard a visit), then all read up to fences.
    let mut staff: Vec<&mut Socket> = same.iter_mut().chain([&mut admin]).collect();
    for (k, ws) in staff.iter_mut().enumerate() {
        let offset = 1000 * (k as u64 + 1);
        until_heard(ws, |seed| async move {
            cw.schedule_visit(&cw.household(seed + offset).await, None)
                .await
        })
        .await;
    }
    until_heard(&mut yala_ws, |seed| yala_visit(seed + 30_000)).await;
    let fence = yala_visit(20_001).await;
    events_until(&mut yala_ws, "visitChanged", &fence).await;
    events_until(staff[4], "visitChanged", &fence).await;
    let fence = c.schedule_visit(&c.household(1).await, None).await;
    visits_until(&mut staff, &fence).await;

    let counters = &c.app.state.services.live.counters;
    let queries = || counters.reread_queries.load(Ordering::Relaxed);
    let shared = || counters.reread_shared.load(Ordering::Relaxed);
    let (before, shared_before) = (queries(), shared());
    let visit = c.schedule_visit(&c.household(2).await, None).await;
    for ws in staff.iter_mut() {
        let got = next(ws).await.expect("an event");
        assert_eq!(got["payload"]["data"]["visitChanged"]["id"], visit, "{got}");
    }
    // Five subscriptions heard it with two queries: one for the four of the coordinators'
    // scope (three connections of one account, one of another), one for the admin's. The
    // Yala coordinator's scope cannot see Lampang: the pre-filter spared it the read.
    assert_eq!(queries() - before, 2);
    assert_eq!(shared() - shared_before, 3);

    // An event without routing ids is a candidate for every scope: each scope reads it once,
    // with its own scope, and the Yala coordinator is sent nothing: its next event is the
    // next Yala visit.
    let (_, key) = api::graphql::node::decode(visit.as_str().expect("id")).expect("a global id");
    let raw: uuid::Uuid = key.parse().expect("a visit id");
    let before = queries();
    c.app
        .state
        .services
        .live
        .deliver_locally(api::live::Event::new(api::live::Kind::Visit, raw));
    for ws in staff.iter_mut() {
        let got = next(ws).await.expect("an event");
        assert_eq!(got["payload"]["data"]["visitChanged"]["id"], visit, "{got}");
    }
    let in_yala = yala_visit(20_002).await;
    let got = next(&mut yala_ws).await.expect("an event");
    assert_eq!(
        got["payload"]["data"]["visitChanged"]["id"], in_yala,
        "the Yala coordinator was sent a Lampang visit: {got}"
    );
    let got = next(staff[4]).await.expect("an event");
    assert_eq!(
        got["payload"]["data"]["visitChanged"]["id"], in_yala,
        "{got}"
    );
    // The unrouted event: three scopes, three reads (the Lampang coordinators', the admin's,
    // Yala's); the Yala visit: two (the admin's, Yala's).
    assert_eq!(queries() - before, 5);
}

#[actix_web::test]
async fn live_rereads_hold_at_most_their_limit_and_requests_still_get_connections() {
    let c = casework_with(|s| s.live.reread_connections = Some(1)).await;
    let port = serve(&c.app);
    // Six coordinators of six different scopes (all inside Lampang): nothing to share.
    let scopes = ["52", "5201", "520101", "5202", "5203", "5204"];
    let mut sockets = Vec::new();
    for scope in scopes {
        let account = AccountBuilder::new(Role::Coordinator)
            .scopes(&[scope, "52"])
            .create(&c.app)
            .await;
        let client = c.app.client_for(&account).await;
        for _ in 0..2 {
            let mut ws = connect(port, &client.token).await;
            subscribe(&mut ws, "v", VISITS).await;
            sockets.push(ws);
        }
    }
    let cw = &c;
    for (k, ws) in sockets.iter_mut().enumerate() {
        let offset = 1000 * (k as u64 + 1);
        until_heard(ws, |seed| async move {
            cw.schedule_visit(&cw.household(seed + offset).await, None)
                .await
        })
        .await;
    }

    // A flood of events without routing ids (every subscription re-reads them, in batches),
    // and at the same time ordinary writes and queries. (3,000 events in all: within the
    // ring, so that no subscription falls behind it even on a slow machine.)
    let bus = &c.app.state.services.live;
    let flood = || {
        for _ in 0..300 {
            bus.deliver_locally(api::live::Event::new(
                api::live::Kind::Visit,
                uuid::Uuid::now_v7(),
            ));
        }
    };
    let mut written = Vec::new();
    for seed in 1..=10u64 {
        flood();
        let h = c.household(seed).await;
        written.push(c.schedule_visit(&h, None).await);
        let read = c
            .gql(
                &c.coordinator,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": written.last().unwrap() }),
            )
            .await;
        assert_eq!(read.data("/node/id"), written.last().unwrap());
    }
    // Every subscriber still hears every visit …
    let mut all: Vec<&mut Socket> = sockets.iter_mut().collect();
    let last = written.last().unwrap().clone();
    for ws in all.iter_mut() {
        let heard = events_until(ws, "visitChanged", &last).await;
        let ids: Vec<Value> = heard.iter().map(|h| h["id"].clone()).collect();
        for w in &written {
            assert!(ids.contains(w), "missed {w}: {ids:?}");
        }
    }
    // … and never did live re-reads hold more than one connection at once, though six scopes
    // re-read concurrently.
    let counters = &bus.counters;
    let peak = counters.rereads_running_peak.load(Ordering::Relaxed);
    assert_eq!(peak, 1);
    assert_eq!(counters.reread_failures.load(Ordering::Relaxed), 0);
}

#[actix_web::test]
async fn a_subscriber_whose_reread_fails_is_told_to_refetch_and_its_subscription_ends() {
    use sea_orm::ConnectionTrait;
    let c = casework().await;
    let port = serve(&c.app);
    let mut ws = connect(port, &c.coordinator.token).await;
    subscribe(&mut ws, "v", VISITS).await;
    subscribe(&mut ws, "r", REFERRALS).await;
    let cw = &c;
    until_heard(&mut ws, |seed| async move {
        cw.schedule_visit(&cw.household(seed).await, None).await
    })
    .await;
    let fence = c.schedule_visit(&c.household(1).await, None).await;
    events_until(&mut ws, "visitChanged", &fence).await;

    // The visits cannot be read any more (as if the database failed for this query).
    c.app
        .db
        .execute_unprepared("ALTER TABLE visit RENAME TO visit_away")
        .await
        .expect("rename");
    c.app
        .state
        .services
        .live
        .deliver_locally(api::live::Event::new(
            api::live::Kind::Visit,
            uuid::Uuid::now_v7(),
        ));
    // Not a silent gap: an error saying to refetch, then the subscription completes …
    let got = next(&mut ws).await.expect("a message");
    assert_eq!(got["type"], "next", "{got}");
    assert_eq!(got["id"], "v", "{got}");
    assert_eq!(
        got["payload"]["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{got}"
    );
    let got = next(&mut ws).await.expect("a message");
    assert_eq!(got, json!({ "id": "v", "type": "complete" }));
    // … and the connection's other subscriptions go on.
    let case = c.open_case(&c.household(2).await).await;
    let referral = c.refer_overriding(&case, c.agency.id).await;
    let got = next(&mut ws).await.expect("an event");
    assert_eq!(
        got["payload"]["data"]["referralChanged"]["id"], referral,
        "{got}"
    );
}
