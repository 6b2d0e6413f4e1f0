//! Live events for subscriptions (`docs/subscriptions.md`). A write publishes an [`Event`]
//! (a kind and an id, nothing else); every replica hands it to its open subscriptions, and
//! each subscription re-reads the record through the viewer's scope before sending anything.
//!
//! On PostgreSQL an event travels as `NOTIFY ppaos_live, '<kind>:<uuid>'`, and every process
//! keeps one `LISTEN` connection (reconnecting when lost) feeding an in-process broadcast
//! channel. On SQLite there is no server to notify through: the broadcast channel is shared by
//! every server of the process on the same database URL (so two replicas in one test process
//! see each other's events); replicas in different processes on one SQLite file do not.
pub mod ws;

use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::{Stream, StreamExt};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::{OnceCell, broadcast, watch};
use uuid::Uuid;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "ppaos_live";

/// What changed: a kind and an id, never a record's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub kind: Kind,
    pub id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A referral was created or moved (id: the referral).
    Referral,
    /// A case was opened or changed (id: the case).
    Case,
    /// A visit was scheduled, completed or closed (id: the visit).
    Visit,
    /// A match was suggested or moved (id: the match).
    Match,
    /// A household import finished (id: the account that ran it).
    Import,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Referral => "referral",
            Kind::Case => "case",
            Kind::Visit => "visit",
            Kind::Match => "match",
            Kind::Import => "import",
        }
    }
}

impl Event {
    pub fn new(kind: Kind, id: Uuid) -> Self {
        Self { kind, id }
    }

    /// `<kind>:<uuid>`, the NOTIFY payload.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.kind.tag(), self.id)
    }

    pub fn decode(payload: &str) -> Option<Self> {
        let (tag, id) = payload.split_once(':')?;
        let kind = [
            Kind::Referral,
            Kind::Case,
            Kind::Visit,
            Kind::Match,
            Kind::Import,
        ]
        .into_iter()
        .find(|k| k.tag() == tag)?;
        Some(Self::new(kind, id.parse().ok()?))
    }
}

/// Limits of live connections (README "Configuration").
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    /// Open WebSocket connections per process (`APP_LIVE_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Open connections per account (`APP_LIVE_MAX_PER_ACCOUNT`).
    pub max_per_account: usize,
    /// Events a subscription may fall behind before its connection is closed as a slow
    /// consumer (`APP_LIVE_BUFFER`).
    pub buffer: usize,
    /// How often a connection re-checks its session (`APP_LIVE_SESSION_CHECK_MS`).
    pub session_check: Duration,
    /// How long a send to the client may wait before the connection is closed as a slow
    /// consumer (`APP_LIVE_SEND_TIMEOUT_MS`).
    pub send_timeout: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_per_account: 8,
            buffer: 256,
            session_check: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// In-process channels of SQLite databases, one per URL (see the module documentation).
static LOCAL: LazyLock<Mutex<HashMap<String, broadcast::Sender<Event>>>> =
    LazyLock::new(Default::default);

/// This process's end of the event channel, and its count of open connections.
pub struct LiveBus {
    tx: broadcast::Sender<Event>,
    db: DatabaseConnection,
    postgres: bool,
    listening: OnceCell<()>,
    /// Dropped with the bus: stops the listener task.
    _stop: watch::Sender<()>,
    stop: watch::Receiver<()>,
    open: AtomicUsize,
    per_account: Mutex<HashMap<Uuid, usize>>,
    pub settings: LiveSettings,
}

impl LiveBus {
    pub fn new(settings: LiveSettings, database_url: &str, db: DatabaseConnection) -> Self {
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let capacity = settings.buffer.max(1);
        let tx = if postgres {
            broadcast::channel(capacity).0
        } else {
            LOCAL
                .lock()
                .expect("live registry")
                .entry(database_url.to_owned())
                .or_insert_with(|| broadcast::channel(capacity).0)
                .clone()
        };
        let (stop_tx, stop) = watch::channel(());
        Self {
            tx,
            db,
            postgres,
            listening: OnceCell::new(),
            _stop: stop_tx,
            stop,
            open: AtomicUsize::new(0),
            per_account: Mutex::default(),
            settings,
        }
    }

    /// Publishes an event to every replica. `conn` is the writing transaction where there is
    /// one (PostgreSQL delivers a NOTIFY on commit only); on SQLite the event goes out at once,
    /// so call this after the commit there.
    pub async fn publish(&self, conn: &impl ConnectionTrait, event: Event) {
        if self.postgres {
            let sent = conn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), event.encode().into()],
                ))
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "live event not sent");
            }
        } else {
            // No receiver is not an error: nobody is subscribed.
            let _ = self.tx.send(event);
        }
    }

    /// The events of this process from now on, for one subscription. Starts the PostgreSQL
    /// listener on first use.
    pub async fn subscribe(&self) -> broadcast::Receiver<Event> {
        if self.postgres {
            self.listening
                .get_or_init(|| async {
                    let pool = self.db.get_postgres_connection_pool().clone();
                    let (ready, listening) = tokio::sync::oneshot::channel();
                    tokio::spawn(listen(pool, self.tx.clone(), self.stop.clone(), ready));
                    // The first subscription hears of writes from the moment LISTEN is in
                    // place; it does not wait longer than this for it.
                    let _ = tokio::time::timeout(Duration::from_secs(5), listening).await;
                })
                .await;
        }
        self.tx.subscribe()
    }

    /// Open WebSocket connections of this process (for the metrics gauge).
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Counts a new connection if the process-wide limit allows it.
    pub(crate) fn try_open(self: &Arc<Self>) -> Option<OpenSlot> {
        let max = self.settings.max_connections;
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(OpenSlot {
            bus: self.clone(),
            account: None,
        })
    }

    fn release_account(&self, account: Uuid) {
        let mut map = self.per_account.lock().expect("live accounts");
        if let Some(n) = map.get_mut(&account) {
            *n -= 1;
            if *n == 0 {
                map.remove(&account);
            }
        }
    }
}

