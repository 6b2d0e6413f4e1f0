//! Cases: who sees which casework rows, and the case writes (open, change, move phases).
//!
//! Every write checks everything first (outside the transaction), then runs one transaction
//! whose first statement is the write (so concurrent writers queue on SQLite instead of
//! failing), with its event, audit entry and idempotency key inside it.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    account, agency, case_event,
    enums::{
        AuditAction, CaseOutcome, CasePhase, CasePriority, CaseType, HouseholdStatus,
        InterventionKind, ReferralStatus, Role, VisitStatus,
    },
    household, intervention, membership, referral, support_case, visit,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, Set, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};
use serde::Serialize;
use uuid::Uuid;

use super::lifecycle::{PhaseChange, phase_change};
use crate::{
    area::prefix::DopaPrefix,
    audit::service::{Actor, AuditEntry},
    auth::{Scope, scope::nothing},
    error::{ApiError, ApiResult},
    household::{
        service::{find_household, in_visible_household},
        validate::text,
    },
    idempotency::{self, IdemKey},
};

/// Cases the scope may see: of visible households for staff; for AGENCY staff, the cases
/// their agency owns or holds a referral on (to or from it). ANALYST sees none.
pub fn visible_cases(scope: &Scope) -> Select<support_case::Entity> {
    support_case::Entity::find().filter(case_visibility(scope, None))
}

/// The cases among `ids` the scope may see (the by-id loader): for AGENCY staff, only the
/// referrals of those cases are looked at, not every referral of the agency.
pub fn visible_cases_among(scope: &Scope, ids: &[Uuid]) -> Select<support_case::Entity> {
    support_case::Entity::find()
        .filter(support_case::Column::Id.is_in(ids.iter().copied()))
        .filter(case_visibility(scope, Some(ids)))
}

fn case_visibility(scope: &Scope, among: Option<&[Uuid]>) -> Condition {
    match scope {
        Scope::Agency(agency) => {
            let mut referred = referral::Entity::find()
                .select_only()
                .column(referral::Column::CaseId)
                .filter(referral_party(*agency));
            if let Some(ids) = among {
                referred = referred.filter(referral::Column::CaseId.is_in(ids.iter().copied()));
            }
            Condition::any()
                .add(support_case::Column::OwnerAgencyId.eq(*agency))
                .add(support_case::Column::Id.in_subquery(referred.into_query()))
        }
        _ if scope.reads_casework() => {
            in_visible_household(scope, support_case::Column::HouseholdId)
        }
        _ => nothing(),
    }
}

/// Phase changes of the cases the scope may see.
pub fn visible_case_events(scope: &Scope) -> Select<case_event::Entity> {
    let cases = visible_cases(scope)
        .select_only()
        .column(support_case::Column::Id)
        .into_query();
    case_event::Entity::find().filter(case_event::Column::CaseId.in_subquery(cases))
}

/// "The agency sent or received the referral."
fn referral_party(agency: Uuid) -> Condition {
    Condition::any()
        .add(referral::Column::ToAgencyId.eq(agency))
        .add(referral::Column::FromAgencyId.eq(agency))
}

/// Referrals the scope may see: of visible households for staff; for AGENCY staff, the ones
/// their agency sent or received (never other agencies'). ANALYST sees none.
pub fn visible_referrals(scope: &Scope) -> Select<referral::Entity> {
    let condition = match scope {
        Scope::Agency(agency) => referral_party(*agency),
        _ if scope.reads_casework() => in_visible_household(scope, referral::Column::HouseholdId),
        _ => nothing(),
    };
    referral::Entity::find().filter(condition)
}

/// Interventions the scope may see: of visible households for staff; for AGENCY staff, what
/// their agency delivered. ANALYST sees none.
pub fn visible_interventions(scope: &Scope) -> Select<intervention::Entity> {
    let condition = match scope {
        Scope::Agency(agency) => {
            Condition::all().add(intervention::Column::DeliveringAgencyId.eq(*agency))
        }
        _ if scope.reads_casework() => {
            in_visible_household(scope, intervention::Column::HouseholdId)
        }
        _ => nothing(),
    };
    intervention::Entity::find().filter(condition)
}

