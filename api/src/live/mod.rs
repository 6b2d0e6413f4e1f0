//! Live events for subscriptions (`docs/subscriptions.md`). A write publishes an [`Event`]
//! (a kind, an id and routing ids — never a record's content); every replica hands it to its
//! open subscriptions, each drops in memory the events its scope cannot concern (the
//! [`Route`] pre-filter) and re-reads the rest through the viewer's scope before sending
//! anything. The re-read stays the authority: the pre-filter only saves queries.
//!
//! On PostgreSQL the events of referrals, cases, visits, matches, accounts and sessions are
//! sent by database triggers (`m20261206_000101_create_live_notify`) with `pg_notify`, inside
//! the writing transaction: they go out with its commit, from every write path, and never for
//! a rolled-back write. Every process keeps one `LISTEN` connection (reconnecting when lost)
//! feeding an in-process broadcast channel. On SQLite there is no server to notify through:
//! resolvers publish after their commit ([`emit`]) into a broadcast channel shared by every
//! server of the process on the same database URL (so two replicas in one test process see
//! each other's events); replicas in different processes on one SQLite file do not.
pub mod kept;
pub mod ws;

use std::{
    any::{Any, TypeId},
    collections::{HashMap, VecDeque},
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{
    FutureExt, Stream, StreamExt,
    future::{BoxFuture, Shared},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use tokio::sync::{OnceCell, Semaphore, broadcast, watch};
use uuid::Uuid;

use crate::auth::Scope;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "ppaos_live";
/// The payload prefix of a province's rollup change (`rollup:<province>`, migration
/// `m20261207_000101`; `rollup::kept`).
pub const ROLLUP_PREFIX: &str = "rollup:";
/// The payload prefix of a barrier ([`LiveBus::settle`]).
const SETTLE_PREFIX: &str = "settle:";

/// Candidate events a subscription re-reads with one query.
pub const BATCH: usize = 100;

/// How long the answer of a shared re-read stays available to the other subscriptions of the
/// same scope that have not reached its event yet (from the start of the read).
pub const SHARE_FOR: Duration = Duration::from_secs(5);

/// Re-reads (one per scope, kind and event occurrence) remembered at most; beyond it a
/// subscription reads on its own (correct, one more query).
pub const SHARE_MAX: usize = 65_536;

/// What changed: a kind and an id, and (for records) the ids that say who may be concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: Kind,
    pub id: Uuid,
    /// `None`: unknown, every subscription of the kind re-reads the record.
    pub route: Option<Route>,
}

/// Routing ids of a record event: the village code of its household and the agencies that
/// may see it through their agency scope (referral: sender and receiver; case: owner and the
/// parties of its referrals; match: the delivering agency; visit: none). Codes and ids only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// `None`: unknown (every area-scoped subscription re-reads).
    pub area: Option<String>,
    pub agencies: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// An account changed or one of its sessions was revoked (id: the account): its open
    /// connections re-check their viewer at once.
    Account,
}

const KINDS: [Kind; 6] = [
    Kind::Referral,
    Kind::Case,
    Kind::Visit,
    Kind::Match,
    Kind::Import,
    Kind::Account,
];

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Referral => "referral",
            Kind::Case => "case",
            Kind::Visit => "visit",
            Kind::Match => "match",
            Kind::Import => "import",
            Kind::Account => "account",
        }
    }

    /// Whether PostgreSQL triggers send this kind (then nothing else may, or it would be
    /// delivered twice).
    fn sent_by_trigger(self) -> bool {
        !matches!(self, Kind::Import)
    }
}

impl Event {
    pub fn new(kind: Kind, id: Uuid) -> Self {
        Self {
            kind,
            id,
            route: None,
        }
    }

    pub fn routed(kind: Kind, id: Uuid, route: Route) -> Self {
        Self {
            kind,
            id,
            route: Some(route),
        }
    }

