use sea_orm::entity::prelude::*;

use crate::enums::{Capital, InterventionKind};

/// Help delivered to a household, and what led to it (a case, a referral or a match).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intervention")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub case_id: Option<Uuid>,
    pub referral_id: Option<Uuid>,
    pub match_id: Option<Uuid>,
    pub kind: InterventionKind,
    /// The capital (ทุน) it is meant to build.
    pub target_capital: Option<Capital>,
    /// How much, in `unit`.
    pub quantity: f64,
    pub unit: String,
    pub cost_satang: Option<i64>,
    pub delivered_on: Date,
    pub delivering_agency_id: Uuid,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub client_created_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
