//! Load generator for live subscriptions (`bench/live/README.md`).
//!
//! Against a running server: opens `--subs` graphql-transport-ws connections (one
//! `visitChanged` subscription each) spread over `--accounts` accounts of different scopes
//! (one ADMIN, one AGENCY, coordinators of provinces and of districts), drives `--writes`
//! `scheduleVisit` mutations per second for `--seconds` through the GraphQL API (as ADMIN, on
//! households of several provinces), then reports the delivery latency (the mutation's send
//! time to the event's receipt) p50/p99/max, events delivered against expected (from each
//! subscription's scope), and the server's VmRSS/VmHWM (`--pid`).
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    host: String,
    port: u16,
    subs: usize,
    writes: u32,
    seconds: u64,
    accounts: usize,
    admin: String,
    password: String,
    pid: Option<u32>,
    drain: u64,
}

fn args() -> Args {
    let mut a = Args {
        host: "127.0.0.1".into(),
        port: 18182,
        subs: 1000,
        writes: 100,
        seconds: 20,
        accounts: 12,
        admin: "demo-admin".into(),
        password: std::env::var("APP_DEMO_PASSWORD").unwrap_or("demo-password-2026".into()),
        pid: None,
        drain: 5,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--host" => a.host = v,
            "--port" => a.port = v.parse().expect("--port"),
            "--subs" => a.subs = v.parse().expect("--subs"),
            "--writes" => a.writes = v.parse().expect("--writes"),
            "--seconds" => a.seconds = v.parse().expect("--seconds"),
            "--accounts" => a.accounts = v.parse().expect("--accounts"),
            "--admin" => a.admin = v,
            "--password" => a.password = v,
            "--pid" => a.pid = Some(v.parse().expect("--pid")),
            "--drain" => a.drain = v.parse().expect("--drain"),
            other => panic!("unknown argument {other} (see bench/live/README.md)"),
        }
        i += 2;
    }
    assert!(
        a.accounts >= 3,
        "--accounts: at least 3 (admin, agency, a coordinator)"
    );
    a
}

/// One keep-alive HTTP/1.1 connection for GraphQL POSTs.
struct Http {
    stream: TcpStream,
    host: String,
}

impl Http {
    async fn connect(host: &str, port: u16) -> Res<Self> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host: format!("{host}:{port}"),
        })
    }

    async fn gql(&mut self, token: Option<&str>, query: &str, variables: Value) -> Res<Value> {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await?;
        // Headers.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if self.stream.read(&mut byte).await? == 0 {
                return Err("connection closed".into());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let body = if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")) {
            let mut body = vec![0u8; len.trim().parse()?];
            self.stream.read_exact(&mut body).await?;
            body
        } else if head.contains("transfer-encoding: chunked") {
            let mut body = Vec::new();
            loop {
                let mut line = Vec::new();
                while !line.ends_with(b"\r\n") {
                    self.stream.read_exact(&mut byte).await?;
                    line.push(byte[0]);
                }
                let size = usize::from_str_radix(String::from_utf8_lossy(&line).trim(), 16)?;
                let mut chunk = vec![0u8; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
            body
        } else {
            return Err("response without a length".into());
        };
        let v: Value = serde_json::from_slice(&body)?;
        if let Some(errors) = v.get("errors") {
            return Err(format!("GraphQL error: {errors}").into());
        }
        Ok(v["data"].clone())
    }
}

/// What an account may see of visits: everything, a code prefix, or nothing.
#[derive(Clone, Debug)]
enum Sees {
    All,
    Prefix(String),
    Nothing,
}

impl Sees {
    fn visit_in(&self, village: &str) -> bool {
        match self {
            Sees::All => true,
            Sees::Prefix(p) => village.starts_with(p.as_str()),
            Sees::Nothing => false,
        }
    }
}

async fn login(http: &mut Http, login: &str, password: &str) -> Res<String> {
    let d = http
        .gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({ "i": { "login": login, "password": password } }),
        )
        .await?;
    Ok(d["login"]["accessToken"]
        .as_str()
        .ok_or("no token")?
        .to_owned())
}

