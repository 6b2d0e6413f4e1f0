//! Relay cursor connections over keyset pagination.
//!
//! A cursor is the sort key of the row it points at (opaque base64 for clients), so pages stay
//! stable when rows are inserted. `first`/`last` are bounded to 1..=100; without either, a page
//! holds 20 rows. Nested lists (children of many parents) are fetched for all parents in one
//! statement with `ROW_NUMBER() OVER (PARTITION BY parent ...)`, through a DataLoader.
use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, SimpleObject, dataloader::Loader};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, IdenStatic,
    ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Value,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, WindowStatement},
};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    graphql::loaders::{AppLoader, DbLoader},
};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// Validated `first/after/last/before`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub limit: u64,
    /// The decoded sort key of `after` (forward) or `before` (backward).
    pub cursor: Option<String>,
    pub backward: bool,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Self> {
        let check = |n: i32, field: &str| {
            if (1..=MAX_PAGE_SIZE).contains(&n) {
                Ok(n as u64)
            } else {
                Err(ApiError::bad_input(
                    field,
                    format!("{field} must be between 1 and {MAX_PAGE_SIZE}"),
                ))
            }
        };
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "pass either first or last, not both",
            ));
        }
        if after.is_some() && before.is_some() {
            return Err(ApiError::bad_input(
                "before",
                "pass either after or before, not both",
            ));
        }
        if last.is_some() || (first.is_none() && before.is_some()) {
            if after.is_some() {
                return Err(ApiError::bad_input("after", "use before with last"));
            }
            let limit = last.map_or(Ok(DEFAULT_PAGE_SIZE), |n| check(n, "last"))?;
            let cursor = before.map(|c| decode_cursor(&c, "before")).transpose()?;
            return Ok(Self {
                limit,
                cursor,
                backward: true,
            });
        }
        if before.is_some() {
            return Err(ApiError::bad_input("before", "use after with first"));
        }
        let limit = first.map_or(Ok(DEFAULT_PAGE_SIZE), |n| check(n, "first"))?;
        let cursor = after.map(|c| decode_cursor(&c, "after")).transpose()?;
        Ok(Self {
            limit,
            cursor,
            backward: false,
        })
    }

    /// GraphQL complexity of a list field: its page size times its children's cost.
    pub fn complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
        let n = first
            .or(last)
            .map_or(DEFAULT_PAGE_SIZE as usize, |n| n.clamp(1, 100) as usize);
        n.saturating_mul(child.max(1)).saturating_add(1)
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

fn decode_cursor(cursor: &str, field: &str) -> ApiResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|s| s.strip_prefix("k:").map(str::to_string))
        .ok_or_else(|| ApiError::bad_input(field, format!("{field} is not a valid cursor")))
}

/// How a list is ordered: one unique key column, ascending or descending.
#[derive(Debug, Clone)]
pub struct Keyset<C> {
    pub column: C,
    pub kind: KeyKind,
    pub order: Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Uuid,
    Text,
}

impl KeyKind {
    fn value(self, key: &str, field: &str) -> ApiResult<Value> {
        match self {
            KeyKind::Uuid => Uuid::parse_str(key)
                .map(Value::from)
                .map_err(|_| ApiError::bad_input(field, format!("{field} is not a valid cursor"))),
            KeyKind::Text => Ok(Value::from(key.to_string())),
        }
    }
}

/// Text form of a key value (a cursor, or a parent's key in a batch).
pub fn key_string(value: &Value) -> String {
    match value {
        Value::Uuid(Some(u)) => u.to_string(),
        Value::String(Some(s)) => s.clone(),
        other => other.to_string(),
    }
}

impl<C: ColumnTrait> Keyset<C> {
    pub fn uuid(column: C) -> Self {
        Self {
            column,
            kind: KeyKind::Uuid,
            order: Order::Asc,
        }
    }

    pub fn text(column: C) -> Self {
        Self {
            column,
            kind: KeyKind::Text,
            order: Order::Asc,
        }
    }

