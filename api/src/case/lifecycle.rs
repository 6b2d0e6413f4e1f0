//! The state machines of casework, as pure functions (docs/casework.md, "Lifecycles").
use entity::enums::{CasePhase, ReferralStatus, VisitStatus};

/// What a phase change needs besides being allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseChange {
    /// One step forward through the working phases.
    Forward,
    /// Closing (from any open phase): needs a reason and an outcome.
    Close,
    /// MONITORING → IMPLEMENTATION: more support needed; needs a reason.
    StepBack,
    /// CLOSED → an open phase: needs a reason; the closure is cleared on the case.
    Reopen,
}

const ORDER: [CasePhase; 6] = [
    CasePhase::Intake,
    CasePhase::Assessment,
    CasePhase::Planning,
    CasePhase::Implementation,
    CasePhase::Monitoring,
    CasePhase::Closed,
];

fn position(phase: CasePhase) -> usize {
    ORDER.iter().position(|p| *p == phase).unwrap_or(0)
}

/// The kind of a phase change, or `None` when `from → to` is not allowed.
pub fn phase_change(from: CasePhase, to: CasePhase) -> Option<PhaseChange> {
    use CasePhase::*;
    match (from, to) {
        (Closed, Closed) => None,
        (Closed, _) => Some(PhaseChange::Reopen),
        (_, Closed) => Some(PhaseChange::Close),
        (Monitoring, Implementation) => Some(PhaseChange::StepBack),
        _ if position(to) == position(from) + 1 => Some(PhaseChange::Forward),
        _ => None,
    }
}

/// What may happen to a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralAction {
    /// The recipient takes it on.
    Accept,
    /// The recipient declines it (with a reason).
    Reject,
    /// The recipient reports it delivered.
    Complete,
    /// The sender withdraws it (with a reason).
    Revoke,
}

/// The status a referral in `from` gets from `action`, or `None` when not allowed.
pub fn referral_after(from: ReferralStatus, action: ReferralAction) -> Option<ReferralStatus> {
    use ReferralAction::*;
    use ReferralStatus::*;
    match (from, action) {
        (Pending, Accept) => Some(Accepted),
        (Pending, Reject) => Some(Rejected),
        (Accepted, Complete) => Some(Done),
        (Pending | Accepted, Revoke) => Some(Revoked),
        _ => None,
    }
}

/// Whether a visit in `from` may become `to` (only a SCHEDULED visit changes, once).
pub fn visit_may_become(from: VisitStatus, to: VisitStatus) -> bool {
    from == VisitStatus::Scheduled && to != VisitStatus::Scheduled
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_phase_pair_follows_the_documented_table() {
        use CasePhase::*;
        let forward = [
            (Intake, Assessment),
            (Assessment, Planning),
            (Planning, Implementation),
            (Implementation, Monitoring),
        ];
        for from in CasePhase::iter() {
            for to in CasePhase::iter() {
                let expected = if from == Closed && to != Closed {
                    Some(PhaseChange::Reopen)
                } else if from != Closed && to == Closed {
                    Some(PhaseChange::Close)
                } else if (from, to) == (Monitoring, Implementation) {
                    Some(PhaseChange::StepBack)
                } else if forward.contains(&(from, to)) {
                    Some(PhaseChange::Forward)
                } else {
                    None
                };
                assert_eq!(phase_change(from, to), expected, "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn final_referrals_and_visits_change_no_more() {
        for action in [
            ReferralAction::Accept,
            ReferralAction::Reject,
            ReferralAction::Complete,
            ReferralAction::Revoke,
        ] {
            for done in [
                ReferralStatus::Done,
                ReferralStatus::Rejected,
                ReferralStatus::Revoked,
            ] {
                assert_eq!(referral_after(done, action), None);
            }
        }
        assert_eq!(
            referral_after(ReferralStatus::Accepted, ReferralAction::Accept),
            None
        );
        assert!(!visit_may_become(
            VisitStatus::Completed,
            VisitStatus::Completed
        ));
        assert!(visit_may_become(
            VisitStatus::Scheduled,
            VisitStatus::Missed
        ));
    }
}