/// Households (id, village code), several pages, as the admin.
async fn households(http: &mut Http, admin: &str, want: usize) -> Res<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    while out.len() < want {
        let d = http
            .gql(
                Some(admin),
                "query($a: String) { households(first: 100, after: $a) { pageInfo { hasNextPage endCursor } edges { node { id villageCode } } } }",
                json!({ "a": after }),
            )
            .await?;
        let page = &d["households"];
        for e in page["edges"].as_array().ok_or("no edges")? {
            out.push((
                e["node"]["id"].as_str().unwrap_or_default().to_owned(),
                e["node"]["villageCode"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    Ok(out)
}

/// Creates the subscriber accounts (or reuses them on a second run) and signs them in:
/// (token, what it sees).
async fn accounts(
    http: &mut Http,
    admin: &str,
    n: usize,
    villages: &[String],
) -> Res<Vec<(String, Sees)>> {
    let password = "live-bench-password-2026";
    let agency = http
        .gql(
            Some(admin),
            "{ agencies(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await?["agencies"]["edges"][0]["node"]["id"]
        .clone();
    let mut provinces: Vec<String> = villages.iter().map(|v| v[..2].to_owned()).collect();
    provinces.sort();
    provinces.dedup();
    let mut districts: Vec<String> = villages.iter().map(|v| v[..4].to_owned()).collect();
    districts.sort();
    districts.dedup();
    let mut out = Vec::new();
    for k in 0..n {
        let (role, scopes, sees, agency_id) = match k {
            0 => ("ADMIN", vec![], Sees::All, Value::Null),
            1 => ("AGENCY", vec![], Sees::Nothing, agency.clone()),
            k if k % 2 == 0 => {
                let p = provinces[(k / 2) % provinces.len()].clone();
                ("COORDINATOR", vec![p.clone()], Sees::Prefix(p), Value::Null)
            }
            k => {
                let d = districts[(k / 2) % districts.len()].clone();
                ("COORDINATOR", vec![d.clone()], Sees::Prefix(d), Value::Null)
            }
        };
        let name = format!("live-bench-{k}");
        let created = http
            .gql(
                Some(admin),
                "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } } }",
                json!({ "i": { "login": name, "password": password, "role": role,
                    "displayName": name, "areaScopes": scopes, "agencyId": agency_id } }),
            )
            .await;
        if let Err(e) = created
            && !e.to_string().contains("CONFLICT")
        {
            return Err(e);
        }
        out.push((login(http, &name, password).await?, sees));
    }
    Ok(out)
}

/// One subscriber connection: signs in, subscribes, and records (visit id, receipt time).
async fn subscriber(
    host: String,
    port: u16,
    token: String,
    ready: tokio::sync::mpsc::Sender<()>,
    got: Arc<Mutex<Vec<(String, Instant)>>>,
    closes: Arc<Mutex<Vec<String>>>,
) -> Res<()> {
    let mut req = format!("ws://{host}:{port}/graphql/ws").into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let init = json!({ "type": "connection_init", "payload": { "token": token } });
    ws.send(Message::text(init.to_string())).await?;
    let sub = json!({ "id": "v", "type": "subscribe",
        "payload": { "query": "subscription { visitChanged { id } }" } });
    let mut acked = false;
    while let Some(m) = ws.next().await {
        match m? {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t)?;
                match v["type"].as_str() {
                    Some("connection_ack") if !acked => {
                        acked = true;
                        ws.send(Message::text(sub.to_string())).await?;
                        let _ = ready.send(()).await;
                    }
                    Some("next") => {
                        let id = v["payload"]["data"]["visitChanged"]["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        got.lock().unwrap().push((id, Instant::now()));
                    }
                    Some("ping") => {
                        ws.send(Message::text(json!({ "type": "pong" }).to_string()))
                            .await?;
                    }
                    _ => {}
                }
            }
            Message::Close(f) => {
                closes.lock().unwrap().push(format!("{f:?}"));
                return Ok(());
            }
            _ => {}
        }
    }
    Ok(())
}

fn rss(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|e| format!("unreadable: {e}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> Res<()> {
    let a = args();
    let mut http = Http::connect(&a.host, a.port).await?;
    let admin = login(&mut http, &a.admin, &a.password).await?;
    let homes = households(&mut http, &admin, 2000).await?;
    if homes.is_empty() {
        return Err("no households: run `api seed-demo` first".into());
    }
    // Households spread over the provinces: a round robin over the province of each.
    let mut by_province: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for h in &homes {
        by_province
            .entry(h.1[..2].to_owned())
            .or_default()
            .push(h.clone());
    }
    let mut targets = Vec::new();
    let mut lists: Vec<_> = by_province.into_values().collect();
    lists.sort();
    for i in 0..50 {
        for l in &lists {
            if let Some(h) = l.get(i) {
                targets.push(h.clone());
            }
        }
    }
    let villages: Vec<String> = targets.iter().map(|t| t.1.clone()).collect();
    let accts = accounts(&mut http, &admin, a.accounts, &villages).await?;
    println!(
        "setup: {} households as targets in {} provinces, {} accounts",
        targets.len(),
        lists.len(),
        accts.len()
    );
    if let Some(pid) = a.pid {
        println!("server before: {}", rss(pid));
    }

    // Subscribers, round robin over the accounts.
    let got = Arc::new(Mutex::new(Vec::new()));
    let closes = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, mut ready) = tokio::sync::mpsc::channel(a.subs.max(1));
    let mut sees = Vec::new();
    let opened = Instant::now();
    for i in 0..a.subs {
        let (token, s) = accts[i % accts.len()].clone();
        sees.push(s);
        let (host, port, ready, got, closes) = (
            a.host.clone(),
            a.port,
            ready_tx.clone(),
            got.clone(),
            closes.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = subscriber(host, port, token, ready, got, closes.clone()).await {
                closes.lock().unwrap().push(format!("error: {e}"));
            }
        });
    }
    drop(ready_tx);
    for _ in 0..a.subs {
        if tokio::time::timeout(Duration::from_secs(60), ready.recv())
            .await
            .ok()
            .flatten()
            .is_none()
        {
            return Err("subscribers did not all connect within 60 s".into());
        }
    }
    // The subscribe message is on its way; give the server a moment to start them all
    // (writes before that are simply not expected by those subscriptions: see below).
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "{} subscriptions open in {:.1} s",
        a.subs,
        opened.elapsed().as_secs_f64()
    );

    // Writers: W scheduleVisit per second, spread over a pool of connections.
    let sent = Arc::new(Mutex::new(Vec::<(String, Instant, String)>::new()));
    let failed = Arc::new(Mutex::new(0usize));
    let pool = 16.min(a.writes.max(1) as usize);
    let total = (a.writes as u64 * a.seconds) as usize;
    let period = Duration::from_secs_f64(1.0 / a.writes.max(1) as f64);
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..pool {
        let (host, port, admin, targets, sent, failed) = (
            a.host.clone(),
            a.port,
            admin.clone(),
            targets.clone(),
            sent.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut http = Http::connect(&host, port).await.expect("writer connects");
            let mut n = w;
            while n < total {
                let due = start + period * n as u32;
                tokio::time::sleep_until(due.into()).await;
                let (household, village) = &targets[n % targets.len()];
                let at = Instant::now();
                let res = http
                    .gql(
                        Some(&admin),
                        "mutation($i: ScheduleVisitInput!) { scheduleVisit(input: $i) { visit { id } } }",
                        json!({ "i": { "householdId": household, "type": "HOME",
                            "scheduledAt": "2026-12-01T09:00:00Z", "notes": "live bench" } }),
                    )
                    .await;
                match res {
                    Ok(d) => sent.lock().unwrap().push((
                        d["scheduleVisit"]["visit"]["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        at,
                        village.clone(),
                    )),
                    Err(e) => {
                        let mut f = failed.lock().unwrap();
                        if *f < 3 {
                            eprintln!("write failed: {e}");
                        }
                        *f += 1;
                    }
                }
                n += pool;
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let wrote_for = start.elapsed();
    tokio::time::sleep(Duration::from_secs(a.drain)).await;

    // Report.
    let sent = sent.lock().unwrap().clone();
    let got = got.lock().unwrap().clone();
    let send_time: HashMap<&str, (Instant, &str)> = sent
        .iter()
        .map(|(id, t, v)| (id.as_str(), (*t, v.as_str())))
        .collect();
    let expected: usize = sent
        .iter()
        .map(|(_, _, v)| sees.iter().filter(|s| s.visit_in(v)).count())
        .sum();
    let mut latencies: Vec<Duration> = got
        .iter()
        .filter_map(|(id, at)| send_time.get(id.as_str()).map(|(t, _)| *at - *t))
        .collect();
    latencies.sort();
    let unknown = got.len() - latencies.len();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "writes: {} sent in {:.1} s ({:.1}/s), {} failed",
        sent.len(),
        wrote_for.as_secs_f64(),
        sent.len() as f64 / wrote_for.as_secs_f64(),
        failed.lock().unwrap()
    );
    println!(
        "events: {} delivered of {} expected ({:.2}%), {} not from this run",
        latencies.len(),
        expected,
        100.0 * latencies.len() as f64 / expected.max(1) as f64,
        unknown
    );
    println!(
        "delivery latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    let closes = closes.lock().unwrap().clone();
    println!(
        "connections closed by the server or failed: {}",
        closes.len()
    );
    for c in closes.iter().take(3) {
        println!("  {c}");
    }
    if let Some(pid) = a.pid {
        println!("server after: {}", rss(pid));
    }
    Ok(())
}