    pub fn descending(mut self) -> Self {
        self.order = Order::Desc;
        self
    }

    /// (cursor filter, order) for a page: forward in the list's order, backward reversed.
    fn plan(&self, args: &PageArgs) -> ApiResult<(Option<sea_orm::Condition>, Order)> {
        let ascending = matches!(self.order, Order::Asc) != args.backward;
        let field = if args.backward { "before" } else { "after" };
        let filter = match &args.cursor {
            None => None,
            Some(key) => {
                let v = self.kind.value(key, field)?;
                let expr = if ascending {
                    self.column.gt(v)
                } else {
                    self.column.lt(v)
                };
                Some(sea_orm::Condition::all().add(expr))
            }
        };
        Ok((filter, if ascending { Order::Asc } else { Order::Desc }))
    }
}

/// One page of rows, in list order.
#[derive(Debug, Clone)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<M> Page<M> {
    fn from_rows(mut rows: Vec<M>, args: &PageArgs) -> Self {
        let more = rows.len() as u64 > args.limit;
        rows.truncate(args.limit as usize);
        if args.backward {
            rows.reverse();
            Page {
                items: rows,
                has_next: args.cursor.is_some(),
                has_previous: more,
            }
        } else {
            Page {
                items: rows,
                has_next: more,
                has_previous: args.cursor.is_some(),
            }
        }
    }

    pub fn map<N>(self, f: impl FnMut(M) -> N) -> Page<N> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

impl<M> Default for Page<M> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
        }
    }
}

/// One page of a top-level list: `select` already carries the scope and the filters.
pub async fn fetch_page<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    keyset: Keyset<E::Column>,
    args: &PageArgs,
) -> ApiResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sized + Send + Sync,
{
    let (filter, order) = keyset.plan(args)?;
    let mut select = select;
    if let Some(filter) = filter {
        select = select.filter(filter);
    }
    let rows = select
        .order_by(keyset.column, order)
        .limit(args.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, args))
}

/// One page per parent, in one statement: rows of `select` whose `parent` column is one of
/// `parents`, numbered per parent in page order, cut at `limit + 1`.
pub async fn fetch_child_pages<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent: E::Column,
    parents: Vec<Value>,
    keyset: Keyset<E::Column>,
    args: &PageArgs,
) -> ApiResult<HashMap<String, Page<E::Model>>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + ModelTrait<Entity = E> + Sized + Send + Sync,
{
    fetch_child_pages_with(db, select, parent, parents, keyset, args, Alone).await
}

/// What a row of a child page holds: the child alone ([`Alone`]) or with a record it points
/// at ([`JoinOne`]).
pub trait ChildRow<E: EntityTrait> {
    type Item;
    /// Adds what the row needs to `SELECT numbered.* FROM (…) numbered`.
    fn shape(self, outer: &mut sea_orm::sea_query::SelectStatement) -> Self;
    fn read(&self, row: &sea_orm::QueryResult) -> Result<Self::Item, sea_orm::DbErr>;
    fn child(item: &Self::Item) -> &E::Model;
}

/// A record read with its parent's statement ([`JoinOne`]), or not read yet (then its loader
/// reads it when a resolver asks).
#[derive(Debug, Clone)]
pub enum Prefetched<T> {
    NotRead,
    /// `None`: the viewer may not see it.
    Read(Option<T>),
}

/// The child alone.
pub struct Alone;

impl<E> ChildRow<E> for Alone
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    type Item = E::Model;
    fn shape(self, _: &mut sea_orm::sea_query::SelectStatement) -> Self {
        self
    }
    fn read(&self, row: &sea_orm::QueryResult) -> Result<E::Model, sea_orm::DbErr> {
        E::Model::from_query_result(row, "")
    }
    fn child(item: &E::Model) -> &E::Model {
        item
    }
}

