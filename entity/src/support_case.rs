use sea_orm::entity::prelude::*;

use crate::enums::{CaseOutcome, CasePhase, CasePriority, CaseType};

/// A support case (เคส): the work with one household from intake to closure. The table is
/// `support_case` because `case` is an SQL keyword.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_case")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    /// The member the case is mainly about, if one.
    pub person_id: Option<Uuid>,
    pub case_type: CaseType,
    pub priority: CasePriority,
    pub phase: CasePhase,
    pub owner_agency_id: Option<Uuid>,
    /// The account of the case worker.
    pub assigned_worker_id: Option<Uuid>,
    pub review_due_on: Option<Date>,
    pub summary: Option<String>,
    pub closure_reason: Option<String>,
    pub outcome: Option<CaseOutcome>,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub client_created_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
