use sea_orm::entity::prelude::*;

use crate::enums::{DuplicateReason, DuplicateStatus};

/// Two households that look alike, for review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "potential_duplicate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reason: DuplicateReason,
    /// The household registered later.
    pub household_id: Uuid,
    /// The household it looks like.
    pub other_household_id: Uuid,
    pub person_id: Option<Uuid>,
    pub other_person_id: Option<Uuid>,
    pub status: DuplicateStatus,
    /// MERGE or NOT_DUPLICATE.
    pub resolution: Option<String>,
    pub survivor_household_id: Option<Uuid>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
