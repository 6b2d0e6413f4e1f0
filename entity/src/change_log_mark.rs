use sea_orm::entity::prelude::*;

/// The change-log position at a point in time, taken by each pruning pass
/// (`api::maintenance`): rows below a mark older than the retention are old enough to prune.
/// `xid` is the PostgreSQL snapshot's xmin (rows of lower transaction ids are older) and `seq`
/// 0; on SQLite `xid` is 0 and `seq` the next log seq.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log_mark")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub taken_at: DateTimeUtc,
    pub xid: i64,
    pub seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