    /// `<kind>:<uuid>` or `<kind>:<uuid>:<village code>:<agency>,<agency>`: the NOTIFY
    /// payload (the triggers write the same form).
    pub fn encode(&self) -> String {
        match &self.route {
            None => format!("{}:{}", self.kind.tag(), self.id),
            Some(r) => {
                let agencies: Vec<String> = r.agencies.iter().map(Uuid::to_string).collect();
                format!(
                    "{}:{}:{}:{}",
                    self.kind.tag(),
                    self.id,
                    r.area.as_deref().unwrap_or(""),
                    agencies.join(",")
                )
            }
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        let mut parts = payload.splitn(4, ':');
        let tag = parts.next()?;
        let kind = KINDS.into_iter().find(|k| k.tag() == tag)?;
        let id = parts.next()?.parse().ok()?;
        let Some(area) = parts.next() else {
            return Some(Self::new(kind, id));
        };
        let agencies = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Uuid>, _>>()
            .ok()?;
        Some(Self::routed(
            kind,
            id,
            Route {
                area: (!area.is_empty()).then(|| area.to_owned()),
                agencies,
            },
        ))
    }
}

/// The pre-filter: whether a record event with this route may concern a subscriber of this
/// scope (the same rules as `visible_referrals`, `visible_cases`, `visible_visits` and
/// `visible_matches`, on routing ids instead of rows). False only when the re-read would
/// certainly find nothing; an unknown route is always a candidate.
pub fn may_concern(scope: &Scope, route: Option<&Route>) -> bool {
    let Some(route) = route else {
        return true;
    };
    match scope {
        Scope::All => true,
        Scope::Areas(prefixes) => route
            .area
            .as_deref()
            .is_none_or(|a| prefixes.iter().any(|p| a.starts_with(p.as_str()))),
        Scope::Agency(agency) => route.agencies.contains(agency),
        Scope::Aggregates(_) | Scope::Nothing => false,
    }
}

/// Limits of live connections (README "Configuration").
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    /// Open WebSocket connections per process (`APP_LIVE_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Open connections per account (`APP_LIVE_MAX_PER_ACCOUNT`).
    pub max_per_account: usize,
    /// Frames one connection may have waiting for its client before it is closed as a slow
    /// consumer (`APP_LIVE_BUFFER`).
    pub buffer: usize,
    /// Events of the process's ring (shared by all its subscriptions): a subscription that
    /// falls more than this behind is closed as a slow consumer (`APP_LIVE_RING`). Sized for
    /// bursts (`runMatching`), not per connection.
    pub ring: usize,
    /// How often a connection re-checks its session besides the account events
    /// (`APP_LIVE_SESSION_CHECK_MS`).
    pub session_check: Duration,
    /// How long a send to the client may wait before the connection is closed as a slow
    /// consumer (`APP_LIVE_SEND_TIMEOUT_MS`).
    pub send_timeout: Duration,
    /// Re-reads of live events that may run at once, each holding one pooled database
    /// connection (`APP_LIVE_REREAD_CONNECTIONS`); `None`: a quarter of
    /// `APP_DATABASE_MAX_CONNECTIONS`, at least 1. The rest of the pool stays for requests.
    pub reread_connections: Option<usize>,
    /// How long a resolved session may be reused without reading it again, on PostgreSQL
    /// while this process's listener is up (`APP_SESSION_CACHE_SECS`; zero: off; see
    /// `auth::session_cache`).
    pub session_cache: Duration,
    /// How long the rollups' province versions may be reused without reading them again, on
    /// PostgreSQL while this process's listener is up (`APP_ROLLUP_VERSION_CACHE_SECS`; zero:
    /// off; see `rollup::kept`).
    pub version_cache: Duration,
}

impl LiveSettings {
    /// The re-reads that may run at once with a pool of `pool` connections.
    pub fn reread_permits(&self, pool: u32) -> usize {
        self.reread_connections
            .unwrap_or((pool as usize) / 4)
            .max(1)
    }
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_per_account: 8,
            buffer: 256,
            ring: 16_384,
            session_check: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
            reread_connections: None,
            session_cache: Duration::from_secs(30),
            version_cache: Duration::from_secs(30),
        }
    }
}

/// One event as the subscriptions of a process receive it: numbered, so that the subscriptions
/// that re-read the same occurrence can share the read.
#[derive(Debug)]
pub struct Occurrence {
    /// Unique among the occurrences of the channel (increasing).
    pub seq: u64,
    pub event: Event,
}

/// The two channels of a process: record and import events, and account events (few, read by
/// every connection).
#[derive(Clone)]
struct Channels {
    records: broadcast::Sender<Arc<Occurrence>>,
    accounts: broadcast::Sender<Uuid>,
    seq: Arc<AtomicU64>,
}

impl Channels {
    fn new(ring: usize) -> Self {
        Self {
            records: broadcast::channel(ring.max(1)).0,
            accounts: broadcast::channel(1024).0,
            seq: Arc::default(),
        }
    }

    fn send(&self, event: Event) {
        // No receiver is not an error: nobody is subscribed.
        if event.kind == Kind::Account {
            let _ = self.accounts.send(event.id);
        } else {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            let _ = self.records.send(Arc::new(Occurrence { seq, event }));
        }
    }
}

