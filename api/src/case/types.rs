//! GraphQL types of casework: cases and their events, referrals, interventions, visits, and
//! the casework edges on `Household`.
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{case_event, intervention, referral, support_case, visit};
use uuid::Uuid;

use super::loader::{
    CaseEventCount, CaseEvents, CaseId, CaseInterventionCount, CaseInterventions,
    CaseReferralCount, CaseReferrals, CaseVisitCount, CaseVisits, HouseholdCaseCount,
    HouseholdCases, HouseholdInterventionCount, HouseholdInterventions, HouseholdReferralCount,
    HouseholdReferrals, HouseholdVisitCount, HouseholdVisits, InterventionId, ReferralId,
    ReferralInterventionCount, ReferralInterventions, VisitId,
};
use crate::{
    account::{loader::AccountId, types::Account},
    agency::{loader::AgencyId, types::Agency},
    assessment::{
        loader::AssessmentId,
        types::{Assessment, Capital},
    },
    auth::{Scope, policy},
    catalogue::types::{Service, ServiceId, Technology},
    connection,
    consent::{loader::ConsentId, types::Consent},
    graphql::{
        context::{loader, scope, viewer},
        node,
        pagination::PageArgs,
    },
    household::{
        loader::{HouseholdId, PersonId},
        types::{GeoPoint, Household, Person, point},
    },
    matching::{
        loader::{MatchId, TechnologyId},
        types::Match,
    },
    node_by_loader,
};

/// What a case is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CaseType")]
pub enum CaseType {
    /// Building an occupation and income (การพัฒนาอาชีพ).
    OccupationDevelopment,
    /// Urgent social protection (การคุ้มครองทางสังคมเร่งด่วน).
    UrgentSocialProtection,
    /// Joining a value chain (ห่วงโซ่คุณค่า).
    ValueChain,
    /// Housing.
    Housing,
    /// Health.
    Health,
    /// Education.
    Education,
    /// Anything else.
    Other,
}

/// How urgent a case is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CasePriority")]
pub enum CasePriority {
    /// Can wait.
    Low,
    /// The default.
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

/// Where a case stands: INTAKE → ASSESSMENT → PLANNING → IMPLEMENTATION → MONITORING →
/// CLOSED; closing is allowed from any phase, MONITORING may go back to IMPLEMENTATION, and a
/// closed case may be reopened (both with a reason).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CasePhase")]
pub enum CasePhase {
    /// Just opened (รับเรื่อง).
    Intake,
    /// Needs and capitals being assessed.
    Assessment,
    /// Support being planned.
    Planning,
    /// Support being delivered.
    Implementation,
    /// Following up on what was delivered.
    Monitoring,
    /// Closed, with an outcome.
    Closed,
}

/// How a case ended.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CaseOutcome")]
pub enum CaseOutcome {
    /// The household is better off.
    Positive,
    /// No clear change.
    Neutral,
    /// The household is worse off.
    Negative,
}

/// Where a referral stands: PENDING → ACCEPTED → DONE, or REJECTED (by the recipient, with a
/// reason) or REVOKED (by the sender, with a reason).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ReferralStatus")]
pub enum ReferralStatus {
    /// Sent, waiting for the recipient.
    Pending,
    /// Taken on by the recipient.
    Accepted,
    /// Delivered.
    Done,
    /// Declined by the recipient.
    Rejected,
    /// Withdrawn by the sender.
    Revoked,
}

/// Which side of referrals to list, for agency staff.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReferralDirection {
    /// Sent to my agency.
    Inbox,
    /// Sent by my agency.
    Outbox,
}

/// A recipient's answer to a referral.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReferralDecision {
    /// Take it on.
    Accept,
    /// Decline it (a reason is required).
    Reject,
}

/// What was delivered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::InterventionKind")]
pub enum InterventionKind {
    /// A technology taken into use.
    TechnologyAdoption,
    /// Training.
    Training,
    /// Goods (seed, tools, livestock, …).
    InKind,
    /// Money.
    Cash,
    /// An agency service (health, education, …).
    Service,
    /// A link to buyers or markets.
    MarketLinkage,
    /// A house repaired.
    HousingRepair,
}

