use sea_orm::entity::prelude::*;

/// One row of the delta sync log, written by database triggers (`docs/sync.md`). On
/// PostgreSQL the table also has `xid` (xid8, the writing transaction), read only by
/// `api::sync::service` in raw SQL since it has no portable type.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The GraphQL type name of the changed record.
    pub entity: String,
    pub record_id: Uuid,
    /// I (insert), U (update), D (delete).
    pub op: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