/// Visits the scope may see: of visible households, for staff only (field work; partner
/// agencies and ANALYST see none).
pub fn visible_visits(scope: &Scope) -> Select<visit::Entity> {
    let condition = match scope {
        Scope::All | Scope::Areas(_) => in_visible_household(scope, visit::Column::HouseholdId),
        _ => nothing(),
    };
    visit::Entity::find().filter(condition)
}

/// A case the scope may see, or NOT_FOUND.
pub async fn find_case(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<support_case::Model> {
    visible_cases(scope)
        .filter(support_case::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("case"))
}

/// AGENCY staff may change only the cases their agency owns (others they may see through a
/// referral are read-only to them).
pub fn check_case_owner(scope: &Scope, case: &support_case::Model) -> ApiResult<()> {
    match scope {
        Scope::Agency(agency) if case.owner_agency_id != Some(*agency) => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// The stored name of an enum value (for messages).
pub(super) fn name<T: ActiveEnum<Value = String>>(v: T) -> String {
    v.to_value()
}

/// An active agency, or BAD_USER_INPUT on `field`.
pub(super) async fn active_agency(
    db: &impl ConnectionTrait,
    id: Uuid,
    field: &str,
) -> ApiResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.active)
        .ok_or_else(|| ApiError::bad_input(field, "no active agency has this id"))
}

#[derive(Debug, Clone, Serialize)]
pub struct NewCase {
    pub household_id: Uuid,
    pub person_id: Option<Uuid>,
    pub case_type: CaseType,
    pub priority: CasePriority,
    pub owner_agency_id: Option<Uuid>,
    pub assigned_worker_id: Option<Uuid>,
    pub review_due_on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub client_created_at: Option<DateTime<Utc>>,
}

/// The worker must be an active account; a partner agency's worker must belong to the owner.
async fn check_worker(
    db: &impl ConnectionTrait,
    worker: Uuid,
    owner: Option<Uuid>,
) -> ApiResult<()> {
    let account = account::Entity::find_by_id(worker)
        .one(db)
        .await?
        .filter(|a| a.active)
        .ok_or_else(|| ApiError::bad_input("assignedWorkerId", "no active account has this id"))?;
    if account.role == Role::Agency && account.agency_id != owner {
        return Err(ApiError::bad_input(
            "assignedWorkerId",
            "a partner agency's staff can work only on cases their agency owns",
        ));
    }
    if account.role == Role::Analyst {
        return Err(ApiError::bad_input(
            "assignedWorkerId",
            "an analyst cannot be a case worker",
        ));
    }
    Ok(())
}

fn check_review_date(date: Option<NaiveDate>) -> ApiResult<()> {
    if let Some(d) = date
        && d > Utc::now().date_naive() + chrono::Duration::days(5 * 366)
    {
        return Err(ApiError::bad_input(
            "reviewDueOn",
            "the review date is more than five years away",
        ));
    }
    Ok(())
}

/// One phase change, as recorded.
struct Event {
    from: Option<CasePhase>,
    to: CasePhase,
    reason: Option<String>,
    outcome: Option<CaseOutcome>,
    client_occurred_at: Option<DateTime<Utc>>,
}

async fn insert_event(
    conn: &impl ConnectionTrait,
    case_id: Uuid,
    actor: &Actor,
    event: Event,
) -> ApiResult<()> {
    case_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case_id),
        from_phase: Set(event.from),
        to_phase: Set(event.to),
        reason: Set(event.reason),
        outcome: Set(event.outcome),
        actor_id: Set(actor.id),
        occurred_at: Set(Utc::now()),
        client_occurred_at: Set(event.client_occurred_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Opens a case (INTAKE) on a household in scope, with its first event.
pub async fn open_case(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewCase,
    idem: Option<IdemKey>,
) -> ApiResult<support_case::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let household = find_household(db, scope, input.household_id).await?;
        if household.status == HouseholdStatus::Duplicate {
            return Err(ApiError::bad_input(
                "householdId",
                "this household was merged into another; open the case there",
            ));
        }
        if let Some(person) = input.person_id {
            let member = membership::Entity::find()
                .filter(membership::Column::HouseholdId.eq(household.id))
                .filter(membership::Column::PersonId.eq(person))
                .filter(membership::Column::EndDate.is_null())
                .one(db)
                .await?;
            if member.is_none() {
                return Err(ApiError::bad_input(
                    "personId",
                    "this person is not a current member of the household",
                ));
            }
        }
        if let Some(owner) = input.owner_agency_id {
            active_agency(db, owner, "ownerAgencyId").await?;
        }
        if let Some(worker) = input.assigned_worker_id {
            check_worker(db, worker, input.owner_agency_id).await?;
        }
        check_review_date(input.review_due_on)?;
        let summary = text(input.summary.as_deref(), "summary", 4000)?;

        let now = Utc::now();
        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        support_case::ActiveModel {
            id: Set(id),
            household_id: Set(household.id),
            person_id: Set(input.person_id),
            case_type: Set(input.case_type),
            priority: Set(input.priority),
            phase: Set(CasePhase::Intake),
            owner_agency_id: Set(input.owner_agency_id),
            assigned_worker_id: Set(input.assigned_worker_id),
            review_due_on: Set(input.review_due_on),
            summary: Set(summary),
            closure_reason: Set(None),
            outcome: Set(None),
            opened_at: Set(now),
            closed_at: Set(None),
            version: Set(1),
            created_by: Set(actor.id),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(input.client_created_at),
        }
        .insert(&txn)
        .await?;
        let opened = Event {
            from: None,
            to: CasePhase::Intake,
            reason: None,
            outcome: None,
            client_occurred_at: input.client_created_at,
        };
        insert_event(&txn, id, actor, opened).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Case", id)
                .fields([
                    "household",
                    "person",
                    "type",
                    "priority",
                    "ownerAgency",
                    "assignedWorker",
                    "reviewDueOn",
                    "summary",
                ]),
            idem.as_ref(),
            id,
        )
        .await
    })
    .await?;
    read_case(db, &id).await
}

