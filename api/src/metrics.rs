//! `/metrics` in the Prometheus text format: GraphQL requests by operation name and outcome,
//! their latency, the database pool, DataLoader batch sizes, open subscriptions and the live
//! machinery's counters.
//!
//! Operation names are chosen by clients, so they are bounded before they become labels: at
//! most [`MAX_OPERATIONS`] distinct names per process (later ones count as `other`), each cut
//! to [`MAX_NAME_CHARS`] characters of `[A-Za-z0-9_]`. Outcomes are `ok` or an error code of
//! the fixed vocabulary (`crate::error::code`).
//!
//! The metrics are per process (one registry, like the process itself): two replicas in one
//! test process share them.
use std::{
    collections::HashSet,
    sync::{LazyLock, Mutex},
    time::Duration,
};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

/// Distinct operation names kept as labels.
pub const MAX_OPERATIONS: usize = 200;
/// Characters of an operation name kept in its label.
pub const MAX_NAME_CHARS: usize = 64;

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    batches: HistogramVec,
    subscriptions: IntGauge,
    rejected: IntCounterVec,
    operations: Mutex<HashSet<String>>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new(
            "graphql_requests_total",
            "GraphQL requests by operation name and outcome (ok or an error code)",
        ),
        &["operation", "outcome"],
    )
    .expect("valid metric");
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "graphql_request_duration_seconds",
            "Time from receiving a GraphQL request to its answer",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ]),
        &["operation"],
    )
    .expect("valid metric");
    let pool = IntGaugeVec::new(
        Opts::new(
            "db_pool_connections",
            "Connections of the database pool (state: open, idle, max)",
        ),
        &["state"],
    )
    .expect("valid metric");
    let batches = HistogramVec::new(
        HistogramOpts::new(
            "dataloader_batch_size",
            "Keys loaded by one DataLoader batch",
        )
        .buckets(vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]),
        &["loader"],
    )
    .expect("valid metric");
    let subscriptions = IntGauge::new(
        "graphql_subscriptions_open",
        "Open subscription WebSocket connections",
    )
    .expect("valid metric");
    let rejected = IntCounterVec::new(
        Opts::new(
            "http_requests_rejected_total",
            "Requests to /graphql refused before GraphQL parsed them, by reason and HTTP status",
        ),
        &["reason", "status"],
    )
    .expect("valid metric");
    for collector in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(rejected.clone()),
        Box::new(latency.clone()),
        Box::new(pool.clone()),
        Box::new(batches.clone()),
        Box::new(subscriptions.clone()),
    ] {
        registry.register(collector).expect("distinct metrics");
    }
    Metrics {
        registry,
        requests,
        latency,
        pool,
        batches,
        subscriptions,
        rejected,
        operations: Mutex::default(),
    }
});

/// Why a request was refused before GraphQL parsed it (the `reason` label: a fixed set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 413: the body is over `APP_MAX_BODY_BYTES`.
    TooLarge,
    /// 415: a POST that is not `application/json`.
    UnsupportedMediaType,
    /// 406: the client accepts neither JSON type.
    NotAcceptable,
    /// 405: a method other than GET and POST.
    MethodNotAllowed,
    /// 400: the body could not be read, or is not a GraphQL request in JSON (or a GET's
    /// query string, variables or extensions are not).
    Malformed,
}

impl Rejection {
    pub fn label(self) -> &'static str {
        match self {
            Rejection::TooLarge => "too_large",
            Rejection::UnsupportedMediaType => "unsupported_media_type",
            Rejection::NotAcceptable => "not_acceptable",
            Rejection::MethodNotAllowed => "method_not_allowed",
            Rejection::Malformed => "malformed",
        }
    }
}

/// Counts a request refused before GraphQL parsed it (these are not in
/// `graphql_requests_total`, which counts requests by operation).
pub fn observe_rejected(reason: Rejection, status: u16) {
    METRICS
        .rejected
        .with_label_values(&[reason.label(), &status.to_string()])
        .inc();
}

/// The gauge of open subscriptions: increment when one starts, decrement when it ends.
pub fn subscriptions_open() -> &'static IntGauge {
    &METRICS.subscriptions
}

/// The label of an operation name: `anonymous` without one, `other` beyond the first
/// [`MAX_OPERATIONS`] names, otherwise the name cut to [`MAX_NAME_CHARS`] safe characters.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".into();
    };
    let label: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(MAX_NAME_CHARS)
        .collect();
    if label.is_empty() {
        return "other".into();
    }
    let Ok(mut known) = METRICS.operations.lock() else {
        return "other".into();
    };
    if known.contains(&label) {
        return label;
    }
    if known.len() >= MAX_OPERATIONS {
        return "other".into();
    }
    known.insert(label.clone());
    label
}

/// The name of the first operation of a document without `operationName` (`query Name …`),
/// read from the text without parsing it: for the label only.
pub fn named_operation(text: &str) -> Option<&str> {
    let mut rest = text.trim_start();
    while let Some(comment) = rest.strip_prefix('#') {
        rest = comment.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    let after = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|k| rest.strip_prefix(k))?;
    let after = after
        .strip_prefix(|c: char| c.is_whitespace())?
        .trim_start();
    let end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    (end > 0).then(|| &after[..end])
}