/// A record each child points at (a membership's person, a match's technology), read in the
/// children's own statement: `LEFT JOIN (select) joined ON joined.key = numbered.via`.
/// `select` is the pointed-at entity's visibility (the one its by-id loader applies), so a
/// record the viewer may not see comes back as `None`, exactly as the loader would answer.
pub struct JoinOne<C, F: EntityTrait> {
    pub via: C,
    pub select: Option<Select<F>>,
    pub key: F::Column,
}

impl<C, F: EntityTrait> JoinOne<C, F> {
    pub fn new(via: C, select: Select<F>, key: F::Column) -> Self {
        Self {
            via,
            select: Some(select),
            key,
        }
    }
}

/// Column prefix of the joined record in the result rows.
const JOINED: &str = "joined_";

impl<E, F> ChildRow<E> for JoinOne<E::Column, F>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
    F: EntityTrait,
    F::Model: FromQueryResult,
{
    type Item = (E::Model, Option<F::Model>);

    fn shape(mut self, outer: &mut sea_orm::sea_query::SelectStatement) -> Self {
        use sea_orm::{Iterable, sea_query::JoinType};
        let (numbered, joined) = (Alias::new("numbered"), Alias::new("joined"));
        for column in F::Column::iter() {
            outer.expr_as(
                Expr::col((joined.clone(), column)),
                Alias::new(format!("{JOINED}{}", column.as_str())),
            );
        }
        if let Some(select) = self.select.take() {
            outer.join_subquery(
                JoinType::LeftJoin,
                select.into_query(),
                joined.clone(),
                Expr::col((joined, self.key)).equals((numbered, self.via)),
            );
        }
        self
    }

    fn read(&self, row: &sea_orm::QueryResult) -> Result<Self::Item, sea_orm::DbErr> {
        let child = E::Model::from_query_result(row, "")?;
        // The key is null when the LEFT JOIN found nothing visible; any other failure to read
        // the joined columns is an error, not a missing record.
        let key: Option<Uuid> = row.try_get(JOINED, self.key.as_str())?;
        let target = match key {
            Some(_) => Some(F::Model::from_query_result(row, JOINED)?),
            None => None,
        };
        Ok((child, target))
    }

    fn child(item: &Self::Item) -> &E::Model {
        &item.0
    }
}

/// [`fetch_child_pages`] with each row shaped by `rows` (e.g. a [`JoinOne`] record read in
/// the same statement).
pub async fn fetch_child_pages_with<E, R>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent: E::Column,
    parents: Vec<Value>,
    keyset: Keyset<E::Column>,
    args: &PageArgs,
    rows: R,
) -> ApiResult<HashMap<String, Page<R::Item>>>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
    R: ChildRow<E>,
{
    let Some(mut outer) = numbered_pages(select, parent, parents, &keyset, args)? else {
        return Ok(HashMap::new());
    };
    let rows = rows.shape(&mut outer);
    let found = db
        .query_all_raw(db.get_database_backend().build(&outer))
        .await?;
    let items = found
        .iter()
        .map(|row| rows.read(row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(group_pages(items, |i| R::child(i).get(parent), args))
}

/// `SELECT numbered.* FROM (select + ROW_NUMBER() per parent) numbered WHERE page_row <= n`,
/// or `None` without parents.
fn numbered_pages<E: EntityTrait>(
    select: Select<E>,
    parent: E::Column,
    parents: Vec<Value>,
    keyset: &Keyset<E::Column>,
    args: &PageArgs,
) -> ApiResult<Option<sea_orm::sea_query::SelectStatement>> {
    if parents.is_empty() {
        return Ok(None);
    }
    let (filter, order) = keyset.plan(args)?;
    let mut select = select.filter(parent.is_in(parents));
    if let Some(filter) = filter {
        select = select.filter(filter);
    }
    let mut inner = select.into_query();
    inner.expr_window_as(
        Func::cust(Alias::new("ROW_NUMBER")),
        WindowStatement::partition_by(parent)
            .order_by(keyset.column, order.clone())
            .to_owned(),
        Alias::new("page_row"),
    );
    let numbered = Alias::new("numbered");
    Ok(Some(
        Query::select()
            .column((numbered.clone(), Asterisk))
            .from_subquery(inner, numbered.clone())
            .and_where(
                Expr::col((numbered.clone(), Alias::new("page_row"))).lte(args.limit as i64 + 1),
            )
            .order_by((numbered, Alias::new("page_row")), Order::Asc)
            .to_owned(),
    ))
}

/// Rows (in page-row order) as one page per parent.
fn group_pages<M>(
    rows: Vec<M>,
    parent_of: impl Fn(&M) -> Value,
    args: &PageArgs,
) -> HashMap<String, Page<M>> {
    let mut grouped: HashMap<String, Vec<M>> = HashMap::new();
    for row in rows {
        grouped
            .entry(key_string(&parent_of(&row)))
            .or_default()
            .push(row);
    }
    grouped
        .into_iter()
        .map(|(k, rows)| (k, Page::from_rows(rows, args)))
        .collect()
}

/// Row counts per parent in one `GROUP BY` statement.
pub async fn count_children<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent: E::Column,
    parents: Vec<Value>,
) -> ApiResult<HashMap<String, u64>>
where
    E: EntityTrait,
{
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = select
        .select_only()
        .column_as(parent, "parent_key")
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "row_count")
        .filter(parent.is_in(parents))
        .group_by(parent)
        .build(db.get_database_backend());
    let rows = db.query_all_raw(stmt).await?;
    let mut counts = HashMap::new();
    for row in rows {
        let count: i64 = row.try_get("", "row_count")?;
        let key: Value = match row.try_get::<Uuid>("", "parent_key") {
            Ok(u) => Value::from(u),
            Err(_) => Value::from(row.try_get::<String>("", "parent_key")?),
        };
        counts.insert(key_string(&key), count as u64);
    }
    Ok(counts)
}