/// In-process channels of SQLite databases, one per URL (see the module documentation).
static LOCAL: LazyLock<Mutex<HashMap<String, Channels>>> = LazyLock::new(Default::default);

/// Counters of the live machinery of one process (for tests and the metrics).
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Events handed to this process's subscriptions.
    pub events: AtomicU64,
    /// Record ids re-read (after the pre-filter; an id re-read once for several subscriptions
    /// of one scope counts once).
    pub rereads: AtomicU64,
    /// Queries those re-reads took (one per batch).
    pub reread_queries: AtomicU64,
    /// Record ids a subscription took from a re-read another subscription of the same scope
    /// made (or was making) for the same event: no query of its own.
    pub reread_shared: AtomicU64,
    /// Re-reads that failed (their subscriptions were told and ended, see the docs).
    pub reread_failures: AtomicU64,
    /// Re-reads holding a database connection right now, and the most there ever were at once
    /// (never more than the `APP_LIVE_REREAD_CONNECTIONS` limit).
    pub rereads_running: AtomicUsize,
    pub rereads_running_peak: AtomicUsize,
    /// Connections closed as slow consumers (4413).
    pub slow_consumers: AtomicU64,
}

/// This process's end of the event channel, and its count of open connections.
pub struct LiveBus {
    channels: Channels,
    db: DatabaseConnection,
    postgres: bool,
    listening: OnceCell<()>,
    /// The last barrier the listener heard ([`LiveBus::settle`]).
    settled: watch::Sender<String>,
    /// Dropped with the bus: stops the listener task.
    _stop: watch::Sender<()>,
    stop: watch::Receiver<()>,
    open: AtomicUsize,
    per_account: Mutex<HashMap<Uuid, usize>>,
    pub counters: LiveCounters,
    pub settings: LiveSettings,
    reads: Reads,
    /// Sessions resolved recently, kept current by the listener (PostgreSQL only).
    pub sessions: Arc<crate::auth::session_cache::SessionCache>,
    /// Province versions of the rollups read recently, kept current by the listener
    /// (PostgreSQL only).
    pub versions: Arc<crate::rollup::kept::VersionCache>,
}

impl LiveBus {
    /// `pool`: the size of `db`'s connection pool (`APP_DATABASE_MAX_CONNECTIONS`), of which
    /// live re-reads may hold [`LiveSettings::reread_permits`] at once.
    pub fn new(
        settings: LiveSettings,
        database_url: &str,
        db: DatabaseConnection,
        pool: u32,
    ) -> Self {
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let channels = if postgres {
            Channels::new(settings.ring)
        } else {
            LOCAL
                .lock()
                .expect("live registry")
                .entry(database_url.to_owned())
                .or_insert_with(|| Channels::new(settings.ring))
                .clone()
        };
        let (stop_tx, stop) = watch::channel(());
        let sessions = crate::auth::session_cache::SessionCache::new(
            if postgres {
                settings.session_cache
            } else {
                Duration::ZERO
            },
            kept::database_identity(&db),
        );
        let versions = crate::rollup::kept::VersionCache::new(if postgres {
            settings.version_cache
        } else {
            Duration::ZERO
        });
        Self {
            sessions,
            versions,
            channels,
            db,
            postgres,
            listening: OnceCell::new(),
            settled: watch::channel(String::new()).0,
            _stop: stop_tx,
            stop,
            open: AtomicUsize::new(0),
            per_account: Mutex::default(),
            counters: LiveCounters::default(),
            reads: Reads::new(settings.reread_permits(pool)),
            settings,
        }
    }

    /// Publishes an event to every replica. On PostgreSQL the kinds the triggers send are not
    /// sent again (the trigger did, with the commit); an import event goes out as a NOTIFY on
    /// `conn` (a transaction delivers it at its commit). On SQLite the event goes out at once,
    /// so call this after the commit there.
    pub async fn publish(&self, conn: &impl ConnectionTrait, event: Event) {
        if !self.postgres {
            self.deliver_locally(event);
            return;
        }
        if event.kind.sent_by_trigger() {
            return;
        }
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
    }

