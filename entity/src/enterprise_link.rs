use sea_orm::entity::prelude::*;

use crate::enums::EnterpriseRole;

/// A household's part in an enterprise and the income it earns through it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub household_id: Uuid,
    pub role: EnterpriseRole,
    pub monthly_income_satang: i64,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