async fn read_case(db: &impl ConnectionTrait, id: &str) -> ApiResult<support_case::Model> {
    let id = Uuid::parse_str(id).map_err(ApiError::internal)?;
    support_case::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("case"))
}

/// Changes to a case. `None`: unchanged; `Some(None)`: cleared.
#[derive(Debug, Default)]
pub struct CaseChanges {
    pub case_type: Option<CaseType>,
    pub priority: Option<CasePriority>,
    pub owner_agency_id: Option<Option<Uuid>>,
    pub assigned_worker_id: Option<Option<Uuid>>,
    pub review_due_on: Option<Option<NaiveDate>>,
    pub summary: Option<Option<String>>,
}

/// Changes a case's details (not its phase). AGENCY staff: only cases their agency owns.
pub async fn update_case(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    version: i32,
    changes: CaseChanges,
) -> ApiResult<support_case::Model> {
    let current = find_case(db, scope, id).await?;
    check_case_owner(scope, &current)?;
    if let Scope::Agency(agency) = scope
        && changes
            .owner_agency_id
            .is_some_and(|owner| owner != Some(*agency))
    {
        return Err(ApiError::bad_input(
            "ownerAgencyId",
            "a partner agency cannot hand its case to someone else; ask the coordinator",
        ));
    }
    let mut set: Vec<(support_case::Column, SimpleExpr)> = Vec::new();
    let mut fields = Vec::new();
    if let Some(t) = changes.case_type {
        set.push((support_case::Column::CaseType, Expr::value(t)));
        fields.push("type");
    }
    if let Some(p) = changes.priority {
        set.push((support_case::Column::Priority, Expr::value(p)));
        fields.push("priority");
    }
    let owner = changes.owner_agency_id.unwrap_or(current.owner_agency_id);
    if let Some(o) = changes.owner_agency_id {
        if let Some(o) = o {
            active_agency(db, o, "ownerAgencyId").await?;
        }
        set.push((support_case::Column::OwnerAgencyId, Expr::value(o)));
        fields.push("ownerAgency");
    }
    if let Some(w) = changes.assigned_worker_id {
        if let Some(w) = w {
            check_worker(db, w, owner).await?;
        }
        set.push((support_case::Column::AssignedWorkerId, Expr::value(w)));
        fields.push("assignedWorker");
    }
    if let Some(d) = changes.review_due_on {
        check_review_date(d)?;
        set.push((support_case::Column::ReviewDueOn, Expr::value(d)));
        fields.push("reviewDueOn");
    }
    if let Some(s) = changes.summary {
        let s = text(s.as_deref(), "summary", 4000)?;
        set.push((support_case::Column::Summary, Expr::value(s)));
        fields.push("summary");
    }
    if set.is_empty() {
        if current.version != version {
            return Err(ApiError::stale("case"));
        }
        return Ok(current);
    }
    let txn = db.begin().await?;
    claim_case(&txn, id, version, None, set).await?;
    idempotency::commit(
        txn,
        AuditEntry::by(actor, AuditAction::Update)
            .entity("Case", id)
            .fields(fields),
        None,
        id,
    )
    .await?;
    read_case(db, &id.to_string()).await
}