    /// Waits until this process's listener has heard every notification committed before the
    /// call (PostgreSQL delivers them in commit order, so hearing a barrier sent now is
    /// enough); at most 5 s. Nothing to wait for on SQLite. For tests that count statements
    /// or compare what is kept.
    pub async fn settle(&self) {
        if !self.postgres {
            return;
        }
        self.ensure_listening().await;
        let token = format!("{SETTLE_PREFIX}{}", Uuid::now_v7());
        let mut heard = self.settled.subscribe();
        let sent = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), token.clone().into()],
            ))
            .await;
        if sent.is_ok() {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                heard.wait_for(|last| *last == token),
            )
            .await;
        }
    }

    /// Hands an event to the subscriptions of this process only (what the listener does with
    /// each notification, and the SQLite path).
    pub fn deliver_locally(&self, event: Event) {
        self.counters.events.fetch_add(1, Ordering::Relaxed);
        self.channels.send(event);
    }

    /// Starts this process's listener (PostgreSQL) unless it runs; waits at most 5 s for it
    /// the first time.
    pub(crate) async fn ensure_listening(&self) {
        if self.postgres {
            self.listening
                .get_or_init(|| async {
                    let pool = self.db.get_postgres_connection_pool().clone();
                    let (ready, listening) = tokio::sync::oneshot::channel();
                    tokio::spawn(listen(
                        pool,
                        self.channels.clone(),
                        self.sessions.clone(),
                        self.versions.clone(),
                        self.settled.clone(),
                        self.stop.clone(),
                        ready,
                    ));
                    // The first subscription hears of writes from the moment LISTEN is in
                    // place; it does not wait longer than this for it.
                    let _ = tokio::time::timeout(Duration::from_secs(5), listening).await;
                })
                .await;
        }
    }

    /// The record and import events of this process from now on, for one subscription.
    /// Starts the PostgreSQL listener on first use.
    pub async fn subscribe(&self) -> broadcast::Receiver<Arc<Occurrence>> {
        self.ensure_listening().await;
        self.channels.records.subscribe()
    }

    /// The ids of accounts that changed (or had a session revoked) from now on, for one
    /// connection.
    pub async fn account_events(&self) -> broadcast::Receiver<Uuid> {
        self.ensure_listening().await;
        self.channels.accounts.subscribe()
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

/// The process's LISTEN connection: forwards notifications to the channels, and reconnects
/// after a loss (events sent while it is away are lost; see the docs).
async fn listen(
    pool: sea_orm::sqlx::PgPool,
    channels: Channels,
    sessions: Arc<crate::auth::session_cache::SessionCache>,
    versions: Arc<crate::rollup::kept::VersionCache>,
    settled: watch::Sender<String>,
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
        // Listening from here on: what changes now is heard, what changed while away is not.
        sessions.reset(true);
        versions.reset(true);
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                n = listener.try_recv() => match n {
                    Ok(Some(n)) => {
                        if let Some(province) = n.payload().strip_prefix(ROLLUP_PREFIX) {
                            versions.forget(|p, _| p == province);
                        } else if n.payload().starts_with(SETTLE_PREFIX) {
                            settled.send_replace(n.payload().to_owned());
                        } else if let Some(event) = Event::decode(n.payload()) {
                            if event.kind == Kind::Account {
                                sessions.forget_account(event.id);
                            }
                            channels.send(event);
                        }
                    }
                    // The connection was lost: reconnect here (so that the sessions are
                    // emptied again once listening).
                    Ok(None) => {
                        sessions.reset(false);
                        versions.reset(false);
                        tracing::warn!("live listener lost its connection; reconnecting");
                        break;
                    }
                    Err(e) => {
                        sessions.reset(false);
                        versions.reset(false);
                        tracing::warn!(error = %e, "live listener failed; reconnecting");
                        break;
                    }
                },
            }
        }
    }
}

/// A subscription fell too far behind.
#[derive(Debug, Clone, Copy)]
pub struct Lagged;

/// The next batch of candidate events of `kind` for `scope`: waits for the first, then takes
/// what else is already waiting (up to [`BATCH`]), one entry per id (with the latest
/// occurrence of it), in the order the ids first came. `Err` when the subscription fell more
/// than the ring behind; `Ok(None)` when the channel closed.
async fn next_batch(
    rx: &mut broadcast::Receiver<Arc<Occurrence>>,
    kind: Kind,
    scope: &Scope,
) -> Result<Option<Vec<(u64, Uuid)>>, Lagged> {
    use broadcast::error::{RecvError, TryRecvError};
    let wanted =
        |o: &Occurrence| o.event.kind == kind && may_concern(scope, o.event.route.as_ref());
    let first = loop {
        match rx.recv().await {
            Ok(o) if wanted(&o) => break (o.seq, o.event.id),
            Ok(_) => continue,
            Err(RecvError::Lagged(_)) => return Err(Lagged),
            Err(RecvError::Closed) => return Ok(None),
        }
    };
    let mut batch = vec![first];
    let mut index: HashMap<Uuid, usize> = HashMap::from([(first.1, 0)]);
    while batch.len() < BATCH {
        match rx.try_recv() {
            Ok(o) if wanted(&o) => match index.get(&o.event.id) {
                Some(&i) => batch[i].0 = o.seq,
                None => {
                    index.insert(o.event.id, batch.len());
                    batch.push((o.seq, o.event.id));
                }
            },
            Ok(_) => continue,
            Err(TryRecvError::Lagged(_)) => return Err(Lagged),
            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
        }
    }
    Ok(Some(batch))
}