/// How a visit is made.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::VisitType")]
pub enum VisitType {
    /// At the household's home.
    Home,
    /// By phone.
    Phone,
    /// At an office.
    Office,
    /// By video call.
    Virtual,
}

/// Where a visit stands: SCHEDULED → COMPLETED, MISSED or CANCELLED (each final).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::VisitStatus")]
pub enum VisitStatus {
    /// Planned.
    Scheduled,
    /// Made.
    Completed,
    /// Nobody was met.
    Missed,
    /// Called off.
    Cancelled,
}

/// Free text about a family: for viewers who see identity, and for partner-agency staff only
/// while the household is open to them (the consent gate) — after a withdrawal the rows stay
/// but their text reads as null.
async fn about_family<'a>(
    ctx: &Context<'_>,
    household_id: Uuid,
    value: Option<&'a str>,
) -> Result<Option<&'a str>> {
    if value.is_none() || !sees_family(ctx, household_id).await? {
        return Ok(None);
    }
    Ok(value)
}

/// Whether the viewer may see who the household is (see `about_family`); for agency staff one
/// batched household load, shared with `household` fields of the same request.
async fn sees_family(ctx: &Context<'_>, household_id: Uuid) -> Result<bool> {
    if !policy::sees_identity(viewer(ctx)) {
        return Ok(false);
    }
    if matches!(scope(ctx), Scope::Agency(_)) {
        return Ok(loader(ctx)
            .load_one(HouseholdId(household_id))
            .await?
            .is_some());
    }
    Ok(true)
}

async fn household(ctx: &Context<'_>, id: Uuid) -> Result<Option<Household>> {
    Ok(loader(ctx)
        .load_one(HouseholdId(id))
        .await?
        .map(Household::new))
}

async fn agency(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Agency>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader(ctx).load_one(AgencyId(id)).await?.map(Agency))
}

async fn account(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Account>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader(ctx).load_one(AccountId(id)).await?.map(Account))
}

fn overdue(due: Option<NaiveDate>) -> bool {
    due.is_some_and(|d| d < Utc::now().date_naive())
}

/// A support case (เคส): the work with one household, from intake to closure.
#[derive(Clone)]
pub struct Case(pub support_case::Model);

/// A household's support file: its needs, who owns and works it, where it stands, and the
/// referrals, deliveries and visits made for it. Summary, closure reason and person are null
/// for viewers who may not see the household's identity.
#[Object]
impl Case {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Case", self.0.id)
    }

    /// The household (null when you may not see it).
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx, self.0.household_id).await
    }

    /// The member the case is mainly about, if one.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.person_id else {
            return Ok(None);
        };
        if !sees_family(ctx, self.0.household_id).await? {
            return Ok(None);
        }
        Ok(loader(ctx).load_one(PersonId(id)).await?.map(Person))
    }

    /// What it is about.
    async fn r#type(&self) -> CaseType {
        self.0.case_type.into()
    }

    /// How urgent it is.
    async fn priority(&self) -> CasePriority {
        self.0.priority.into()
    }

    /// Where it stands.
    async fn phase(&self) -> CasePhase {
        self.0.phase.into()
    }

    /// The agency that owns it.
    async fn owner_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, self.0.owner_agency_id).await
    }

    /// The case worker (null when you may not see the account).
    async fn assigned_worker(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        account(ctx, self.0.assigned_worker_id).await
    }

    /// When the case is next due for review.
    async fn review_due_on(&self) -> Option<NaiveDate> {
        self.0.review_due_on
    }

    /// Whether the case is open and its review date has passed.
    async fn is_review_overdue(&self) -> bool {
        self.0.phase != entity::enums::CasePhase::Closed && overdue(self.0.review_due_on)
    }

    /// What the household needs (free text).
    async fn summary(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.summary.as_deref()).await
    }

    /// Why it was closed.
    async fn closure_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.closure_reason.as_deref()).await
    }

    /// How it ended (null while open).
    async fn outcome(&self) -> Option<CaseOutcome> {
        self.0.outcome.map(Into::into)
    }

    /// When it was opened.
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }

    /// When it was last closed (null while open).
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    /// Its phase changes, oldest first (the opening included).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<CaseEventConnection> {
        let household_id = self.0.household_id;
        let page = PageArgs::new(first, after, last, before)?;
        let key = CaseEvents {
            parent: self.0.id,
            page,
        };
        CaseEventConnection::of_children(
            ctx,
            key,
            CaseEventCount(self.0.id),
            |e| CaseEvent(e, household_id),
            |e| e.0.id.to_string(),
        )
        .await
    }

    /// Its referrals you may see, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<ReferralConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = CaseReferrals {
            parent: self.0.id,
            page,
        };
        ReferralConnection::of_children(ctx, key, CaseReferralCount(self.0.id), Referral, |r| {
            r.0.id.to_string()
        })
        .await
    }

    /// What was delivered for it that you may see, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<InterventionConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = CaseInterventions {
            parent: self.0.id,
            page,
        };
        InterventionConnection::of_children(
            ctx,
            key,
            CaseInterventionCount(self.0.id),
            Intervention,
            |i| i.0.id.to_string(),
        )
        .await
    }

    /// Its visits, oldest first (field staff only; empty for others).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<VisitConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = CaseVisits {
            parent: self.0.id,
            page,
        };
        VisitConnection::of_children(ctx, key, CaseVisitCount(self.0.id), Visit, |v| {
            v.0.id.to_string()
        })
        .await
    }

    /// Optimistic-locking version; pass it back with every change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the server first stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the server last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the client opened it (offline capture), if sent.
    async fn client_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_created_at
    }
}

