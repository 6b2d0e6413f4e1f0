use sea_orm::entity::prelude::*;

/// A persisted query: a GraphQL text under the lowercase hex SHA-256 of its text
/// (`docs/operations.md`). Written by `api::ops::persisted`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_query")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256_hash: String,
    pub query: String,
    pub created_at: DateTimeUtc,
    /// When a replica last served it (at most a day off); pruning drops texts unused for
    /// `APP_RETAIN_PERSISTED_QUERIES_DAYS`.
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
