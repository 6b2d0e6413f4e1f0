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
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
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

/// The type of `agency` if it is active (no row for an inactive or unknown one).
fn active_agency_type(agency_id: Uuid) -> SelectStatement {
    Query::select()
        .column(agency::Column::AgencyType)
        .from(agency::Entity)
        .and_where(agency::Column::Id.eq(agency_id))
        .and_where(agency::Column::Active.eq(true))
        .to_owned()
}

/// Grants (rows of `consent_grant`) that name `agency` or its type, for an active agency.
fn grants_to(agency_id: Uuid) -> Condition {
    Condition::all()
        .add(Expr::exists(active_agency_type(agency_id)))
        .add(
            Condition::any()
                .add(consent_grant::Column::AgencyId.eq(agency_id))
                .add(consent_grant::Column::AgencyType.in_subquery(active_agency_type(agency_id))),
        )
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
///
/// Written as EXISTS subqueries correlated with the outer row (not `IN (subquery)`), so that
/// for a page of children PostgreSQL can check the few households at hand through the
/// household indexes instead of computing every household open to the agency each time.
pub fn agency_sees_household(outer: Expr, agency_id: Uuid, now: DateTime<Utc>) -> Condition {
    agency_sees_household_among(outer, agency_id, now, None)
}

/// [`agency_sees_household`] when the outer households are known to be among `among` (a
/// batch of ids): every subquery is restricted to them as well. The answer is the same; the
/// restriction is for PostgreSQL, which evaluates EXISTS under OR as a hashed subplan (the
/// whole subquery once) when it expects many outer rows. Unrestricted, that reads every
/// referral, match and grant of the agency for each batch (6–10 ms for an inbox page of 50
/// with 1,500 referrals, bench/peer); restricted, only those of the batch's households,
/// through their household indexes.
pub fn agency_sees_household_among(
    outer: Expr,
    agency_id: Uuid,
    now: DateTime<Utc>,
    among: Option<&[Uuid]>,
) -> Condition {
    let restrict = |q: &mut SelectStatement, column: Expr| restrict_to(q, column, among);
    let gr = Alias::new("gate_referral");
    let referred = |states: &[ReferralStatus], overridden: bool| {
        let mut q = Query::select();
        q.expr(Expr::val(1))
            .from_as(referral::Entity, gr.clone())
            .and_where(Expr::col((gr.clone(), referral::Column::HouseholdId)).eq(outer.clone()))
            .and_where(Expr::col((gr.clone(), referral::Column::ToAgencyId)).eq(agency_id))
            .and_where(
                Expr::col((gr.clone(), referral::Column::Status)).is_in(states.iter().copied()),
            );
        if overridden {
            q.and_where(Expr::col((gr.clone(), referral::Column::OverrideReason)).is_not_null());
        }
        restrict(
            &mut q,
            Expr::col((gr.clone(), referral::Column::HouseholdId)),
        );
        q.to_owned()
    };
    let gm = Alias::new("gate_match");
    let mut matched = Query::select()
        .expr(Expr::val(1))
        .from_as(matches::Entity, gm.clone())
        .and_where(Expr::col((gm.clone(), matches::Column::HouseholdId)).eq(outer.clone()))
        .and_where(Expr::col((gm.clone(), matches::Column::DeliveringAgencyId)).eq(agency_id))
        .and_where(
            Expr::col((gm.clone(), matches::Column::Status))
                .is_not_in([MatchStatus::Declined, MatchStatus::Dropped]),
        )
        .to_owned();
    restrict(&mut matched, Expr::col((gm, matches::Column::HouseholdId)));
    let gs = Alias::new("gate_case");
    let mut owned = Query::select()
        .expr(Expr::val(1))
        .from_as(support_case::Entity, gs.clone())
        .and_where(Expr::col((gs.clone(), support_case::Column::HouseholdId)).eq(outer.clone()))
        .and_where(Expr::col((gs.clone(), support_case::Column::OwnerAgencyId)).eq(agency_id))
        .to_owned();
    restrict(
        &mut owned,
        Expr::col((gs, support_case::Column::HouseholdId)),
    );
    let consented = |purpose| consented_now(outer.clone(), agency_id, purpose, now, among);
    Condition::any()
        .add(
            Condition::all()
                .add(
                    Condition::any()
                        .add(Expr::exists(referred(&REFERRAL_STATES_WITH_CONSENT, false)))
                        .add(Expr::exists(matched)),
                )
                .add(consented(ConsentPurpose::Referral)),
        )
        .add(Expr::exists(referred(&REFERRAL_STATES_WITH_OVERRIDE, true)))
        .add(
            Condition::all()
                .add(Expr::exists(owned))
                .add(consented(ConsentPurpose::CaseManagement)),
        )
}

/// Adds `household_column IN (among)` to a subquery, when the households are known.
fn restrict_to(q: &mut SelectStatement, household_column: Expr, among: Option<&[Uuid]>) {
    if let Some(ids) = among {
        q.and_where(household_column.is_in(ids.iter().copied()));
    }
}

/// EXISTS a consent of the household `household` (an outer column), valid at `now`, that
/// covers `purpose` for `agency` (by id, or by the agency's type; an inactive agency: none).
fn consented_now(
    household: Expr,
    agency_id: Uuid,
    purpose: ConsentPurpose,
    now: DateTime<Utc>,
    among: Option<&[Uuid]>,
) -> Condition {
    let g = Alias::new("gate_grant");
    let c = Alias::new("gate_consent");
    let mut grant = Query::select()
        .expr(Expr::val(1))
        .from_as(consent_grant::Entity, g.clone())
        .join_as(
            JoinType::InnerJoin,
            consent::Entity,
            c.clone(),
            Expr::col((c.clone(), consent::Column::Id))
                .equals((g.clone(), consent_grant::Column::ConsentId)),
        )
        .and_where(Expr::col((g.clone(), consent_grant::Column::HouseholdId)).eq(household))
        .and_where(Expr::col((g.clone(), consent_grant::Column::Purpose)).eq(purpose))
        .cond_where(
            Condition::any()
                .add(Expr::col((g.clone(), consent_grant::Column::AgencyId)).eq(agency_id))
                .add(
                    Expr::col((g.clone(), consent_grant::Column::AgencyType))
                        .in_subquery(active_agency_type(agency_id)),
                ),
        )
        .and_where(Expr::col((c.clone(), consent::Column::Status)).eq(ConsentStatus::Given))
        .and_where(Expr::col((c.clone(), consent::Column::GivenAt)).lte(now))
        .cond_where(
            Condition::any()
                .add(Expr::col((c.clone(), consent::Column::ExpiresAt)).is_null())
                .add(Expr::col((c.clone(), consent::Column::ExpiresAt)).gt(now)),
        )
        .to_owned();
    restrict_to(
        &mut grant,
        Expr::col((g, consent_grant::Column::HouseholdId)),
        among,
    );
    Condition::all()
        .add(Expr::exists(active_agency_type(agency_id)))
        .add(Expr::exists(grant))
}
