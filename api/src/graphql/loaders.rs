//! The one DataLoader of a request. Each domain adds `impl Loader<TheirKey> for DbLoader` in its
//! own `loader.rs`. It is built per request with the viewer, so its cache never crosses users.
use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use crate::auth::{Scope, Viewer};

pub struct DbLoader {
    pub db: DatabaseConnection,
    pub viewer: Viewer,
    pub scope: Scope,
}

pub type AppLoader = DataLoader<DbLoader>;

pub fn for_request(
    db: DatabaseConnection,
    viewer: Viewer,
    delay: std::time::Duration,
) -> std::sync::Arc<AppLoader> {
    let scope = Scope::for_viewer(&viewer);
    std::sync::Arc::new(DataLoader::new(DbLoader { db, viewer, scope }, tokio::spawn).delay(delay))
}
