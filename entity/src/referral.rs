use sea_orm::entity::prelude::*;

use crate::enums::ReferralStatus;

/// A case's referral (การส่งต่อ) of its household to another agency, for a service or a
/// technology.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// The case's household, copied when the referral is made; never changes.
    pub household_id: Uuid,
    pub from_agency_id: Option<Uuid>,
    pub to_agency_id: Uuid,
    pub service_id: Option<Uuid>,
    pub technology_id: Option<Uuid>,
    pub reason: String,
    pub status: ReferralStatus,
    pub due_on: Date,
    /// The consent that allowed sharing the household with the receiving agency.
    pub consent_id: Option<Uuid>,
    /// Why it was sent without consent, under an override.
    pub override_reason: Option<String>,
    pub response_note: Option<String>,
    pub rejection_reason: Option<String>,
    pub revoke_reason: Option<String>,
    pub accepted_at: Option<DateTimeUtc>,
    pub rejected_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub client_created_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
