use sea_orm::entity::prelude::*;

/// One row (id 1): the position below which pruning removed the rows of deleted records, and
/// a generation counted up by each batch that removed some. A sync cursor of an older
/// generation behind that position must sync again from null (`docs/sync.md`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log_horizon")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub xid: i64,
    pub seq: i64,
    pub generation: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
