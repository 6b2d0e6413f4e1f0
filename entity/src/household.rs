use sea_orm::entity::prelude::*;

use crate::enums::{HouseholdSource, HouseholdStatus};

/// A household in the registry.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "household")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub village_code: String,
    pub house_number: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub source: HouseholdSource,
    pub status: HouseholdStatus,
    /// Size as reported by the source list (may differ from the registered members).
    pub household_size: Option<i32>,
    /// Set when this household was merged into another as a duplicate.
    pub merged_into_id: Option<Uuid>,
    pub verified_on: Option<Date>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub client_created_at: Option<DateTimeUtc>,
    pub client_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
