//! What every request shares: the database, token keys and settings. Built once at startup
//! and handed to the schema as data; never a global.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::tokens::TokenKeys,
    config::Settings,
    db::DbHealth,
    graphql::{introspection_cache::IntrospectionCache, parsed_cache::ParsedDocuments},
    matching::fitness::CatalogueCache,
    pii::PiiCipher,
};

pub struct Services {
    pub db: DatabaseConnection,
    pub keys: TokenKeys,
    pub pii: PiiCipher,
    pub settings: Settings,
    /// Active technologies for recommendations (checked against the database on each use).
    pub catalogue: CatalogueCache,
    /// Whether the database is reachable, as this replica last saw it.
    pub db_health: Arc<DbHealth>,
    /// Answers to introspection-only queries (they depend on the schema alone).
    pub introspection: IntrospectionCache,
    /// Documents parsed before, by text (`graphql::parsed_cache`).
    pub parsed: ParsedDocuments,
    /// Assembled dashboards, checked against the rollups' province versions on every read.
    pub dashboards: crate::dashboard::service::DashboardCache,
    /// Whole answers to dashboard queries, checked against the same versions.
    pub responses: crate::graphql::response_cache::ResponseCache,
    /// Technologies' measured effects per province, checked against its rollup version.
    pub evidence: crate::mobility::evidence::EvidenceCache,
    /// Live events for subscriptions, and the count of open live connections.
    pub live: Arc<crate::live::LiveBus>,
    /// Persisted-query texts seen by this replica (the database holds them all).
    pub persisted: crate::ops::persisted::PersistedQueries,
    /// Turns to run a GraphQL execution (`Limits::max_executions`).
    pub executions: tokio::sync::Semaphore,
}

impl Services {
    pub fn new(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let keys = TokenKeys::from_settings(&settings.jwt)?;
        let pii = PiiCipher::new(
            &settings.pii.key_id,
            &settings.pii.keys,
            &settings.pii.hash_key,
        )?;
        let live = Arc::new(crate::live::LiveBus::new(
            settings.live.clone(),
            settings.database_url(),
            db.clone(),
            settings.database_max_connections,
        ));
        let executions = tokio::sync::Semaphore::new(settings.limits.max_executions);
        Ok(Self {
            live,
            db,
            keys,
            pii,
            settings,
            catalogue: CatalogueCache::default(),
            db_health: Arc::default(),
            introspection: IntrospectionCache::default(),
            parsed: ParsedDocuments::default(),
            dashboards: Default::default(),
            responses: Default::default(),
            evidence: Default::default(),
            persisted: Default::default(),
            executions,
        })
    }
}

pub type SharedServices = Arc<Services>;