connection!(CaseConnection, CaseEdge, Case, "cases");
node_by_loader!(Case, "Case", CaseId, Case, policy::CASE_READERS);

/// One phase change of a case (with the case's household, for the reason's visibility).
pub struct CaseEvent(pub case_event::Model, pub Uuid);

/// One phase change of a case: who, when, why, and the outcome when it closed.
#[Object]
impl CaseEvent {
    /// Phase before (null for the opening).
    async fn from_phase(&self) -> Option<CasePhase> {
        self.0.from_phase.map(Into::into)
    }

    /// Phase after.
    async fn to_phase(&self) -> CasePhase {
        self.0.to_phase.into()
    }

    /// Why.
    async fn reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.1, self.0.reason.as_deref()).await
    }

    /// The outcome given at closing.
    async fn outcome(&self) -> Option<CaseOutcome> {
        self.0.outcome.map(Into::into)
    }

    /// Who (null when you may not see the account).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        account(ctx, self.0.actor_id).await
    }

    /// When the server recorded it.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// When the client says it happened (offline capture), if sent.
    async fn client_occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_occurred_at
    }
}

connection!(CaseEventConnection, CaseEventEdge, CaseEvent, "case events");

/// A referral (การส่งต่อ) of a case's need to a partner agency.
#[derive(Clone)]
pub struct Referral(pub referral::Model);

