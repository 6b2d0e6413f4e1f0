//! The one DataLoader of a request. Each domain adds `impl Loader<TheirKey> for DbLoader` in its
//! own `loader.rs`. It is built per request with the viewer, so its cache never crosses users.
use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Scope, Viewer},
    graphql::response_cache::SharedDependencies,
};

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

/// The request's loader. Every batch it runs marks `dependencies` (the request read data
/// that has no rollup version, so its answer is not kept: see `response_cache`).
pub fn for_request(
    db: DatabaseConnection,
    viewer: Viewer,
    delay: std::time::Duration,
    dependencies: SharedDependencies,
) -> std::sync::Arc<AppLoader> {
    let scope = Scope::for_viewer(&viewer);
    let spawner = move |batch| {
        dependencies.taint();
        spawn_batch(batch)
    };
    std::sync::Arc::new(DataLoader::new(DbLoader { db, viewer, scope }, spawner).delay(delay))
}

/// Defines a loader for one page of children per parent (one windowed statement for all
/// parents in a batch) and a loader for their counts (one `GROUP BY`).
///
/// `child_page_loader!(PageKey, CountKey, entity_module, ParentColumn, KeyColumn, visible)`
/// where `visible` is `|scope| select`: the children the viewer's scope may see, the same
/// condition the root field of that type uses (so a child list never shows more than the
/// root list would).
#[macro_export]
macro_rules! child_page_loader {
    ($key:ident, $count:ident, $entity:ident, $parent:ident, $keycol:ident, $visible:expr) => {
        /// One page of children of a parent.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key {
            pub parent: uuid::Uuid,
            pub page: $crate::graphql::pagination::PageArgs,
        }

        impl async_graphql::dataloader::Loader<$key> for $crate::graphql::loaders::DbLoader {
            type Value = $crate::graphql::pagination::Page<entity::$entity::Model>;
            type Error = async_graphql::Error;

            async fn load(
                &self,
                keys: &[$key],
            ) -> Result<std::collections::HashMap<$key, Self::Value>, Self::Error> {
                $crate::metrics::observe_batch(stringify!($key), keys.len());
                let mut by_page: std::collections::HashMap<
                    &$crate::graphql::pagination::PageArgs,
                    Vec<uuid::Uuid>,
                > = std::collections::HashMap::new();
                for key in keys {
                    by_page.entry(&key.page).or_default().push(key.parent);
                }
                let mut out = std::collections::HashMap::new();
                for (page, parents) in by_page {
                    let mut pages = $crate::graphql::pagination::fetch_child_pages(
                        &self.db,
                        ($visible)(&self.scope),
                        entity::$entity::Column::$parent,
                        parents.iter().map(|p| sea_orm::Value::from(*p)).collect(),
                        $crate::graphql::pagination::Keyset::uuid(entity::$entity::Column::$keycol),
                        page,
                    )
                    .await?;
                    for parent in parents {
                        let rows = pages.remove(&parent.to_string()).unwrap_or_default();
                        out.insert(
                            $key {
                                parent,
                                page: page.clone(),
                            },
                            rows,
                        );
                    }
                }
                Ok(out)
            }
        }

        /// How many children a parent has.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $count(pub uuid::Uuid);

        impl async_graphql::dataloader::Loader<$count> for $crate::graphql::loaders::DbLoader {
            type Value = u64;
            type Error = async_graphql::Error;

            async fn load(
                &self,
                keys: &[$count],
            ) -> Result<std::collections::HashMap<$count, u64>, Self::Error> {
                $crate::metrics::observe_batch(stringify!($count), keys.len());
                let counts = $crate::graphql::pagination::count_children(
                    &self.db,
                    ($visible)(&self.scope),
                    entity::$entity::Column::$parent,
                    keys.iter().map(|k| sea_orm::Value::from(k.0)).collect(),
                )
                .await?;
                Ok(keys
                    .iter()
                    .map(|k| (*k, counts.get(&k.0.to_string()).copied().unwrap_or(0)))
                    .collect())
            }
        }
    };
}

/// Defines a loader of single records by id that applies the viewer's visibility:
/// `by_id_loader!(Key, entity_module, visible)` where `visible` is `|scope| select`. Ids the
/// viewer may not see are simply absent (they read as not found).
#[macro_export]
macro_rules! by_id_loader {
    ($key:ident, $entity:ident, $visible:expr) => {
        /// One record by id, if the viewer may see it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub uuid::Uuid);

        impl async_graphql::dataloader::Loader<$key> for $crate::graphql::loaders::DbLoader {
            type Value = entity::$entity::Model;
            type Error = async_graphql::Error;

            async fn load(
                &self,
                keys: &[$key],
            ) -> Result<std::collections::HashMap<$key, Self::Value>, Self::Error> {
                $crate::metrics::observe_batch(stringify!($key), keys.len());
                use sea_orm::{ColumnTrait, QueryFilter};
                let rows = ($visible)(&self.scope)
                    .filter(entity::$entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err($crate::error::ApiError::from)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}
