use sea_orm::entity::prelude::*;

use crate::enums::{AssessmentStatus, IncomeLevel, JsonDocument, LadderLevel};

/// A household's capability assets at one date. Scores are hundredths (100 = 1.00).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub status: AssessmentStatus,
    pub assessed_on: Date,
    pub human: i32,
    pub physical: i32,
    pub financial: i32,
    pub natural: i32,
    pub social: i32,
    /// Mean of the five, hundredths, rounded half up.
    pub overall_score: i32,
    pub overall_level: LadderLevel,
    pub household_size: i32,
    pub income_per_person_satang: i64,
    pub income_level: IncomeLevel,
    /// The poverty-line year the income level was derived with.
    pub poverty_line_year: i32,
    pub has_land: Option<bool>,
    pub indicators: Option<JsonDocument>,
    pub notes: Option<String>,
    pub collector_id: Option<Uuid>,
    pub client_uuid: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
