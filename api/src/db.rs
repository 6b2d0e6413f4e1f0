//! Connecting to SQLite (embedded default) or PostgreSQL (production), and preparing a database
//! for use: migrations, then the shipped reference data.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::Settings;

/// How long a pooled connection may sit idle before it is pinged ahead of its next use.
pub const POOL_PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    connect_url(settings.database_url(), settings).await
}

pub async fn connect_url(url: &str, settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut opt = ConnectOptions::new(url.to_string());
    opt.max_connections(settings.database_max_connections)
        .min_connections(1)
        .connect_timeout(settings.database_acquire_timeout)
        .acquire_timeout(settings.database_acquire_timeout)
        // A connection is pinged before use only after sitting idle (a busy pool would
        // otherwise pay a round trip per statement); a connection that broke meanwhile fails
        // its statement as SERVICE_UNAVAILABLE, which clients retry, and leaves the pool.
        .test_before_acquire_if_idle_for(POOL_PING_IF_IDLE_FOR)
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        opt.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let timeout_ms = settings.limits.statement_timeout.as_millis().to_string();
        opt.map_sqlx_postgres_opts(move |o| {
            // `client_min_messages=warning`: no NOTICE such as `relation "seaql_migrations"
            // already exists, skipping` logged on every start.
            o.options([
                ("statement_timeout", timeout_ms.as_str()),
                ("client_min_messages", "warning"),
            ])
            .application_name("ppaos-api")
        });
    } else {
        anyhow::bail!("APP_DATABASE_URL: expected a sqlite:// or postgres:// URL");
    }
    Database::connect(opt)
        .await
        .map_err(|e| anyhow::anyhow!("APP_DATABASE_URL: {}", connect_error(url, &e)))
}

/// A connection failure in words a new user can act on: PostgreSQL's "database does not
/// exist" (SQLSTATE 3D000) says how to create it.
fn connect_error(url: &str, e: &sea_orm::DbErr) -> String {
    let text = e.to_string();
    if text.contains("3D000") || (text.contains("database") && text.contains("does not exist")) {
        let name = url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| !n.is_empty() && !n.contains('@'))
            .unwrap_or("ppaos");
        return format!(
            "the PostgreSQL database \"{name}\" does not exist; the service creates its tables \
             but not the database itself: create it first (`createdb {name}`, or \
             `psql -c 'CREATE DATABASE {name}'`), then start again"
        );
    }
    format!("cannot connect: {text}")
}

/// Applies pending migrations, loads the reference areas and builds the dashboard rollups on
/// first start.
pub async fn prepare(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    crate::area::service::ensure_reference_data(db)
        .await
        .map_err(|e| anyhow::anyhow!("loading reference data: {}", e.message()))?;
    // A database from before the rollups (or one restored without them): build them once.
    if let Some(built) = crate::rollup::ensure_built(db)
        .await
        .map_err(|e| anyhow::anyhow!("building the dashboard rollups: {e}"))?
    {
        tracing::info!(
            households = built.households,
            rows = built.rollup_rows,
            "dashboard rollups built from the records"
        );
    }
    Ok(())
}

/// How long `/readyz` and the outage probe wait for the database to answer.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);
const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// What this replica knows of its database's reachability, so that during an outage requests
/// are answered at once with SERVICE_UNAVAILABLE instead of each waiting out the pool's
/// acquire timeout. Set when a statement fails for want of a connection; cleared by a probe
/// that pings every half second until the database answers. It is a local observation, not
/// state another replica needs: each replica finds out for itself.
#[derive(Debug, Default)]
pub struct DbHealth {
    down: AtomicBool,
    probing: AtomicBool,
}

impl DbHealth {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Records that the database could not be reached and starts the probe (once).
    pub fn mark_down(self: &Arc<Self>, db: &DatabaseConnection) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("database unreachable; answering 503 until it is back");
        }
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let health = self.clone();
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                if ping(&db).await {
                    health.down.store(false, Ordering::Release);
                    health.probing.store(false, Ordering::Release);
                    tracing::info!("database reachable again");
                    return;
                }
            }
        });
    }
}

/// Whether the database answers a ping within [`PING_TIMEOUT`].
pub async fn ping(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, db.ping()).await,
        Ok(Ok(()))
    )
}

/// `values` as IN lists of at most `max` values, each padded to a power of two with its last
/// value (which changes nothing: IN ignores repeats), so that the statements a batch sends
/// come in a few shapes that the database's statement cache keeps.
pub fn in_lists<T: Clone>(values: &[T], max: usize) -> Vec<Vec<T>> {
    values
        .chunks(max.max(1))
        .map(|chunk| {
            let mut list = chunk.to_vec();
            if let Some(last) = chunk.last() {
                list.resize(chunk.len().next_power_of_two(), last.clone());
            }
            list
        })
        .collect()
}
