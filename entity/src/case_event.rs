use sea_orm::entity::prelude::*;

use crate::enums::{CaseOutcome, CasePhase};

/// One phase change of a support case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// None when the case was opened.
    pub from_phase: Option<CasePhase>,
    pub to_phase: CasePhase,
    pub reason: Option<String>,
    pub outcome: Option<CaseOutcome>,
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub client_occurred_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
