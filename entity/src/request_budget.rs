use sea_orm::entity::prelude::*;

/// Requests one caller used in the current fixed window (`docs/operations.md`). Written by one
/// upsert per request in `api::ops::budget`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_budget")]
pub struct Model {
    /// `a:<account id>` or `ip:<truncated SHA-256 of the address>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_key: String,
    /// Unix seconds at which the window began.
    pub window_start: i64,
    pub used: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
