//! Consents recorded for some demo households.

use chrono::{Duration, TimeZone, Utc};
use entity::enums::{AgencyType, ConsentPurpose, ConsentStatus, HouseholdStatus, LegalBasis};
use rand::{Rng, rngs::StdRng};
use uuid::Uuid;

use crate::consent::service::NewConsent;

use super::*;

pub(super) fn consent_for(
    target: HouseholdStatus,
    household_id: Uuid,
    agency_id: Uuid,
    rng: &mut StdRng,
) -> Option<NewConsent> {
    use HouseholdStatus::*;
    if !matches!(target, Verified | Enrolled | Graduated) || !rng.random_bool(0.12) {
        return None;
    }
    let day = rng_days(rng, 0, 300);
    let given_at = Utc
        .with_ymd_and_hms(2025, 1, 1, 9, 0, 0)
        .single()
        .map(|t| t + Duration::days(day));
    if rng.random_bool(0.1) {
        return Some(NewConsent {
            household_id,
            purposes: vec![ConsentPurpose::Research],
            recipient_agency_types: vec![],
            recipient_agency_ids: vec![],
            legal_basis: LegalBasis::Consent,
            status: ConsentStatus::Refused,
            given_at: None,
            expires_at: None,
        });
    }
    Some(NewConsent {
        household_id,
        purposes: vec![
            ConsentPurpose::Registration,
            ConsentPurpose::CaseManagement,
            ConsentPurpose::Referral,
        ],
        recipient_agency_types: vec![AgencyType::LocalGov],
        recipient_agency_ids: vec![agency_id],
        legal_basis: LegalBasis::Consent,
        status: ConsentStatus::Given,
        given_at,
        expires_at: given_at.map(|t| t + Duration::days(730)),
    })
}
