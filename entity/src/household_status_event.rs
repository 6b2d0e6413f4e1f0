use sea_orm::entity::prelude::*;

use crate::enums::HouseholdStatus;

/// One lifecycle transition of a household.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "household_status_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub from_status: Option<HouseholdStatus>,
    pub to_status: HouseholdStatus,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub verified_on: Option<Date>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub client_occurred_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
