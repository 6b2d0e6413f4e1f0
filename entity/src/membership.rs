use sea_orm::entity::prelude::*;

use crate::enums::MembershipRole;

/// A person's membership of a household, with its dates.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    pub person_id: Uuid,
    pub role: MembershipRole,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub end_reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// Copy of the household's village, for the duplicate check's index (kept in step by
    /// triggers; see migration `m20261208_000101_membership_duplicate_keys`).
    pub village_code: Option<String>,
    /// Copy of the person's birth year, likewise.
    pub birth_year: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
