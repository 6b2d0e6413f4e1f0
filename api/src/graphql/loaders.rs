//! The one DataLoader of a request. Each domain adds `impl Loader<TheirKey> for DbLoader` in its
//! own `loader.rs`. It is built per request with the viewer, so its cache never crosses users.
use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
};

use async_graphql::dataloader::DataLoader;
use futures::{StreamExt, future::BoxFuture, stream::FuturesUnordered, task::AtomicWaker};
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

/// The batches of one request's loader, run on the request's own task.
///
/// Sibling resolvers (the items of one list) register their keys when they are polled, and a
/// batch must not start before every sibling that can register has done so, or it sends a
/// second statement for the rest. Batches are therefore not spawned: they wait in this queue
/// and [`Batches::drive`] starts them only when the request's future is blocked — it returned
/// `Pending` without having woken itself (a resolver that yields part-way through a list,
/// as `FuturesUnordered` does, wakes itself and is polled again first). That keeps statement
/// counts deterministic without spinning the scheduler (the earlier design yielded 128 times
/// per batch: a fifth of the server's CPU on the household-detail load, bench/peer).
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<Queue>>);

#[derive(Default)]
struct Queue {
    waiting: Vec<BoxFuture<'static, ()>>,
    /// The task driving the request, woken when a batch is queued.
    driver: Option<Waker>,
}

impl Batches {
    fn push(&self, batch: BoxFuture<'static, ()>) {
        let driver = {
            let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
            queue.waiting.push(batch);
            queue.driver.take()
        };
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    /// Runs `request` (the schema's execution of one operation) to its end, with its batches.
    pub async fn drive<F: Future>(&self, request: F) -> F::Output {
        let mut request = std::pin::pin!(request);
        let mut running = FuturesUnordered::new();
        let woken = Arc::new(SelfWake::default());
        let waker = Waker::from(woken.clone());
        woken.flag.store(true, Ordering::SeqCst); // poll the request first
        std::future::poll_fn(move |cx| {
            woken.parent.register(cx.waker());
            loop {
                // The request is polled only when something woke it (a wake from a batch's
                // statement polls the batches, not the whole resolver tree).
                if woken.flag.swap(false, Ordering::SeqCst) {
                    let mut request_cx = Context::from_waker(&waker);
                    if let Poll::Ready(out) = request.as_mut().poll(&mut request_cx) {
                        return Poll::Ready(out);
                    }
                    if woken.flag.load(Ordering::SeqCst) {
                        continue; // it has more to do before it is blocked
                    }
                }
                {
                    let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
                    running.extend(queue.waiting.drain(..));
                    queue.driver = Some(cx.waker().clone());
                }
                match running.poll_next_unpin(cx) {
                    Poll::Ready(Some(())) => continue, // a batch ended: its callers can go on
                    Poll::Ready(None) | Poll::Pending => {
                        if woken.flag.load(Ordering::SeqCst) {
                            continue;
                        }
                        return Poll::Pending;
                    }
                }
            }
        })
        .await
    }
}

/// The waker the request is polled with: it records that the request was woken (by itself or
/// by a finished batch) and passes the wake on to the task.
#[derive(Default)]
struct SelfWake {
    flag: AtomicBool,
    parent: AtomicWaker,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::SeqCst);
        self.parent.wake();
    }
}

/// The request's loader and its batches (run them with [`Batches::drive`]). Every batch it
/// runs marks `dependencies` (the request read data that has no rollup version, so its answer
/// is not kept: see `response_cache`).
pub fn for_request(
    db: DatabaseConnection,
    viewer: Viewer,
    delay: std::time::Duration,
    dependencies: SharedDependencies,
) -> (Arc<AppLoader>, Batches) {
    let scope = Scope::for_viewer(&viewer);
    let batches = Batches::default();
    let queue = batches.clone();
    let spawner = move |batch| {
        dependencies.taint();
        queue.push(batch)
    };
    let loader = DataLoader::new(DbLoader { db, viewer, scope }, spawner).delay(delay);
    (Arc::new(loader), batches)
}

/// A loader for a long-lived connection (a subscription), where no request future is driven
/// with [`Batches::drive`]: its batches run as tasks of their own, started at once (each event
/// re-reads a few records, so there are no siblings to wait for).
pub fn for_connection(
    db: DatabaseConnection,
    viewer: Viewer,
    delay: std::time::Duration,
) -> Arc<AppLoader> {
    let scope = Scope::for_viewer(&viewer);
    let spawner = |batch| {
        tokio::spawn(batch);
    };
    Arc::new(DataLoader::new(DbLoader { db, viewer, scope }, spawner).delay(delay))
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
        $crate::child_page_loader!(
            $key,
            $count,
            $entity,
            $parent,
            $keycol,
            $visible,
            item: entity::$entity::Model,
            rows: |_| $crate::graphql::pagination::Alone
        );
    };
    // `rows` is `|scope| ChildRow` (e.g. a `JoinOne` that reads each child's person in the
    // same statement), `item` what each row of a page holds.
    (
        $key:ident,
        $count:ident,
        $entity:ident,
        $parent:ident,
        $keycol:ident,
        $visible:expr,
        item: $item:ty,
        rows: $rows:expr
    ) => {
        /// One page of children of a parent.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key {
            pub parent: uuid::Uuid,
            pub page: $crate::graphql::pagination::PageArgs,
        }

        impl async_graphql::dataloader::Loader<$key> for $crate::graphql::loaders::DbLoader {
            type Value = $crate::graphql::pagination::Page<$item>;
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
                    let mut pages = $crate::graphql::pagination::fetch_child_pages_with(
                        &self.db,
                        ($visible)(&self.scope),
                        entity::$entity::Column::$parent,
                        parents.iter().map(|p| sea_orm::Value::from(*p)).collect(),
                        $crate::graphql::pagination::Keyset::uuid(entity::$entity::Column::$keycol),
                        page,
                        ($rows)(&self.scope),
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
/// viewer may not see are simply absent (they read as not found). With
/// `by_id_loader!(Key, entity_module, among: visible_among)`, `visible_among` is
/// `|scope, ids: &[Uuid]| select` and returns the visible records among `ids` itself (for a
/// visibility condition that can use the ids, e.g. the consent gate).
#[macro_export]
macro_rules! by_id_loader {
    ($key:ident, $entity:ident, $visible:expr) => {
        $crate::by_id_loader!($key, $entity, among: |scope, ids: &[uuid::Uuid]| {
            use sea_orm::{ColumnTrait, QueryFilter};
            ($visible)(scope).filter(entity::$entity::Column::Id.is_in(ids.iter().copied()))
        });
    };
    ($key:ident, $entity:ident, among: $among:expr) => {
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
                let ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = ($among)(&self.scope, ids.as_slice())
                    .all(&self.db)
                    .await
                    .map_err($crate::error::ApiError::from)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}
