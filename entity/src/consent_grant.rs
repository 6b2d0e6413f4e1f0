use sea_orm::entity::prelude::*;

use crate::enums::{AgencyType, ConsentPurpose};

/// One purpose × recipient of a consent: the consent covers `agency_id` (a named agency) or
/// any agency of `agency_type` (exactly one is set) for `purpose`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_grant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consent_id: Uuid,
    /// The consent's household (copied, so a household's grants are one index lookup).
    pub household_id: Uuid,
    pub purpose: ConsentPurpose,
    pub agency_id: Option<Uuid>,
    pub agency_type: Option<AgencyType>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