/// Counts one GraphQL request and its latency.
pub fn observe_request(operation: &str, outcome: &str, elapsed: Duration) {
    METRICS
        .requests
        .with_label_values(&[operation, outcome])
        .inc();
    METRICS
        .latency
        .with_label_values(&[operation])
        .observe(elapsed.as_secs_f64());
}

/// Records the size of one DataLoader batch of `loader` (a key type's name).
pub fn observe_batch(loader: &str, keys: usize) {
    let short = loader.rsplit("::").next().unwrap_or(loader);
    METRICS
        .batches
        .with_label_values(&[short])
        .observe(keys as f64);
}

fn set_pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    METRICS
        .pool
        .with_label_values(&["open"])
        .set(i64::from(size));
    METRICS.pool.with_label_values(&["idle"]).set(idle as i64);
}

/// The text exposition of every metric, with the pool read now.
pub fn render(
    db: &DatabaseConnection,
    max_connections: u32,
    live: &crate::live::LiveCounters,
) -> String {
    set_pool(db);
    METRICS
        .pool
        .with_label_values(&["max"])
        .set(i64::from(max_connections));
    let mut out = Vec::new();
    let _ = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out);
    let mut text = String::from_utf8(out).unwrap_or_default();
    render_live(live, &mut text);
    text
}

/// The live machinery's counters (kept by the process's event bus, not the registry).
fn render_live(c: &crate::live::LiveCounters, out: &mut String) {
    use std::{fmt::Write, sync::atomic::Ordering::Relaxed};
    let counters = [
        (
            "live_events_total",
            "Events handed to this process's subscriptions",
            c.events.load(Relaxed),
        ),
        (
            "live_rereads_total",
            "Record ids re-read for subscriptions after the scope pre-filter",
            c.rereads.load(Relaxed),
        ),
        (
            "live_reread_queries_total",
            "Queries those re-reads took",
            c.reread_queries.load(Relaxed),
        ),
        (
            "live_reread_shared_total",
            "Record ids a subscription took from another subscription's re-read of the same scope",
            c.reread_shared.load(Relaxed),
        ),
        (
            "live_reread_failures_total",
            "Re-reads that failed (their subscriptions were told and ended)",
            c.reread_failures.load(Relaxed),
        ),
        (
            "live_slow_consumers_total",
            "Subscription connections closed as slow consumers (4413)",
            c.slow_consumers.load(Relaxed),
        ),
    ];
    for (name, help, value) in counters {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        );
    }
    let _ = write!(
        out,
        "# HELP live_rereads_running Re-reads holding a database connection now\n\
         # TYPE live_rereads_running gauge\nlive_rereads_running {}\n",
        c.rereads_running.load(Relaxed)
    );
}

/// `GET /metrics`: with `APP_METRICS_TOKEN` set, only for `Authorization: Bearer <token>`
/// (401 otherwise); without it, open in development and not found in production.
pub async fn endpoint(
    req: actix_web::HttpRequest,
    state: actix_web::web::Data<crate::startup::AppState>,
) -> actix_web::HttpResponse {
    use actix_web::{HttpResponse, http::header};
    use secrecy::ExposeSecret;
    let settings = &state.services.settings;
    match &settings.ops.metrics_token {
        Some(expected) => {
            let given = crate::graphql::http::bearer(&req).and_then(Result::ok);
            // Compared as digests, byte by byte without an early exit.
            let matches = given.is_some_and(|given| {
                use sha2::{Digest, Sha256};
                let (a, b) = (
                    Sha256::digest(given.as_bytes()),
                    Sha256::digest(expected.expose_secret().as_bytes()),
                );
                a.iter()
                    .zip(b.iter())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
            });
            if !matches {
                return HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                    .finish();
            }
        }
        None if settings.is_production() => return HttpResponse::NotFound().finish(),
        None => {}
    }
    subscriptions_open()
        .set(i64::try_from(state.services.live.open_connections()).unwrap_or(i64::MAX));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(
            &state.services.db,
            settings.database_max_connections,
            &state.services.live.counters,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_operation_name_is_read_without_parsing() {
        assert_eq!(named_operation("query Me { me { id } }"), Some("Me"));
        assert_eq!(
            named_operation("# c\n mutation Do($a: Int) { x }"),
            Some("Do")
        );
        assert_eq!(named_operation("{ me { id } }"), None);
        assert_eq!(named_operation("query { me { id } }"), None);
        assert_eq!(named_operation("queryX { }"), None);
    }

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Me")), "Me");
        let long = "x".repeat(500);
        assert_eq!(operation_label(Some(&long)).len(), MAX_NAME_CHARS);
        assert_eq!(operation_label(Some("a\"b{c}")), "abc");
        for i in 0..(MAX_OPERATIONS + 10) {
            let label = operation_label(Some(&format!("Op{i}")));
            assert!(label.starts_with("Op") || label == "other");
        }
        assert_eq!(operation_label(Some("NeverSeenBefore")), "other");
    }
}