/// Relay `PageInfo`.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of this page.
    pub end_cursor: Option<String>,
}

type CountFn = dyn Fn(&Context<'_>) -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync;

/// `totalCount` of a connection, computed only when a client asks for it.
#[derive(Clone)]
pub struct TotalCount(Arc<CountFn>);

impl TotalCount {
    pub fn new(
        f: impl Fn(&Context<'_>) -> BoxFuture<'static, async_graphql::Result<u64>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self(Arc::new(f))
    }

    /// Counts through the request's DataLoader, so the counts of sibling lists are one query.
    pub fn of_loader<K>(key: K) -> Self
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        DbLoader: Loader<K, Value = u64, Error = async_graphql::Error>,
    {
        Self::new(move |ctx| {
            let loader = ctx.data_unchecked::<Arc<AppLoader>>().clone();
            let key = key.clone();
            Box::pin(async move { Ok(loader.load_one(key).await?.unwrap_or(0)) })
        })
    }

    /// Counts the rows of a (scoped, filtered) select.
    pub fn of_select<E>(db: &DatabaseConnection, select: Select<E>) -> Self
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        let db = db.clone();
        Self::new(move |_| {
            let db = db.clone();
            let select = select.clone();
            Box::pin(async move {
                Ok(select
                    .count(&db)
                    .await
                    .map_err(crate::error::ApiError::from)?)
            })
        })
    }

    pub async fn get(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        (self.0)(ctx).await
    }
}

/// Defines a `XxxConnection` and `XxxEdge` for a node type.
#[macro_export]
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, " (Relay connection).")]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub page_info: $crate::graphql::pagination::PageInfo,
            pub total: $crate::graphql::pagination::TotalCount,
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque cursor of this item, for `after`/`before`.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        #[doc = concat!("A page of ", $what, " (Relay connection).")]
        #[async_graphql::Object]
        impl $conn {
            /// The items of this page, each with its cursor.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            /// The items of this page.
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }

            /// Where this page lies in the whole list.
            async fn page_info(&self) -> &$crate::graphql::pagination::PageInfo {
                &self.page_info
            }

            /// How many items the whole list (all pages, same filters) holds.
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<i64> {
                Ok(self.total.get(ctx).await? as i64)
            }
        }

        impl $conn {
            /// A top-level list: one page of `select` (which already carries the scope and
            /// the filters) in `keyset` order, `totalCount` from the same select (counted only
            /// when asked); `wrap` makes each row a node, `cursor` gives its sort key.
            pub async fn of_select<E>(
                db: &sea_orm::DatabaseConnection,
                select: sea_orm::Select<E>,
                keyset: $crate::graphql::pagination::Keyset<E::Column>,
                args: &$crate::graphql::pagination::PageArgs,
                wrap: impl FnMut(E::Model) -> $node,
                cursor: impl Fn(&$node) -> String,
            ) -> $crate::error::ApiResult<Self>
            where
                E: sea_orm::EntityTrait,
                E::Model: sea_orm::FromQueryResult + Sized + Send + Sync,
            {
                let page =
                    $crate::graphql::pagination::fetch_page(db, select.clone(), keyset, args)
                        .await?;
                Ok(Self::from_page(
                    page.map(wrap),
                    cursor,
                    $crate::graphql::pagination::TotalCount::of_select(db, select),
                ))
            }

            /// The connection of one parent's children: the page through the request's
            /// DataLoader (`key`, one statement for all parents of a batch), `totalCount`
            /// through `count` (one `GROUP BY`, only when asked).
            pub async fn of_children<K, C, M>(
                ctx: &async_graphql::Context<'_>,
                key: K,
                count: C,
                wrap: impl FnMut(M) -> $node,
                cursor: impl Fn(&$node) -> String,
            ) -> async_graphql::Result<Self>
            where
                K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
                C: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
                M: Send + Sync + Clone + 'static,
                $crate::graphql::loaders::DbLoader: async_graphql::dataloader::Loader<
                        K,
                        Value = $crate::graphql::pagination::Page<M>,
                        Error = async_graphql::Error,
                    > + async_graphql::dataloader::Loader<
                        C,
                        Value = u64,
                        Error = async_graphql::Error,
                    >,
            {
                let rows = $crate::graphql::context::loader(ctx).load_one(key).await?;
                Ok(Self::from_page(
                    rows.unwrap_or_default().map(wrap),
                    cursor,
                    $crate::graphql::pagination::TotalCount::of_loader(count),
                ))
            }

            /// Builds the connection from a page; `cursor` gives each node's sort key.
            pub fn from_page(
                page: $crate::graphql::pagination::Page<$node>,
                cursor: impl Fn(&$node) -> String,
                total: $crate::graphql::pagination::TotalCount,
            ) -> Self {
                let edges: Vec<$edge> = page
                    .items
                    .into_iter()
                    .map(|node| $edge {
                        cursor: $crate::graphql::pagination::encode_cursor(&cursor(&node)),
                        node,
                    })
                    .collect();
                Self {
                    page_info: $crate::graphql::pagination::PageInfo {
                        has_next_page: page.has_next,
                        has_previous_page: page.has_previous,
                        start_cursor: edges.first().map(|e| e.cursor.clone()),
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    edges,
                    total,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_1_to_100_are_refused_naming_the_argument() {
        for (first, last, field) in [
            (Some(0), None, "first"),
            (Some(101), None, "first"),
            (None, Some(-1), "last"),
        ] {
            match PageArgs::new(first, None, last, None) {
                Err(ApiError::BadUserInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected BAD_USER_INPUT, got {other:?}"),
            }
        }
        assert_eq!(PageArgs::new(None, None, None, None).unwrap().limit, 20);
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = encode_cursor("0193a1b2-0000-7000-8000-000000000000");
        let args = PageArgs::new(Some(5), Some(c), None, None).unwrap();
        assert_eq!(
            args.cursor.as_deref(),
            Some("0193a1b2-0000-7000-8000-000000000000")
        );
        assert!(PageArgs::new(Some(5), Some("%%%".into()), None, None).is_err());
    }
}
