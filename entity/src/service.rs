use sea_orm::entity::prelude::*;

use crate::enums::{ServiceCategory, StringList};

/// A service a partner agency offers (relief, housing, health, …).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub category: ServiceCategory,
    /// `Capital` values it targets.
    pub target_capitals: StringList,
    /// DOPA code prefixes it covers; empty means everywhere.
    pub coverage: StringList,
    pub capacity: Option<i32>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
