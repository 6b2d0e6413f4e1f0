//! Connecting to SQLite (embedded default) or PostgreSQL (production), and preparing a database
//! for use: migrations, then the shipped reference data.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::Settings;

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    connect_url(settings.database_url(), settings).await
}

pub async fn connect_url(url: &str, settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut opt = ConnectOptions::new(url.to_string());
    opt.max_connections(settings.database_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
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
            o.options([("statement_timeout", timeout_ms.as_str())])
                .application_name("ppaos-api")
        });
    } else {
        anyhow::bail!("APP_DATABASE_URL: expected a sqlite:// or postgres:// URL");
    }
    Database::connect(opt)
        .await
        .map_err(|e| anyhow::anyhow!("APP_DATABASE_URL: cannot connect: {e}"))
}

/// Applies pending migrations and loads the reference areas on first start.
pub async fn prepare(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    crate::area::service::ensure_reference_data(db)
        .await
        .map_err(|e| anyhow::anyhow!("loading reference data: {}", e.message()))?;
    Ok(())
}
