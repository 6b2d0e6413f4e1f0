use sea_orm::entity::prelude::*;

use crate::enums::{VisitStatus, VisitType};

/// A scheduled or completed contact with a household (การเยี่ยมบ้าน), possibly part of a
/// case and possibly producing an assessment.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub case_id: Option<Uuid>,
    pub visit_type: VisitType,
    pub status: VisitStatus,
    pub scheduled_at: DateTimeUtc,
    pub occurred_at: Option<DateTimeUtc>,
    pub notes: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The account that made the visit.
    pub visitor_id: Option<Uuid>,
    pub assessment_id: Option<Uuid>,
    /// Id given by an offline client, so a retried upload is recognised.
    pub client_uuid: Option<Uuid>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub client_created_at: Option<DateTimeUtc>,
    pub client_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
