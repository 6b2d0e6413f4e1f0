use sea_orm::entity::prelude::*;

use crate::enums::{CapitalMinimums, StringList, TechnologySector};

/// An appropriate technology offered by a partner agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technology")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sector: TechnologySector,
    /// `Capital` values it raises.
    pub capitals_raised: StringList,
    pub min_capital_scores: CapitalMinimums,
    pub requires_land: bool,
    pub min_working_age_members: i32,
    /// DOPA code prefixes where it works; empty means everywhere.
    pub suitable_areas: StringList,
    pub unit_cost_baht: i32,
    pub monthly_income_gain_baht: i32,
    pub training_days: i32,
    pub seats_per_round: i32,
    /// Technology readiness level, 1–9.
    pub readiness_level: i32,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