/// A re-read failed (the database could not answer): its subscriptions are told and end.
#[derive(Debug, Clone, Copy)]
struct ReadFailed;

/// The answer of one re-read: `Arc<HashMap<Uuid, T>>`, the records the scope may see among
/// the ids read.
type Found = Arc<dyn Any + Send + Sync>;

/// A re-read in flight or done, awaited by every subscription that needs it.
type SharedRead = Shared<BoxFuture<'static, Result<Found, ReadFailed>>>;

/// What a re-read answers for: the same scope (canonical), kind, record type and occurrence
/// always get the same records, so they share one read. Never shared across scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReadKey {
    scope: Arc<Scope>,
    kind: Kind,
    ty: TypeId,
    seq: u64,
}

/// The canonical form of a scope for sharing: the same set of area prefixes in any order is
/// the same scope.
fn share_key(scope: &Scope) -> Scope {
    let sorted = |v: &Vec<String>| {
        let mut v = v.clone();
        v.sort();
        v.dedup();
        v
    };
    match scope {
        Scope::Areas(v) => Scope::Areas(sorted(v)),
        Scope::Aggregates(Some(v)) => Scope::Aggregates(Some(sorted(v))),
        other => other.clone(),
    }
}

/// The shared re-reads of a process and the bound on the connections they hold.
struct Reads {
    recent: Mutex<RecentReads>,
    permits: Arc<Semaphore>,
}

#[derive(Default)]
struct RecentReads {
    entries: HashMap<ReadKey, SharedRead>,
    /// Keys by start time, oldest first (for expiry).
    order: VecDeque<(Instant, ReadKey)>,
}

impl RecentReads {
    fn prune(&mut self, now: Instant) {
        while let Some((started, _)) = self.order.front() {
            if now.duration_since(*started) < SHARE_FOR && self.entries.len() < SHARE_MAX {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.entries.remove(&key);
            }
        }
    }
}

