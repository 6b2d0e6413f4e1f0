use sea_orm::entity::prelude::*;

use crate::enums::JsonDocument;

/// One area-wide matching run.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "matching_run")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub area_code: String,
    /// Input as given: technologies, seats, weights.
    pub parameters: JsonDocument,
    pub households_considered: i32,
    pub pairs_considered: i64,
    pub matches_created: i32,
    /// Sum of the ladder-weighted scores (thousandths) of the matches created.
    pub total_benefit: i64,
    /// What a greedy pass would have reached on the same input.
    pub greedy_benefit: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
