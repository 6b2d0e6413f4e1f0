//! The consent gate: which households a partner agency may see, as SQL.
//!
//! A household is visible to AGENCY staff only while the household's consent allows it
//! (DOMAIN.md: "reads by partner agencies are fail-closed on it"):
//!
//! - a referral to the agency that is PENDING, ACCEPTED or DONE, and a consent, valid now,
//!   that covers REFERRAL and names the agency or its type; or a referral sent under a
//!   recorded override (CONSENT_OVERRIDE in the audit log), while it is PENDING or ACCEPTED;
//! - a match on a technology the agency delivers (not DECLINED or DROPPED), with the same
//!   REFERRAL consent;
//! - a case the agency owns, with a consent that covers CASE_MANAGEMENT for the agency.
//!
//! Everything is evaluated at read time, so withdrawing or letting a consent expire closes the
//! household to the agency from the next request on, while the referral and match rows (the
//! history) stay. An inactive agency sees nothing through consent.
use chrono::{DateTime, Utc};
use entity::{
    agency, consent, consent_grant,
    enums::{ConsentPurpose, ConsentStatus, MatchStatus, ReferralStatus},
    r#match as matches, referral, support_case,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, Query, SelectStatement},
};
use uuid::Uuid;

/// Referral states that open the household to the recipient (with consent).
pub const REFERRAL_STATES_WITH_CONSENT: [ReferralStatus; 3] = [
    ReferralStatus::Pending,
    ReferralStatus::Accepted,
    ReferralStatus::Done,
];
/// Referral states that open the household to the recipient under an override.
pub const REFERRAL_STATES_WITH_OVERRIDE: [ReferralStatus; 2] =
    [ReferralStatus::Pending, ReferralStatus::Accepted];

/// Consents valid at `now`: GIVEN, started, not expired.
pub fn valid_consents(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(consent::Column::Status.eq(ConsentStatus::Given))
        .add(consent::Column::GivenAt.lte(now))
        .add(
            Condition::any()
                .add(consent::Column::ExpiresAt.is_null())
                .add(consent::Column::ExpiresAt.gt(now)),
        )
}

/// Grants (rows of `consent_grant`) that name `agency` or its type, for an active agency.
fn grants_to(agency_id: Uuid) -> Condition {
    let type_of_agency = Query::select()
        .column(agency::Column::AgencyType)
        .from(agency::Entity)
        .and_where(agency::Column::Id.eq(agency_id))
        .and_where(agency::Column::Active.eq(true))
        .to_owned();
    let active = agency::Entity::find()
        .select_only()
        .column(agency::Column::Id)
        .filter(agency::Column::Id.eq(agency_id))
        .filter(agency::Column::Active.eq(true))
        .into_query();
    Condition::all().add(Expr::exists(active)).add(
        Condition::any()
            .add(consent_grant::Column::AgencyId.eq(agency_id))
            .add(consent_grant::Column::AgencyType.in_subquery(type_of_agency)),
    )
}

/// Ids of the households whose consent, valid at `now`, covers `purpose` for `agency`.
pub fn consented_households(
    agency_id: Uuid,
    purpose: ConsentPurpose,
    now: DateTime<Utc>,
) -> SelectStatement {
    let valid = consent::Entity::find()
        .select_only()
        .column(consent::Column::Id)
        .filter(valid_consents(now))
        .into_query();
    consent_grant::Entity::find()
        .select_only()
        .column(consent_grant::Column::HouseholdId)
        .filter(consent_grant::Column::Purpose.eq(purpose))
        .filter(grants_to(agency_id))
        .filter(consent_grant::Column::ConsentId.in_subquery(valid))
        .into_query()
}

/// Consents (ids) with a grant of `purpose` to `agency` (valid or not: combine with
/// `valid_consents`).
pub fn consents_covering(agency_id: Uuid, purpose: ConsentPurpose) -> SelectStatement {
    consent_grant::Entity::find()
        .select_only()
        .column(consent_grant::Column::ConsentId)
        .filter(consent_grant::Column::Purpose.eq(purpose))
        .filter(grants_to(agency_id))
        .into_query()
}

/// Consents (ids) that cover `agency` for any purpose: the ones its staff may read.
pub fn consents_naming(agency_id: Uuid) -> SelectStatement {
    consent_grant::Entity::find()
        .select_only()
        .column(consent_grant::Column::ConsentId)
        .filter(grants_to(agency_id))
        .into_query()
}

/// "`household_column` is a household `agency` may see now" (see the module documentation).
pub fn agency_sees_household<C: ColumnTrait>(
    household_column: C,
    agency_id: Uuid,
    now: DateTime<Utc>,
) -> Condition {
    let referred = referral::Entity::find()
        .select_only()
        .column(referral::Column::HouseholdId)
        .filter(referral::Column::ToAgencyId.eq(agency_id))
        .filter(referral::Column::Status.is_in(REFERRAL_STATES_WITH_CONSENT))
        .filter(
            referral::Column::HouseholdId.in_subquery(consented_households(
                agency_id,
                ConsentPurpose::Referral,
                now,
            )),
        )
        .into_query();
    let overridden = referral::Entity::find()
        .select_only()
        .column(referral::Column::HouseholdId)
        .filter(referral::Column::ToAgencyId.eq(agency_id))
        .filter(referral::Column::Status.is_in(REFERRAL_STATES_WITH_OVERRIDE))
        .filter(referral::Column::OverrideReason.is_not_null())
        .into_query();
    let matched = matches::Entity::find()
        .select_only()
        .column(matches::Column::HouseholdId)
        .filter(matches::Column::DeliveringAgencyId.eq(agency_id))
        .filter(matches::Column::Status.is_not_in([MatchStatus::Declined, MatchStatus::Dropped]))
        .filter(
            matches::Column::HouseholdId.in_subquery(consented_households(
                agency_id,
                ConsentPurpose::Referral,
                now,
            )),
        )
        .into_query();
    let owned = support_case::Entity::find()
        .select_only()
        .column(support_case::Column::HouseholdId)
        .filter(support_case::Column::OwnerAgencyId.eq(agency_id))
        .filter(
            support_case::Column::HouseholdId.in_subquery(consented_households(
                agency_id,
                ConsentPurpose::CaseManagement,
                now,
            )),
        )
        .into_query();
    Condition::any()
        .add(household_column.in_subquery(referred))
        .add(household_column.in_subquery(overridden))
        .add(household_column.in_subquery(matched))
        .add(household_column.in_subquery(owned))
}