impl Reads {
    fn new(permits: usize) -> Self {
        Self {
            recent: Mutex::default(),
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }
}

/// Re-reads `batch` for one subscription of `scope`: takes what another subscription of the
/// same scope read (or is reading) for the same occurrences, reads the rest in one query
/// (shared in turn with the others), and returns the records the scope may see in the order of
/// the batch. With `share` false nothing is shared (reads that depend on more than the scope).
#[allow(clippy::too_many_arguments)]
async fn reread<T, F, Fut>(
    bus: &Arc<LiveBus>,
    db: &DatabaseConnection,
    scope: &Scope,
    key: &Arc<Scope>,
    kind: Kind,
    share: bool,
    read: &Arc<F>,
    batch: Vec<(u64, Uuid)>,
) -> Result<Vec<T>, ReadFailed>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(DatabaseConnection, Scope, Vec<Uuid>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Vec<(Uuid, T)>>> + Send + 'static,
{
    let key_of = |seq: u64| ReadKey {
        scope: key.clone(),
        kind,
        ty: TypeId::of::<T>(),
        seq,
    };
    // For each entry of the batch, the index of the read that answers it.
    let mut reads: Vec<SharedRead> = Vec::new();
    let mut answered_by: Vec<usize> = Vec::with_capacity(batch.len());
    let mut mine: Vec<usize> = Vec::new();
    {
        let mut recent = bus.reads.recent.lock().expect("live reads");
        if share {
            recent.prune(Instant::now());
        }
        for (i, (seq, _)) in batch.iter().enumerate() {
            let theirs = if share {
                recent.entries.get(&key_of(*seq))
            } else {
                None
            };
            match theirs {
                Some(r) => {
                    let at = match reads.iter().position(|x| x.ptr_eq(r)) {
                        Some(at) => at,
                        None => {
                            reads.push(r.clone());
                            reads.len() - 1
                        }
                    };
                    answered_by.push(at);
                }
                None => {
                    answered_by.push(usize::MAX);
                    mine.push(i);
                }
            }
        }
        let shared = (batch.len() - mine.len()) as u64;
        bus.counters
            .reread_shared
            .fetch_add(shared, Ordering::Relaxed);
        if !mine.is_empty() {
            let ids: Vec<Uuid> = mine.iter().map(|&i| batch[i].1).collect();
            let task = tokio::spawn(read_once(
                bus.clone(),
                db.clone(),
                scope.clone(),
                read.clone(),
                ids,
            ));
            let r: SharedRead = async move { task.await.unwrap_or(Err(ReadFailed)) }
                .boxed()
                .shared();
            if share {
                let now = Instant::now();
                for &i in &mine {
                    let k = key_of(batch[i].0);
                    recent.order.push_back((now, k.clone()));
                    recent.entries.insert(k, r.clone());
                }
            }
            reads.push(r);
            let at = reads.len() - 1;
            for &i in &mine {
                answered_by[i] = at;
            }
        }
    }
    let answers = futures::future::join_all(reads).await;
    let mut out = Vec::new();
    for ((_, id), at) in batch.iter().zip(answered_by) {
        let found = answers[at].as_ref().map_err(|e| *e)?;
        let found = found
            .downcast_ref::<HashMap<Uuid, T>>()
            .expect("a shared re-read of the same record type");
        out.extend(found.get(id).cloned());
    }
    Ok(out)
}

/// One re-read query, run when a connection for live work is free
/// (`APP_LIVE_REREAD_CONNECTIONS`).
async fn read_once<T, F, Fut>(
    bus: Arc<LiveBus>,
    db: DatabaseConnection,
    scope: Scope,
    read: Arc<F>,
    ids: Vec<Uuid>,
) -> Result<Found, ReadFailed>
where
    T: Send + Sync + 'static,
    F: Fn(DatabaseConnection, Scope, Vec<Uuid>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Vec<(Uuid, T)>>> + Send + 'static,
{
    let _permit = bus
        .reads
        .permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ReadFailed)?;
    let c = &bus.counters;
    let running = c.rereads_running.fetch_add(1, Ordering::AcqRel) + 1;
    c.rereads_running_peak.fetch_max(running, Ordering::AcqRel);
    c.rereads.fetch_add(ids.len() as u64, Ordering::Relaxed);
    c.reread_queries.fetch_add(1, Ordering::Relaxed);
    let result = read(db, scope, ids).await;
    c.rereads_running.fetch_sub(1, Ordering::AcqRel);
    match result {
        Ok(found) => Ok(Arc::new(found.into_iter().collect::<HashMap<Uuid, T>>()) as Found),
        Err(e) => {
            c.reread_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = ?e, "live events not re-read; their subscriptions end");
            Err(ReadFailed)
        }
    }
}

/// What a subscription whose re-read failed receives before it ends (`docs/subscriptions.md`).
fn missed_events() -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    async_graphql::Error::new(
        "live events could not be read; refetch what you show and subscribe again",
    )
    .extend_with(|_, e| e.set("code", crate::error::code::SERVICE_UNAVAILABLE))
}

/// The records of `kind` that change from now on, re-read through the viewer's scope by
/// `read` in batches (`read` returns the `(id, record)` pairs the viewer may see among the
/// ids; nothing is sent for the others). `read` must depend on the scope only: subscriptions
/// of the same scope share one re-read per event. Events the pre-filter ([`may_concern`])
/// rules out cost no query. Signed-in viewers only. When a re-read fails the subscription
/// receives one error (`SERVICE_UNAVAILABLE`) and ends.
pub async fn changes<T, F, Fut>(
    ctx: &async_graphql::Context<'_>,
    kind: Kind,
    read: F,
) -> async_graphql::Result<
    impl Stream<Item = async_graphql::Result<T>> + Send + 'static + use<T, F, Fut>,
