//! The scope layer: which rows a viewer may see. Every root field and `node(id:)` builds its
//! query from here, so a record out of scope reads as not found rather than forbidden.
use entity::enums::Role;
use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::Viewer;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// No row restriction (ADMIN, and commands run on the server itself).
    All,
    /// Rows whose area code starts with one of these DOPA prefixes (COORDINATOR, SURVEYOR).
    Areas(Vec<String>),
    /// ANALYST: aggregates (dashboards, mobility figures) of these areas (`None`: everywhere);
    /// no household-level row at all — households, persons, memberships, assessments,
    /// matches, consents, casework — not even de-identified.
    Aggregates(Option<Vec<String>>),
    /// Rows that belong to (or were shared with) this agency; households only through a
    /// consented referral or match (`consent::gate`).
    Agency(Uuid),
    /// Nothing (anonymous, or an account whose scope is empty where one is required).
    Nothing,
}

impl Scope {
    pub fn for_viewer(viewer: &Viewer) -> Scope {
        let Viewer::Account(account) = viewer else {
            return Scope::Nothing;
        };
        match account.role {
            Role::Admin => Scope::All,
            Role::Agency => account.agency_id.map_or(Scope::Nothing, Scope::Agency),
            Role::Analyst if account.area_scopes.is_empty() => Scope::Aggregates(None),
            Role::Analyst => Scope::Aggregates(Some(account.area_scopes.clone())),
            Role::Coordinator | Role::Surveyor => {
                if account.area_scopes.is_empty() {
                    Scope::Nothing
                } else {
                    Scope::Areas(account.area_scopes.clone())
                }
            }
        }
    }

    /// Whether this scope reads casework rows (cases, referrals, interventions, visits):
    /// everyone but ANALYST (aggregates only) and the anonymous.
    pub fn reads_casework(&self) -> bool {
        matches!(self, Scope::All | Scope::Areas(_) | Scope::Agency(_))
    }

    /// Whether this scope reads household-level rows at all (households, persons,
    /// memberships, status events, assessments, matches, consents, enterprise links, …):
    /// everyone but ANALYST (aggregates only, see `dashboard`) and the anonymous. Each
    /// `visible_*` of a household-level row builds on `household::service::in_visible_household`,
    /// which answers "nothing" when this is false.
    pub fn reads_households(&self) -> bool {
        matches!(self, Scope::All | Scope::Areas(_) | Scope::Agency(_))
    }

    /// Whether an area code lies inside this scope (area scopes only; an agency scope is
    /// checked against the agency's records, not areas). For ANALYST: the areas whose
    /// aggregates it may read.
    pub fn contains_area(&self, code: &str) -> bool {
        match self {
            Scope::All | Scope::Aggregates(None) => true,
            Scope::Areas(prefixes) | Scope::Aggregates(Some(prefixes)) => {
                prefixes.iter().any(|p| code.starts_with(p.as_str()))
            }
            Scope::Agency(_) | Scope::Nothing => false,
        }
    }

    /// SQL condition "`column` is inside the area scope"; `agency_column` is used for an agency
    /// scope when the table has one, otherwise an agency sees nothing. For ANALYST this is the
    /// aggregate areas: use it only for area-level rows (areas, enterprises, rollups), never
    /// for a household-level row (`reads_households`).
    pub fn condition<C: ColumnTrait>(&self, area_column: C, agency_column: Option<C>) -> Condition {
        match self {
            Scope::All | Scope::Aggregates(None) => Condition::all(),
            Scope::Areas(prefixes) | Scope::Aggregates(Some(prefixes)) => {
                prefixes.iter().fold(Condition::any(), |cond, prefix| {
                    // Prefixes are validated digit strings, so LIKE needs no escaping.
                    cond.add(area_column.like(format!("{prefix}%")))
                })
            }
            Scope::Agency(agency) => match agency_column {
                Some(col) => Condition::all().add(col.eq(*agency)),
                None => nothing(),
            },
            Scope::Nothing => nothing(),
        }
    }
}

/// A condition no row meets.
pub fn nothing() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AccountViewer;

    fn viewer(role: Role, scopes: &[&str], agency: Option<Uuid>) -> Viewer {
        Viewer::Account(AccountViewer {
            id: Uuid::new_v4(),
            login: "x".into(),
            role,
            area_scopes: scopes.iter().map(|s| s.to_string()).collect(),
            agency_id: agency,
            session_id: Uuid::new_v4(),
        })
    }

    #[test]
    fn a_coordinator_scoped_to_lampang_sees_lampang_only() {
        let scope = Scope::for_viewer(&viewer(Role::Coordinator, &["52"], None));
        assert!(scope.contains_area("520101"));
        assert!(!scope.contains_area("950101"));
        assert!(!scope.contains_area("5"));
    }

    #[test]
    fn a_surveyor_without_scopes_sees_nothing_and_anonymous_sees_nothing() {
        assert_eq!(
            Scope::for_viewer(&viewer(Role::Surveyor, &[], None)),
            Scope::Nothing
        );
        assert_eq!(Scope::for_viewer(&Viewer::Anonymous), Scope::Nothing);
    }

    #[test]
    fn an_analyst_without_scopes_reads_aggregates_everywhere_and_agency_staff_see_their_agency() {
        let analyst = Scope::for_viewer(&viewer(Role::Analyst, &[], None));
        assert_eq!(analyst, Scope::Aggregates(None));
        assert!(analyst.contains_area("950101"));
        assert!(!analyst.reads_casework());
        assert!(!analyst.reads_households());
        let scoped = Scope::for_viewer(&viewer(Role::Analyst, &["52"], None));
        assert!(scoped.contains_area("520101") && !scoped.contains_area("950101"));
        assert!(!scoped.reads_households());
        assert!(Scope::for_viewer(&viewer(Role::Coordinator, &["52"], None)).reads_households());
        let agency = Uuid::new_v4();
        assert_eq!(
            Scope::for_viewer(&viewer(Role::Agency, &[], Some(agency))),
            Scope::Agency(agency)
        );
    }
}