/// One counted connection; uncounted when dropped.
pub(crate) struct OpenSlot {
    bus: Arc<LiveBus>,
    account: Option<Uuid>,
}

impl OpenSlot {
    /// Counts the connection against its account's limit; false when the account is at it.
    pub(crate) fn claim_account(&mut self, account: Uuid) -> bool {
        let mut map = self.bus.per_account.lock().expect("live accounts");
        let n = map.entry(account).or_default();
        if *n >= self.bus.settings.max_per_account {
            return false;
        }
        *n += 1;
        self.account = Some(account);
        true
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        if let Some(account) = self.account {
            self.bus.release_account(account);
        }
        self.bus.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The process's LISTEN connection: forwards notifications to the broadcast channel, and
/// reconnects after a loss (events sent while it is away are lost; see the docs).
async fn listen(
    pool: sea_orm::sqlx::PgPool,
    tx: broadcast::Sender<Event>,
    mut stop: watch::Receiver<()>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut ready = Some(ready);
    loop {
        let connected = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        let mut listener = tokio::select! {
            _ = stop.changed() => return,
            l = connected => match l {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "live listener cannot connect; retrying");
                    tokio::select! {
                        _ = stop.changed() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                n = listener.try_recv() => match n {
                    Ok(Some(n)) => {
                        if let Some(event) = Event::decode(n.payload()) {
                            let _ = tx.send(event);
                        }
                    }
                    // The connection was lost; the next `try_recv` reconnects.
                    Ok(None) => tracing::warn!("live listener lost its connection"),
                    Err(e) => {
                        tracing::warn!(error = %e, "live listener failed; reconnecting");
                        break;
                    }
                },
            }
        }
    }
}

/// Events of one kind, as a stream that ends with `Lagged` when the subscription fell more
/// than the buffer behind (the connection then closes as a slow consumer).
pub fn events_of(
    rx: broadcast::Receiver<Event>,
    kind: Kind,
) -> impl Stream<Item = Result<Uuid, Lagged>> + Send {
    futures::stream::unfold(Some(rx), move |rx| async move {
        let mut rx = rx?;
        loop {
            match rx.recv().await {
                Ok(e) if e.kind == kind => return Some((Ok(e.id), Some(rx))),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return Some((Err(Lagged), None)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}

/// A subscription fell too far behind.
#[derive(Debug, Clone, Copy)]
pub struct Lagged;

/// The records of `kind` that change from now on, each re-read through the viewer's scope by
/// `read` (which returns `None` for a record the viewer may not see: nothing is sent then).
/// Signed-in viewers only.
pub async fn changes<T, F, Fut>(
    ctx: &async_graphql::Context<'_>,
    kind: Kind,
    read: F,
) -> async_graphql::Result<impl Stream<Item = T> + Send + 'static + use<T, F, Fut>>
where
    T: Send + 'static,
    F: Fn(DatabaseConnection, crate::auth::Scope, Uuid) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Option<T>>> + Send + 'static,
{
    use crate::graphql::context::{scope, services, viewer};
    viewer(ctx).account()?;
    let s = services(ctx);
    let db = s.db.clone();
    let scope = scope(ctx);
    let slow = ctx.data_opt::<ws::SlowConsumer>().cloned();
    let rx = s.live.subscribe().await;
    let read = Arc::new(read);
    Ok(events_of(rx, kind).filter_map(move |item| {
        let (db, scope, read, slow) = (db.clone(), scope.clone(), read.clone(), slow.clone());
        async move {
            match item {
                Ok(id) => match read(db, scope, id).await {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::warn!(error = ?e, "live event not re-read");
                        None
                    }
                },
                Err(Lagged) => {
                    if let Some(slow) = slow {
                        slow.signal();
                    }
                    None
                }
            }
        }
    }))
}

/// Publishes `event` from a resolver, after its write committed.
pub async fn emit(ctx: &async_graphql::Context<'_>, kind: Kind, id: Uuid) {
    let s = crate::graphql::context::services(ctx);
    s.live.publish(&s.db, Event::new(kind, id)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_round_trips_through_its_payload() {
        let e = Event::new(Kind::Match, Uuid::now_v7());
        assert_eq!(Event::decode(&e.encode()), Some(e));
        assert_eq!(Event::decode("nope:1"), None);
    }
}