/// A need sent from one agency to another, for a service or a technology. It was allowed by
/// the household's consent (`consent`) or by a coordinator's override (`overrideReason`).
#[Object]
impl Referral {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Referral", self.0.id)
    }

    /// The case it was sent from.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        Ok(loader(ctx)
            .load_one(CaseId(self.0.case_id))
            .await?
            .map(Case))
    }

    /// The household (null when you may not see it: for a partner agency, once the consent
    /// no longer allows it).
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx, self.0.household_id).await
    }

    /// The sending agency (null when sent by provincial staff without one).
    #[graphql(name = "fromAgency")]
    async fn sending_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, self.0.from_agency_id).await
    }

    /// The receiving agency.
    async fn to_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, Some(self.0.to_agency_id)).await
    }

    /// The service asked for, if one.
    async fn service(&self, ctx: &Context<'_>) -> Result<Option<Service>> {
        let Some(id) = self.0.service_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(ServiceId(id)).await?.map(Service))
    }

    /// The technology asked for, if one.
    async fn technology(&self, ctx: &Context<'_>) -> Result<Option<Technology>> {
        let Some(id) = self.0.technology_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(TechnologyId(id))
            .await?
            .map(Technology))
    }

    /// What the household needs (free text).
    async fn reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, Some(self.0.reason.as_str())).await
    }

    /// Where it stands.
    async fn status(&self) -> ReferralStatus {
        self.0.status.into()
    }

    /// When the recipient should have acted.
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }

    /// Whether it is still PENDING or ACCEPTED after its due date.
    async fn is_overdue(&self) -> bool {
        matches!(
            self.0.status,
            entity::enums::ReferralStatus::Pending | entity::enums::ReferralStatus::Accepted
        ) && overdue(Some(self.0.due_on))
    }

    /// The consent that allowed it (null when sent under an override, or when you may not
    /// see the consent).
    async fn consent(&self, ctx: &Context<'_>) -> Result<Option<Consent>> {
        let Some(id) = self.0.consent_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(ConsentId(id)).await?.map(Consent))
    }

    /// Whether it was sent without consent, under a coordinator's override.
    async fn consent_overridden(&self) -> bool {
        self.0.override_reason.is_some()
    }

    /// Why consent was overridden.
    async fn override_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.override_reason.as_deref()).await
    }

    /// The recipient's note on accepting or completing it.
    async fn response_note(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.response_note.as_deref()).await
    }

    /// Why the recipient rejected it.
    async fn rejection_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.rejection_reason.as_deref()).await
    }

    /// Why the sender revoked it.
    async fn revoke_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.revoke_reason.as_deref()).await
    }

    /// When it was accepted.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }

    /// When it was rejected.
    async fn rejected_at(&self) -> Option<DateTime<Utc>> {
        self.0.rejected_at
    }

    /// When it was marked DONE.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }

    /// When it was revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// What was delivered on it, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<InterventionConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = ReferralInterventions {
            parent: self.0.id,
            page,
        };
        InterventionConnection::of_children(
            ctx,
            key,
            ReferralInterventionCount(self.0.id),
            Intervention,
            |i| i.0.id.to_string(),
        )
        .await
    }

    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the server stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the server last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the client sent it (offline capture), if sent.
    async fn client_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_created_at
    }
}

connection!(ReferralConnection, ReferralEdge, Referral, "referrals");
node_by_loader!(
    Referral,
    "Referral",
    ReferralId,
    Referral,
    policy::CASE_READERS
);

/// Something delivered to a household.
pub struct Intervention(pub intervention::Model);

/// What a partner agency delivered to a household ("23 houses repaired" counts these), and
/// the referral or match it fulfils.
#[Object]
impl Intervention {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Intervention", self.0.id)
    }

    /// The household (null when you may not see it).
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx, self.0.household_id).await
    }

    /// The case it was delivered for, if any.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        let Some(id) = self.0.case_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(CaseId(id)).await?.map(Case))
    }

    /// The referral it fulfils, if any.
    async fn referral(&self, ctx: &Context<'_>) -> Result<Option<Referral>> {
        let Some(id) = self.0.referral_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(ReferralId(id)).await?.map(Referral))
    }

    /// The match it fulfils, if any.
    async fn r#match(&self, ctx: &Context<'_>) -> Result<Option<Match>> {
        let Some(id) = self.0.match_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(MatchId(id)).await?.map(Match::new))
    }

    /// What kind of help.
    async fn kind(&self) -> InterventionKind {
        self.0.kind.into()
    }

    /// The capital it is meant to build.
    async fn target_capital(&self) -> Option<Capital> {
        self.0.target_capital.map(Into::into)
    }

    /// How much, in `unit`.
    async fn quantity(&self) -> f64 {
        self.0.quantity
    }

    /// What is counted (house, kg, day, …).
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// What it cost, baht.
    async fn cost(&self) -> Option<f64> {
        self.0.cost_satang.map(|s| s as f64 / 100.0)
    }

    /// When it was delivered.
    async fn delivered_on(&self) -> NaiveDate {
        self.0.delivered_on
    }

    /// The agency that delivered it.
    async fn delivering_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, Some(self.0.delivering_agency_id)).await
    }

    /// Notes (free text).
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.notes.as_deref()).await
    }

    /// Who recorded it (null when you may not see the account).
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        account(ctx, self.0.recorded_by).await
    }

    /// When the server stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the client recorded it (offline capture), if sent.
    async fn client_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_created_at
    }
}