/// Bumps a case's version if it is still `version` (and in `phase`, when given), setting
/// `set`: the first statement of every case write. CONFLICT when someone else was first.
async fn claim_case(
    conn: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    phase: Option<CasePhase>,
    set: Vec<(support_case::Column, SimpleExpr)>,
) -> ApiResult<()> {
    let mut update = support_case::Entity::update_many()
        .col_expr(support_case::Column::Version, Expr::value(version + 1))
        .col_expr(support_case::Column::UpdatedAt, Expr::value(Utc::now()));
    for (col, value) in set {
        update = update.col_expr(col, value);
    }
    let mut update = update
        .filter(support_case::Column::Id.eq(id))
        .filter(support_case::Column::Version.eq(version));
    if let Some(phase) = phase {
        update = update.filter(support_case::Column::Phase.eq(phase));
    }
    if update.exec(conn).await?.rows_affected != 1 {
        return Err(ApiError::stale("case"));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseInput {
    pub id: Uuid,
    pub version: i32,
    pub to: CasePhase,
    pub reason: Option<String>,
    pub outcome: Option<CaseOutcome>,
    pub client_occurred_at: Option<DateTime<Utc>>,
}

/// Moves a case to another phase (docs/casework.md: forward one step; close from any open
/// phase with a reason and an outcome; MONITORING → IMPLEMENTATION and reopening with a
/// reason), recording the change as an event.
pub async fn change_phase(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: PhaseInput,
    idem: Option<IdemKey>,
) -> ApiResult<support_case::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let current = find_case(db, scope, input.id).await?;
        check_case_owner(scope, &current)?;
        if current.version != input.version {
            return Err(ApiError::stale("case"));
        }
        let change = phase_change(current.phase, input.to).ok_or_else(|| {
            ApiError::bad_input(
                "to",
                format!(
                    "a case in {} cannot move to {}",
                    name(current.phase),
                    name(input.to)
                ),
            )
        })?;
        let reason = text(input.reason.as_deref(), "reason", 2000)?;
        let needs_reason = !matches!(change, PhaseChange::Forward);
        if needs_reason && reason.is_none() {
            return Err(ApiError::bad_input("reason", "say why"));
        }
        if change == PhaseChange::Close && input.outcome.is_none() {
            return Err(ApiError::bad_input(
                "outcome",
                "closing a case needs its outcome (POSITIVE, NEUTRAL or NEGATIVE)",
            ));
        }
        if change != PhaseChange::Close && input.outcome.is_some() {
            return Err(ApiError::bad_input(
                "outcome",
                "an outcome is given only when the case closes",
            ));
        }
        let now = Utc::now();
        let mut set = vec![(support_case::Column::Phase, Expr::value(input.to))];
        match change {
            PhaseChange::Close => {
                set.push((
                    support_case::Column::ClosureReason,
                    Expr::value(reason.clone()),
                ));
                set.push((support_case::Column::Outcome, Expr::value(input.outcome)));
                set.push((support_case::Column::ClosedAt, Expr::value(now)));
            }
            PhaseChange::Reopen => {
                set.push((
                    support_case::Column::ClosureReason,
                    Expr::value(Option::<String>::None),
                ));
                set.push((
                    support_case::Column::Outcome,
                    Expr::value(Option::<CaseOutcome>::None),
                ));
                set.push((
                    support_case::Column::ClosedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                ));
            }
            PhaseChange::Forward | PhaseChange::StepBack => {}
        }
        let txn = db.begin().await?;
        claim_case(&txn, current.id, input.version, Some(current.phase), set).await?;
        let moved = Event {
            from: Some(current.phase),
            to: input.to,
            reason: reason.clone(),
            outcome: input.outcome,
            client_occurred_at: input.client_occurred_at,
        };
        insert_event(&txn, current.id, actor, moved).await?;
        let mut entry = AuditEntry::by(actor, AuditAction::Transition)
            .entity("Case", current.id)
            .fields(["phase"]);
        if let Some(r) = reason {
            entry = entry.reason(r);
        }
        idempotency::commit(txn, entry, idem.as_ref(), current.id).await
    })
    .await?;
    read_case(db, &id).await
}

