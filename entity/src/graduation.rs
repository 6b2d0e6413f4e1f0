use sea_orm::entity::prelude::*;

use crate::enums::JsonDocument;

/// A household's graduation, with the criteria snapshot it was judged on and what the
/// monitoring window after it saw.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "graduation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub graduated_on: Date,
    pub graduated_by: Option<Uuid>,
    /// Every criterion, its threshold and the values it held on.
    pub criteria: JsonDocument,
    /// The last day of the monitoring window.
    pub monitor_until: Date,
    /// When an assessment inside the window fell back below the criteria.
    pub relapse_risk_at: Option<DateTimeUtc>,
    pub relapse_risk_assessment_id: Option<Uuid>,
    /// When the household went back from GRADUATED to ENROLLED.
    pub relapsed_at: Option<DateTimeUtc>,
    pub relapse_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
