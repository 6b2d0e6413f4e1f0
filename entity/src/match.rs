use sea_orm::entity::prelude::*;

use crate::enums::{MatchStatus, Reasons};

/// A household matched to a technology.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "match")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub technology_id: Uuid,
    pub run_id: Option<Uuid>,
    pub status: MatchStatus,
    /// Score in thousandths (0–1000).
    pub score_millis: i32,
    pub reasons: Reasons,
    pub delivering_agency_id: Uuid,
    /// Income per person per month when the household accepted.
    pub baseline_income_satang: Option<i64>,
    pub follow_up_income_satang: Option<i64>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