>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(DatabaseConnection, Scope, Vec<Uuid>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Vec<(Uuid, T)>>> + Send + 'static,
{
    changes_with(ctx, kind, true, read).await
}

/// [`changes`] for a `read` that depends on more than the viewer's scope (e.g. the viewer's
/// account): nothing is shared between subscriptions.
pub async fn changes_unshared<T, F, Fut>(
    ctx: &async_graphql::Context<'_>,
    kind: Kind,
    read: F,
) -> async_graphql::Result<
    impl Stream<Item = async_graphql::Result<T>> + Send + 'static + use<T, F, Fut>,
>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(DatabaseConnection, Scope, Vec<Uuid>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Vec<(Uuid, T)>>> + Send + 'static,
{
    changes_with(ctx, kind, false, read).await
}

async fn changes_with<T, F, Fut>(
    ctx: &async_graphql::Context<'_>,
    kind: Kind,
    share: bool,
    read: F,
) -> async_graphql::Result<
    impl Stream<Item = async_graphql::Result<T>> + Send + 'static + use<T, F, Fut>,
>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(DatabaseConnection, Scope, Vec<Uuid>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::ApiResult<Vec<(Uuid, T)>>> + Send + 'static,
{
    use crate::graphql::context::{scope, services, viewer};
    viewer(ctx).account()?;
    let s = services(ctx);
    let bus = s.live.clone();
    let db = s.db.clone();
    let scope = scope(ctx);
    let key = Arc::new(share_key(&scope));
    let slow = ctx.data_opt::<ws::SlowConsumer>().cloned();
    let rx = bus.subscribe().await;
    let read = Arc::new(read);
    struct State<T> {
        rx: broadcast::Receiver<Arc<Occurrence>>,
        ready: VecDeque<T>,
        failed: bool,
    }
    let start = State {
        rx,
        ready: VecDeque::new(),
        failed: false,
    };
    Ok(futures::stream::unfold(Some(start), move |state| {
        let (bus, db, scope, key, slow, read) = (
            bus.clone(),
            db.clone(),
            scope.clone(),
            key.clone(),
            slow.clone(),
            read.clone(),
        );
        async move {
            let mut state = state?;
            loop {
                if let Some(item) = state.ready.pop_front() {
                    return Some((Ok(item), Some(state)));
                }
                if state.failed {
                    return Some((Err(missed_events()), None));
                }
                let batch = match next_batch(&mut state.rx, kind, &scope).await {
                    Ok(Some(batch)) => batch,
                    Ok(None) => return None,
                    Err(Lagged) => {
                        if let Some(slow) = &slow {
                            slow.signal();
                        }
                        return None;
                    }
                };
                match reread(&bus, &db, &scope, &key, kind, share, &read, batch).await {
                    Ok(found) => state.ready.extend(found),
                    // Nothing of the batch is sent; the subscriber is told, then it ends.
                    Err(ReadFailed) => state.failed = true,
                }
            }
        }
    })
    .boxed())
}

/// Publishes `event` from a resolver, after its write committed (on PostgreSQL only the kinds
/// no trigger sends go out; on SQLite the event is routed here, see [`route_of`]).
pub async fn emit(ctx: &async_graphql::Context<'_>, kind: Kind, id: Uuid) {
    let s = crate::graphql::context::services(ctx);
    publish_routed(&s.live, &s.db, kind, id).await;
}

/// Publishes an event of `kind` for each of `ids` (after their commit), e.g. the matches of a
/// matching run.
pub async fn emit_all(ctx: &async_graphql::Context<'_>, kind: Kind, ids: &[Uuid]) {
    let s = crate::graphql::context::services(ctx);
    for id in ids {
        publish_routed(&s.live, &s.db, kind, *id).await;
    }
}

async fn publish_routed(bus: &LiveBus, db: &DatabaseConnection, kind: Kind, id: Uuid) {
    if bus.postgres && kind.sent_by_trigger() {
        return;
    }
    let event = if bus.postgres {
        Event::new(kind, id)
    } else {
        match route_of(db, kind, id).await {
            Ok(Some(route)) => Event::routed(kind, id, route),
            Ok(None) => Event::new(kind, id),
            Err(e) => {
                tracing::warn!(error = ?e, "live event not routed");
                Event::new(kind, id)
            }
        }
    };
    bus.publish(db, event).await;
}

/// The routing ids of a record, read the way the PostgreSQL trigger computes them (SQLite's
/// path; `None` for kinds without routing).
pub async fn route_of(
    db: &DatabaseConnection,
    kind: Kind,
    id: Uuid,
) -> crate::error::ApiResult<Option<Route>> {
    use entity::{household, r#match, referral, support_case, visit};
    let (household_id, agencies) = match kind {
        Kind::Referral => match referral::Entity::find_by_id(id).one(db).await? {
            Some(r) => (
                r.household_id,
                std::iter::once(r.to_agency_id)
                    .chain(r.from_agency_id)
                    .collect(),
            ),
            None => return Ok(None),
        },
        Kind::Case => match support_case::Entity::find_by_id(id).one(db).await? {
            Some(c) => {
                let parties: Vec<(Uuid, Option<Uuid>)> = referral::Entity::find()
                    .select_only()
                    .column(referral::Column::ToAgencyId)
                    .column(referral::Column::FromAgencyId)
                    .filter(referral::Column::CaseId.eq(id))
                    .into_tuple()
                    .all(db)
                    .await?;
                let mut agencies: Vec<Uuid> = c.owner_agency_id.into_iter().collect();
                for (to, from) in parties {
                    agencies.extend(std::iter::once(to).chain(from));
                }
                agencies.sort();
                agencies.dedup();
                (c.household_id, agencies)
            }
            None => return Ok(None),
        },
        Kind::Visit => match visit::Entity::find_by_id(id).one(db).await? {
            Some(v) => (v.household_id, Vec::new()),
            None => return Ok(None),
        },
        Kind::Match => match r#match::Entity::find_by_id(id).one(db).await? {
            Some(m) => (m.household_id, vec![m.delivering_agency_id]),
            None => return Ok(None),
        },
        Kind::Import | Kind::Account => return Ok(None),
    };
    let area: Option<String> = household::Entity::find_by_id(household_id)
        .select_only()
        .column(household::Column::VillageCode)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Some(Route { area, agencies }))
}

/// Tells the open connections of an account on every SQLite server of this process that the
/// account changed (PostgreSQL: the triggers do, so this does nothing there). Call after the
/// commit.
pub fn account_changed_locally(db: &DatabaseConnection, account: Uuid) {
    // The sessions this process keeps, at once (the notification follows).
    crate::auth::session_cache::forget_account_everywhere(db, account);
    if db.get_database_backend() == DbBackend::Postgres {
        return;
    }
    let channels: Vec<Channels> = LOCAL
        .lock()
        .expect("live registry")
        .values()
        .cloned()
        .collect();
    for c in channels {
        c.send(Event::new(Kind::Account, account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_round_trips_through_its_payload() {
        let e = Event::new(Kind::Match, Uuid::now_v7());
        assert_eq!(Event::decode(&e.encode()), Some(e));
        let routed = Event::routed(
            Kind::Referral,
            Uuid::now_v7(),
            Route {
                area: Some("52010101".into()),
                agencies: vec![Uuid::now_v7(), Uuid::now_v7()],
            },
        );
        assert_eq!(Event::decode(&routed.encode()), Some(routed));
        // What the trigger sends for a visit (no agency) and for a household it did not find.
        let id = Uuid::now_v7();
        let visit = Event::decode(&format!("visit:{id}:52010101:")).expect("decoded");
        assert_eq!(visit.route.expect("route").agencies, Vec::<Uuid>::new());
        let lost = Event::decode(&format!("case:{id}::")).expect("decoded");
        assert_eq!(lost.route.expect("route").area, None);
        assert_eq!(Event::decode("nope:1"), None);
        assert_eq!(Event::decode(&format!("case:{id}::not-a-uuid")), None);
    }

    #[test]
    fn scopes_share_reads_only_when_they_are_the_same_scope() {
        let a = Scope::Areas(vec!["5201".into(), "50".into()]);
        let b = Scope::Areas(vec!["50".into(), "5201".into(), "50".into()]);
        assert_eq!(share_key(&a), share_key(&b));
        assert_ne!(share_key(&a), share_key(&Scope::Areas(vec!["50".into()])));
        assert_ne!(share_key(&Scope::All), share_key(&Scope::Aggregates(None)));
        assert_ne!(
            share_key(&Scope::Agency(Uuid::now_v7())),
            share_key(&Scope::Agency(Uuid::now_v7()))
        );
    }

    #[test]
    fn live_rereads_get_a_quarter_of_the_pool_unless_configured() {
        let mut s = LiveSettings::default();
        assert_eq!(s.reread_permits(10), 2);
        assert_eq!(s.reread_permits(40), 10);
        assert_eq!(s.reread_permits(2), 1);
        s.reread_connections = Some(3);
        assert_eq!(s.reread_permits(10), 3);
    }

    #[test]
    fn the_pre_filter_drops_only_what_the_scope_cannot_see() {
        let ours = Uuid::now_v7();
        let theirs = Uuid::now_v7();
        let route = Route {
            area: Some("52010101".into()),
            agencies: vec![ours],
        };
        let r = Some(&route);
        assert!(may_concern(&Scope::All, r));
        assert!(may_concern(&Scope::Areas(vec!["5201".into()]), r));
        assert!(!may_concern(&Scope::Areas(vec!["50".into()]), r));
        assert!(may_concern(&Scope::Agency(ours), r));
        assert!(!may_concern(&Scope::Agency(theirs), r));
        assert!(!may_concern(&Scope::Aggregates(None), r));
        assert!(!may_concern(&Scope::Nothing, r));
        // Unknown routes are candidates for everyone (the re-read decides).
        assert!(may_concern(&Scope::Agency(theirs), None));
        let unknown_area = Route {
            area: None,
            agencies: vec![],
        };
        assert!(may_concern(
            &Scope::Areas(vec!["50".into()]),
            Some(&unknown_area)
        ));
    }
}
