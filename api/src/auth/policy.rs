//! Who may do what: the named role sets that every guard and every check uses, and the
//! field-level rules on personal data. Row-level visibility (which records a viewer may see at
//! all) is the scope layer's job (`scope.rs` and each domain's `visible_*`); a role set only
//! answers "may this role use this field or this write".
//!
//! A role set is itself a field guard: `#[graphql(guard = "policy::COORDINATORS")]`.
use async_graphql::{Context, Guard, Result};
use entity::enums::Role;

use crate::{auth::Viewer, error::ApiError};

/// A named set of roles, and optionally what a signed-in caller outside it is told (the
/// FORBIDDEN message; a generic one otherwise).
#[derive(Debug, Clone, Copy)]
pub struct RoleSet(&'static [Role], Option<&'static str>);

impl RoleSet {
    /// Whether the viewer is signed in with one of these roles.
    pub fn admits(&self, viewer: &Viewer) -> bool {
        viewer.role().is_some_and(|r| self.0.contains(&r))
    }

    /// UNAUTHENTICATED for an anonymous caller, FORBIDDEN for another role.
    pub fn check(&self, viewer: &Viewer) -> Result<(), ApiError> {
        match viewer.role() {
            None => Err(ApiError::Unauthenticated("sign in first".into())),
            Some(role) if self.0.contains(&role) => Ok(()),
            Some(_) => Err(self
                .1
                .map_or(ApiError::Forbidden, ApiError::ForbiddenBecause)),
        }
    }

    pub fn roles(&self) -> &'static [Role] {
        self.0
    }
}

impl Guard for RoleSet {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = ctx
            .data::<Viewer>()
            .map_err(|_| ApiError::internal("no viewer"))?;
        RoleSet::check(self, viewer).map_err(Into::into)
    }
}

use Role::{Admin, Agency, Analyst, Coordinator, Surveyor};

/// Any signed-in account.
pub const SIGNED_IN: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor, Agency, Analyst], None);
/// Accounts, agencies, reference data, the audit log.
pub const ADMINS: RoleSet = RoleSet(&[Admin], None);
/// Provincial case managers: verify and merge households, import lists, run matching, open
/// and steer cases, refer, override a missing consent (with a reason).
pub const COORDINATORS: RoleSet = RoleSet(&[Admin, Coordinator], None);
/// People who work with households in the field: register and update households and persons,
/// record consents, assessments and visits, ask for recommendations.
pub const FIELD_STAFF: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor], None);
/// Partner agencies' own work: their catalogue entries, their referral inbox.
pub const PROVIDERS: RoleSet = RoleSet(&[Admin, Agency], None);
/// Who moves a match along its lifecycle (the delivering agency among them).
pub const MATCH_MOVERS: RoleSet = RoleSet(&[Admin, Coordinator, Agency], None);
/// Who reads household-level rows at all: households, persons, memberships, status events,
/// assessments, matches, consents, enterprise links (each within its scope; AGENCY staff only
/// what the consent gate opens). ANALYST works from aggregates only (`dashboard`): even
/// de-identified, a village code with the members' birth years picks out one family.
pub const HOUSEHOLD_READERS: RoleSet = RoleSet(
    &[Admin, Coordinator, Surveyor, Agency],
    Some(
        "analysts work from aggregates only and read no household-level records: \
         use `dashboard` for the figures of your areas",
    ),
);
/// Who reads case rows (cases, referrals, interventions). ANALYST works from aggregates.
pub const CASE_READERS: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor, Agency], None);
/// Who reads dashboards (`dashboard`, the dashboard CSV): exact where the viewer has household
/// access, small counts suppressed elsewhere (ANALYST everywhere). Partner agencies do not.
pub const DASHBOARD_READERS: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor, Analyst], None);
/// Who changes cases, refers and records what was delivered.
pub const CASE_WORKERS: RoleSet = RoleSet(&[Admin, Coordinator, Agency], None);
/// Who sees who a household or person is: names, contact data, addresses, locations and the
/// free text written about them. AGENCY staff only ever reach the households that a consented
/// referral or match opened to them (see `consent::gate`).
pub const IDENTITY_READERS: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor, Agency], None);
/// Who sees identity numbers at all (masked national IDs, ids in other systems) and may search
/// by them. Partner agencies never do; the full number needs `revealNationalId` (audited).
pub const ID_NUMBER_READERS: RoleSet = RoleSet(&[Admin, Coordinator, Surveyor], None);

/// Whether the viewer may see who a household or person is (`IDENTITY_READERS`).
pub fn sees_identity(viewer: &Viewer) -> bool {
    IDENTITY_READERS.admits(viewer)
}

/// Whether the viewer may see identity numbers (`ID_NUMBER_READERS`).
pub fn sees_id_numbers(viewer: &Viewer) -> bool {
    ID_NUMBER_READERS.admits(viewer)
}

/// `value` when the viewer may see identifying data (`sees_identity`), otherwise null.
pub fn identifying<T>(ctx: &Context<'_>, value: Option<T>) -> Option<T> {
    value.filter(|_| sees_identity(crate::graphql::context::viewer(ctx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_set_is_a_subset_of_signed_in_and_admin_is_in_every_set() {
        for set in [
            ADMINS,
            COORDINATORS,
            FIELD_STAFF,
            PROVIDERS,
            MATCH_MOVERS,
            HOUSEHOLD_READERS,
            CASE_READERS,
            CASE_WORKERS,
            IDENTITY_READERS,
            ID_NUMBER_READERS,
        ] {
            assert!(set.roles().contains(&Admin), "{set:?}");
            assert!(set.roles().iter().all(|r| SIGNED_IN.roles().contains(r)));
        }
    }

    #[test]
    fn analysts_never_see_identity_and_agencies_never_see_id_numbers() {
        assert!(!IDENTITY_READERS.roles().contains(&Analyst));
        assert!(!ID_NUMBER_READERS.roles().contains(&Agency));
        assert!(!CASE_READERS.roles().contains(&Analyst));
        assert!(!HOUSEHOLD_READERS.roles().contains(&Analyst));
    }
}
