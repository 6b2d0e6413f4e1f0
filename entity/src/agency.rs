use sea_orm::entity::prelude::*;

use crate::enums::AgencyType;

/// A partner agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub name_en: Option<String>,
    pub agency_type: AgencyType,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::agency_coverage::Entity")]
    Coverage,
    #[sea_orm(has_many = "super::account::Entity")]
    Account,
}

impl Related<super::agency_coverage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Coverage.def()
    }
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
