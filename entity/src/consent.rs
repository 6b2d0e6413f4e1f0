use sea_orm::entity::prelude::*;

use crate::enums::{ConsentStatus, LegalBasis, StringList, UuidList};

/// A household's consent to share its data for some purposes with some recipients.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub household_id: Uuid,
    /// `ConsentPurpose` values.
    pub purposes: StringList,
    /// `AgencyType` values: any agency of these types.
    pub recipient_agency_types: StringList,
    /// Named agencies.
    pub recipient_agency_ids: UuidList,
    pub legal_basis: LegalBasis,
    pub status: ConsentStatus,
    pub given_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