/// Households (ids) in an area, for the area filters of casework lists.
fn households_in(code: &str, field: &str) -> ApiResult<sea_orm::sea_query::SelectStatement> {
    let prefix = DopaPrefix::parse(code, field)?;
    Ok(household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .filter(household::Column::VillageCode.like(prefix.pattern()))
        .into_query())
}

/// The filters of `cases`.
#[derive(Debug, Default)]
pub struct CaseFilter {
    pub area_code: Option<String>,
    pub phases: Vec<CasePhase>,
    pub types: Vec<CaseType>,
    pub owner_agency_id: Option<Uuid>,
    pub household_id: Option<Uuid>,
    pub overdue_review: Option<bool>,
    pub assigned_to: Option<Uuid>,
}

/// Cases the scope may see, filtered.
pub fn filter_cases(scope: &Scope, f: CaseFilter) -> ApiResult<Select<support_case::Entity>> {
    let mut select = visible_cases(scope);
    if let Some(code) = &f.area_code {
        select = select.filter(
            support_case::Column::HouseholdId.in_subquery(households_in(code, "filter.areaCode")?),
        );
    }
    if !f.phases.is_empty() {
        select = select.filter(support_case::Column::Phase.is_in(f.phases));
    }
    if !f.types.is_empty() {
        select = select.filter(support_case::Column::CaseType.is_in(f.types));
    }
    if let Some(a) = f.owner_agency_id {
        select = select.filter(support_case::Column::OwnerAgencyId.eq(a));
    }
    if let Some(h) = f.household_id {
        select = select.filter(support_case::Column::HouseholdId.eq(h));
    }
    if let Some(w) = f.assigned_to {
        select = select.filter(support_case::Column::AssignedWorkerId.eq(w));
    }
    if let Some(overdue) = f.overdue_review {
        let cond = Condition::all()
            .add(support_case::Column::Phase.ne(CasePhase::Closed))
            .add(support_case::Column::ReviewDueOn.lt(Utc::now().date_naive()));
        select = select.filter(if overdue { cond } else { cond.not() });
    }
    Ok(select)
}

/// The filters of `referrals`. `direction`: `Some(true)` inbox, `Some(false)` outbox.
#[derive(Debug, Default)]
pub struct ReferralFilter {
    pub direction: Option<bool>,
    pub statuses: Vec<ReferralStatus>,
    pub area_code: Option<String>,
    pub to_agency_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub household_id: Option<Uuid>,
    pub overdue: Option<bool>,
}

