use sea_orm::entity::prelude::*;

use crate::enums::EnterpriseKind;

/// A local business or community enterprise in a value chain.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: EnterpriseKind,
    /// Where it is (any DOPA level).
    pub area_code: String,
    pub value_chain: Option<String>,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
