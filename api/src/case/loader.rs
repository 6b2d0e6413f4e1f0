//! Casework loaders: by id, and pages of children per parent, all through the same visibility
//! as the root lists (`service::visible_*`).
use super::service::{
    visible_case_events, visible_cases, visible_cases_among, visible_interventions,
    visible_referrals, visible_visits,
};
use crate::{by_id_loader, child_page_loader};

by_id_loader!(CaseId, support_case, among: visible_cases_among);
by_id_loader!(ReferralId, referral, visible_referrals);
by_id_loader!(InterventionId, intervention, visible_interventions);
by_id_loader!(VisitId, visit, visible_visits);

child_page_loader!(
    HouseholdCases,
    HouseholdCaseCount,
    support_case,
    HouseholdId,
    Id,
    visible_cases
);
child_page_loader!(
    HouseholdReferrals,
    HouseholdReferralCount,
    referral,
    HouseholdId,
    Id,
    visible_referrals
);
child_page_loader!(
    HouseholdInterventions,
    HouseholdInterventionCount,
    intervention,
    HouseholdId,
    Id,
    visible_interventions
);
child_page_loader!(
    HouseholdVisits,
    HouseholdVisitCount,
    visit,
    HouseholdId,
    Id,
    visible_visits
);
child_page_loader!(
    CaseEvents,
    CaseEventCount,
    case_event,
    CaseId,
    Id,
    visible_case_events
);
child_page_loader!(
    CaseReferrals,
    CaseReferralCount,
    referral,
    CaseId,
    Id,
    visible_referrals
);
child_page_loader!(
    CaseInterventions,
    CaseInterventionCount,
    intervention,
    CaseId,
    Id,
    visible_interventions
);
child_page_loader!(
    CaseVisits,
    CaseVisitCount,
    visit,
    CaseId,
    Id,
    visible_visits
);
child_page_loader!(
    ReferralInterventions,
    ReferralInterventionCount,
    intervention,
    ReferralId,
    Id,
    visible_interventions
);