connection!(
    InterventionConnection,
    InterventionEdge,
    Intervention,
    "interventions"
);
node_by_loader!(
    Intervention,
    "Intervention",
    InterventionId,
    Intervention,
    policy::CASE_READERS
);

/// A follow-up visit.
#[derive(Clone)]
pub struct Visit(pub visit::Model);

/// A follow-up with a household by field staff: scheduled, then completed (possibly with a
/// new assessment), missed or cancelled.
#[Object]
impl Visit {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Visit", self.0.id)
    }

    /// The household.
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx, self.0.household_id).await
    }

    /// The case it is part of, if any.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        let Some(id) = self.0.case_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(CaseId(id)).await?.map(Case))
    }

    /// How it is made.
    async fn r#type(&self) -> VisitType {
        self.0.visit_type.into()
    }

    /// Where it stands.
    async fn status(&self) -> VisitStatus {
        self.0.status.into()
    }

    /// When it is (was) planned.
    async fn scheduled_at(&self) -> DateTime<Utc> {
        self.0.scheduled_at
    }

    /// When it took place.
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.occurred_at
    }

    /// Notes (free text).
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        about_family(ctx, self.0.household_id, self.0.notes.as_deref()).await
    }

    /// Where it took place.
    async fn location(&self, ctx: &Context<'_>) -> Option<GeoPoint> {
        policy::sees_identity(viewer(ctx))
            .then(|| point(self.0.lat, self.0.lng))
            .flatten()
    }

    /// Who made it.
    async fn visitor(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        account(ctx, self.0.visitor_id).await
    }

    /// The assessment recorded during it, if any.
    async fn assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        let Some(id) = self.0.assessment_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(AssessmentId(id))
            .await?
            .map(Assessment))
    }

    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the server stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the server last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the client scheduled it (offline capture), if sent.
    async fn client_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_created_at
    }

    /// When the client last changed it, if sent.
    async fn client_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_updated_at
    }
}

connection!(VisitConnection, VisitEdge, Visit, "visits");
node_by_loader!(Visit, "Visit", VisitId, Visit, policy::FIELD_STAFF);

/// The casework recorded about a household.
pub struct CaseworkOfHousehold(pub Arc<entity::household::Model>);

/// The casework recorded about a household: its cases, referrals, deliveries and visits.
#[Object]
impl CaseworkOfHousehold {
    /// Its cases you may see, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<CaseConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = HouseholdCases {
            parent: self.0.id,
            page,
        };
        CaseConnection::of_children(ctx, key, HouseholdCaseCount(self.0.id), Case, |c| {
            c.0.id.to_string()
        })
        .await
    }

    /// Its referrals you may see, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<ReferralConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = HouseholdReferrals {
            parent: self.0.id,
            page,
        };
        ReferralConnection::of_children(
            ctx,
            key,
            HouseholdReferralCount(self.0.id),
            Referral,
            |r| r.0.id.to_string(),
        )
        .await
    }

    /// What was delivered to it that you may see, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<InterventionConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = HouseholdInterventions {
            parent: self.0.id,
            page,
        };
        InterventionConnection::of_children(
            ctx,
            key,
            HouseholdInterventionCount(self.0.id),
            Intervention,
            |i| i.0.id.to_string(),
        )
        .await
    }

    /// Its visits, oldest first (field staff only; empty for others).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<VisitConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let key = HouseholdVisits {
            parent: self.0.id,
            page,
        };
        VisitConnection::of_children(ctx, key, HouseholdVisitCount(self.0.id), Visit, |v| {
            v.0.id.to_string()
        })
        .await
    }
}
