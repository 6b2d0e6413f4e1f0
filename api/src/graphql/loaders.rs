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

/// How many times a batch yields to the scheduler before it takes its keys.
///
/// Sibling resolvers (the items of one list) register their keys when they are polled. A
/// resolver task that polls many siblings can hand control back to the scheduler part-way
/// (cooperative yields), and a batch that starts then would take only the keys registered
/// so far and send a second statement for the rest. Yielding a few times first lets every
/// sibling that can register do so, without waiting on a clock; `delay` adds an optional wait
/// on top (measured in bench/README.md).
const BATCH_YIELDS: usize = 128;

fn spawn_batch(batch: futures::future::BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        for _ in 0..BATCH_YIELDS {
            tokio::task::yield_now().await;
        }
        batch.await;
    });
}

pub fn for_request(
    db: DatabaseConnection,
    viewer: Viewer,
    delay: std::time::Duration,
) -> std::sync::Arc<AppLoader> {
    let scope = Scope::for_viewer(&viewer);
    std::sync::Arc::new(DataLoader::new(DbLoader { db, viewer, scope }, spawn_batch).delay(delay))
}
