//! What every request shares: the database, token keys and settings. Built once at startup
//! and handed to the schema as data; never a global.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{auth::tokens::TokenKeys, config::Settings};

pub struct Services {
    pub db: DatabaseConnection,
    pub keys: TokenKeys,
    pub settings: Settings,
}

pub type SharedServices = Arc<Services>;