/// Referrals the scope may see, filtered; `my_agency` is the caller's agency (for INBOX and
/// OUTBOX).
pub fn filter_referrals(
    scope: &Scope,
    my_agency: Option<Uuid>,
    f: ReferralFilter,
) -> ApiResult<Select<referral::Entity>> {
    let mut select = visible_referrals(scope);
    if let Some(inbox) = f.direction {
        let agency = my_agency.ok_or_else(|| {
            ApiError::bad_input(
                "filter.direction",
                "your account belongs to no agency, so it has no inbox or outbox",
            )
        })?;
        select = select.filter(if inbox {
            referral::Column::ToAgencyId.eq(agency)
        } else {
            referral::Column::FromAgencyId.eq(agency)
        });
    }
    if !f.statuses.is_empty() {
        select = select.filter(referral::Column::Status.is_in(f.statuses));
    }
    if let Some(code) = &f.area_code {
        select = select.filter(
            referral::Column::HouseholdId.in_subquery(households_in(code, "filter.areaCode")?),
        );
    }
    if let Some(a) = f.to_agency_id {
        select = select.filter(referral::Column::ToAgencyId.eq(a));
    }
    if let Some(c) = f.case_id {
        select = select.filter(referral::Column::CaseId.eq(c));
    }
    if let Some(h) = f.household_id {
        select = select.filter(referral::Column::HouseholdId.eq(h));
    }
    if let Some(overdue) = f.overdue {
        let cond = Condition::all()
            .add(
                referral::Column::Status.is_in([ReferralStatus::Pending, ReferralStatus::Accepted]),
            )
            .add(referral::Column::DueOn.lt(Utc::now().date_naive()));
        select = select.filter(if overdue { cond } else { cond.not() });
    }
    Ok(select)
}

/// The filters of `interventions`.
#[derive(Debug, Default)]
pub struct InterventionFilter {
    pub area_code: Option<String>,
    pub kinds: Vec<InterventionKind>,
    pub delivering_agency_id: Option<Uuid>,
    pub household_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub delivered_from: Option<NaiveDate>,
    pub delivered_to: Option<NaiveDate>,
}

/// Interventions the scope may see, filtered.
pub fn filter_interventions(
    scope: &Scope,
    f: InterventionFilter,
) -> ApiResult<Select<intervention::Entity>> {
    let mut select = visible_interventions(scope);
    if let Some(code) = &f.area_code {
        select = select.filter(
            intervention::Column::HouseholdId.in_subquery(households_in(code, "filter.areaCode")?),
        );
    }
    if !f.kinds.is_empty() {
        select = select.filter(intervention::Column::Kind.is_in(f.kinds));
    }
    if let Some(a) = f.delivering_agency_id {
        select = select.filter(intervention::Column::DeliveringAgencyId.eq(a));
    }
    if let Some(h) = f.household_id {
        select = select.filter(intervention::Column::HouseholdId.eq(h));
    }
    if let Some(c) = f.case_id {
        select = select.filter(intervention::Column::CaseId.eq(c));
    }
    if let Some(d) = f.delivered_from {
        select = select.filter(intervention::Column::DeliveredOn.gte(d));
    }
    if let Some(d) = f.delivered_to {
        select = select.filter(intervention::Column::DeliveredOn.lte(d));
    }
    Ok(select)
}

/// The filters of `visits`. `by`: only visits this account scheduled or made.
#[derive(Debug, Default)]
pub struct VisitFilter {
    pub area_code: Option<String>,
    pub statuses: Vec<VisitStatus>,
    pub household_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub scheduled_from: Option<DateTime<Utc>>,
    pub scheduled_to: Option<DateTime<Utc>>,
    pub by: Option<Uuid>,
}

/// Visits the scope may see, filtered.
pub fn filter_visits(scope: &Scope, f: VisitFilter) -> ApiResult<Select<visit::Entity>> {
    let mut select = visible_visits(scope);
    if let Some(code) = &f.area_code {
        select = select.filter(
            visit::Column::HouseholdId.in_subquery(households_in(code, "filter.areaCode")?),
        );
    }
    if !f.statuses.is_empty() {
        select = select.filter(visit::Column::Status.is_in(f.statuses));
    }
    if let Some(h) = f.household_id {
        select = select.filter(visit::Column::HouseholdId.eq(h));
    }
    if let Some(c) = f.case_id {
        select = select.filter(visit::Column::CaseId.eq(c));
    }
    if let Some(t) = f.scheduled_from {
        select = select.filter(visit::Column::ScheduledAt.gte(t));
    }
    if let Some(t) = f.scheduled_to {
        select = select.filter(visit::Column::ScheduledAt.lte(t));
    }
    if let Some(a) = f.by {
        select = select.filter(
            Condition::any()
                .add(visit::Column::CreatedBy.eq(a))
                .add(visit::Column::VisitorId.eq(a)),
        );
    }
    Ok(select)
}
