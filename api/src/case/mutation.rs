//! Casework writes. Each resolver decodes its input, builds the idempotency key, calls the
//! service, and maps the result; the rules live in the services.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    intervention::{NewIntervention, record_intervention},
    lifecycle::ReferralAction,
    referral::{NewReferral, ReferralMove, move_referral, refer_case},
    service::{CaseChanges, NewCase, PhaseInput, change_phase, open_case, update_case},
    types::{
        Case, CaseOutcome, CasePhase, CasePriority, CaseType, Intervention, InterventionKind,
        Referral, ReferralDecision, Visit, VisitStatus, VisitType,
    },
    visit::{NewVisit, VisitCompletion, close_visit, complete_visit, schedule_visit},
};
use crate::{
    assessment::{
        loader::AssessmentId, mutation::VisitAssessmentInput, types::Assessment, types::Capital,
    },
    auth::policy,
    graphql::{
        context::{account, actor, loader, scope, services, viewer},
        node,
    },
    household::mutation::GeoPointInput,
    idempotency::IdemKey,
    live::{self, Kind},
    money,
};

/// A new case for a household.
#[derive(InputObject)]
pub struct OpenCaseInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household (in your areas).
    pub household_id: ID,
    /// The member the case is mainly about (a current member), if one.
    pub person_id: Option<ID>,
    /// What it is about.
    pub r#type: CaseType,
    /// How urgent it is (default NORMAL).
    #[graphql(default_with = "CasePriority::Normal")]
    pub priority: CasePriority,
    /// The agency that will own it.
    pub owner_agency_id: Option<ID>,
    /// The case worker (an active account; agency staff only of the owner).
    pub assigned_worker_id: Option<ID>,
    /// When it is due for review.
    pub review_due_on: Option<NaiveDate>,
    /// What the household needs (at most 4,000 characters).
    pub summary: Option<String>,
    /// When the client opened it (offline).
    pub client_created_at: Option<DateTime<Utc>>,
}

/// Changes to a case's details. Omitted fields stay; null clears.
#[derive(InputObject)]
pub struct UpdateCaseInput {
    /// The case.
    pub id: ID,
    /// The version you read (a stale one is CONFLICT).
    pub version: i32,
    /// What it is about.
    pub r#type: Option<CaseType>,
    /// How urgent it is.
    pub priority: Option<CasePriority>,
    /// The owning agency.
    pub owner_agency_id: MaybeUndefined<ID>,
    /// The case worker.
    pub assigned_worker_id: MaybeUndefined<ID>,
    /// When it is due for review.
    pub review_due_on: MaybeUndefined<NaiveDate>,
    /// What the household needs.
    pub summary: MaybeUndefined<String>,
}

/// A phase change of a case.
#[derive(InputObject)]
pub struct ChangeCasePhaseInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The case.
    pub id: ID,
    /// The version you read (a stale one is CONFLICT).
    pub version: i32,
    /// The new phase.
    pub to: CasePhase,
    /// Why (required to close, to reopen and to go back to IMPLEMENTATION).
    pub reason: Option<String>,
    /// How it ended (required to close, and only then).
    pub outcome: Option<CaseOutcome>,
    /// When the client made the change (offline).
    pub client_occurred_at: Option<DateTime<Utc>>,
}

/// The case a mutation wrote.
#[derive(SimpleObject)]
pub struct CasePayload {
    /// The case after the change.
    pub case: Case,
}

/// A need of a case, sent to a partner agency.
#[derive(InputObject)]
pub struct ReferCaseInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The case (open).
    pub case_id: ID,
    /// The receiving agency (active, covering the household's village).
    pub to_agency_id: ID,
    /// The service asked for (the recipient's), if one.
    pub service_id: Option<ID>,
    /// The technology asked for (the recipient's), if one.
    pub technology_id: Option<ID>,
    /// What the household needs (1 to 2,000 characters).
    pub reason: String,
    /// When the recipient should have acted (default: in `APP_REFERRAL_SLA_DAYS` days).
    pub due_on: Option<NaiveDate>,
    /// Only when the household has not consented to this referral: why it must go anyway
    /// (COORDINATOR or ADMIN; audited as CONSENT_OVERRIDE).
    pub consent_override_reason: Option<String>,
    /// When the client sent it (offline).
    pub client_created_at: Option<DateTime<Utc>>,
}

/// The recipient's answer to a referral.
#[derive(InputObject)]
pub struct RespondToReferralInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The referral (PENDING, sent to your agency).
    pub id: ID,
    /// Accept or reject.
    pub decision: ReferralDecision,
    /// Why (required to reject; a note when accepting).
    pub reason: Option<String>,
}

/// Reports a referral delivered.
#[derive(InputObject)]
pub struct CompleteReferralInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The referral (ACCEPTED, sent to your agency).
    pub id: ID,
    /// A note on what was done.
    pub note: Option<String>,
}

/// Withdraws a referral you sent.
#[derive(InputObject)]
pub struct RevokeReferralInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The referral (PENDING or ACCEPTED).
    pub id: ID,
    /// Why.
    pub reason: String,
}

/// The referral a mutation wrote.
#[derive(SimpleObject)]
pub struct ReferralPayload {
    /// The referral after the change.
    pub referral: Referral,
}

/// Something delivered to a household, on a referral or a match (exactly one of them).
#[derive(InputObject)]
pub struct RecordInterventionInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The ACCEPTED referral it fulfils.
    pub referral_id: Option<ID>,
    /// The match it fulfils (ACCEPTED or later).
    pub match_id: Option<ID>,
    /// What kind of help.
    pub kind: InterventionKind,
    /// The capital it is meant to build.
    pub target_capital: Option<Capital>,
    /// How much, in `unit` (above 0, at most 1,000,000,000).
    pub quantity: f64,
    /// What is counted (house, kg, day, …; 1 to 32 characters).
    pub unit: String,
    /// What it cost, baht: 0 to 10,000,000.
    pub cost: Option<f64>,
    /// When it was delivered (not in the future).
    pub delivered_on: NaiveDate,
    /// Notes.
    pub notes: Option<String>,
    /// When the client recorded it (offline).
    pub client_created_at: Option<DateTime<Utc>>,
}

/// The intervention a mutation wrote.
#[derive(SimpleObject)]
pub struct InterventionPayload {
    /// The intervention.
    pub intervention: Intervention,
}

/// A visit to plan.
#[derive(InputObject)]
pub struct ScheduleVisitInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household (in your areas).
    pub household_id: ID,
    /// The household's open case it is part of, if any.
    pub case_id: Option<ID>,
    /// How it will be made.
    pub r#type: VisitType,
    /// When (within a year back and two years ahead).
    pub scheduled_at: DateTime<Utc>,
    /// Notes.
    pub notes: Option<String>,
    /// When the client scheduled it (offline).
    pub client_created_at: Option<DateTime<Utc>>,
}

/// A visit that took place.
#[derive(InputObject)]
pub struct CompleteVisitInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The visit (SCHEDULED).
    pub id: ID,
    /// When it took place.
    pub occurred_at: DateTime<Utc>,
    /// Notes.
    pub notes: Option<String>,
    /// Where it took place.
    pub location: Option<GeoPointInput>,
    /// An assessment made during the visit, recorded with it in one transaction.
    pub assessment: Option<VisitAssessmentInput>,
    /// When the client recorded it (offline).
    pub client_updated_at: Option<DateTime<Utc>>,
}

/// A visit that will not take place.
#[derive(InputObject)]
pub struct CloseVisitInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The visit (SCHEDULED).
    pub id: ID,
    /// MISSED or CANCELLED.
    pub status: VisitStatus,
    /// Notes.
    pub notes: Option<String>,
}

/// The visit a mutation wrote, and the assessment recorded with it.
#[derive(SimpleObject)]
pub struct VisitPayload {
    /// The visit after the change.
    pub visit: Visit,
    /// The assessment recorded during the visit, if any.
    pub assessment: Option<Assessment>,
}

fn opt_uuid(id: &Option<ID>, ty: &str, field: &str) -> Result<Option<Uuid>> {
    Ok(id
        .as_ref()
        .map(|id| node::decode_uuid(id, ty, field))
        .transpose()?)
}

fn change<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> Result<U>) -> Result<Option<Option<U>>> {
    Ok(match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(f(v)?)),
    })
}

/// The idempotency key of a retried write.
fn key(
    ctx: &Context<'_>,
    client_uuid: Option<Uuid>,
    captured_at: Option<DateTime<Utc>>,
    operation: &'static str,
    input: serde_json::Value,
) -> Result<Option<IdemKey>> {
    Ok(crate::idempotency::with_capture(
        IdemKey::new(Some(account(ctx)?.id), client_uuid, operation, &input),
        captured_at,
    ))
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Opens a case (INTAKE) for a household in your areas (ADMIN, COORDINATOR).
    #[graphql(guard = "policy::COORDINATORS")]
    async fn open_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `OpenCaseInput`.")] input: OpenCaseInput,
    ) -> Result<CasePayload> {
        let new = NewCase {
            household_id: node::decode_uuid(&input.household_id, "Household", "householdId")?,
            person_id: opt_uuid(&input.person_id, "Person", "personId")?,
            case_type: input.r#type.into(),
            priority: input.priority.into(),
            owner_agency_id: opt_uuid(&input.owner_agency_id, "Agency", "ownerAgencyId")?,
            assigned_worker_id: opt_uuid(&input.assigned_worker_id, "Account", "assignedWorkerId")?,
            review_due_on: input.review_due_on,
            summary: input.summary,
            client_created_at: input.client_created_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "openCase",
            json!(new),
        )?;
        let model = open_case(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            new,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Case, model.id).await;
        Ok(CasePayload { case: Case(model) })
    }

    /// Changes a case's details (ADMIN, COORDINATOR; agency staff for cases their agency
    /// owns). The phase changes through `changeCasePhase`.
    #[graphql(guard = "policy::CASE_WORKERS")]
    async fn update_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateCaseInput`.")] input: UpdateCaseInput,
    ) -> Result<CasePayload> {
        let id = node::decode_uuid(&input.id, "Case", "id")?;
        let changes = CaseChanges {
            case_type: input.r#type.map(Into::into),
            priority: input.priority.map(Into::into),
            owner_agency_id: change(input.owner_agency_id, |id| {
                Ok(node::decode_uuid(&id, "Agency", "ownerAgencyId")?)
            })?,
            assigned_worker_id: change(input.assigned_worker_id, |id| {
                Ok(node::decode_uuid(&id, "Account", "assignedWorkerId")?)
            })?,
            review_due_on: change(input.review_due_on, Ok)?,
            summary: change(input.summary, Ok)?,
        };
        let model = update_case(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            id,
            input.version,
            changes,
        )
        .await?;
        live::emit(ctx, Kind::Case, model.id).await;
        Ok(CasePayload { case: Case(model) })
    }

    /// Moves a case to another phase, recorded as an event (ADMIN, COORDINATOR; agency staff
    /// for cases their agency owns).
    #[graphql(guard = "policy::CASE_WORKERS")]
    async fn change_case_phase(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ChangeCasePhaseInput`.")] input: ChangeCasePhaseInput,
    ) -> Result<CasePayload> {
        let change = PhaseInput {
            id: node::decode_uuid(&input.id, "Case", "id")?,
            version: input.version,
            to: input.to.into(),
            reason: input.reason,
            outcome: input.outcome.map(Into::into),
            client_occurred_at: input.client_occurred_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "changeCasePhase",
            json!(change),
        )?;
        let model = change_phase(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            change,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Case, model.id).await;
        Ok(CasePayload { case: Case(model) })
    }

    /// Sends a case's need to a partner agency (ADMIN, COORDINATOR; agency staff from a case
    /// their agency owns). Needs the household's consent to refer to that agency, or a
    /// coordinator's override reason.
    #[graphql(guard = "policy::CASE_WORKERS")]
    async fn refer_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ReferCaseInput`.")] input: ReferCaseInput,
    ) -> Result<ReferralPayload> {
        let new = NewReferral {
            case_id: node::decode_uuid(&input.case_id, "Case", "caseId")?,
            to_agency_id: node::decode_uuid(&input.to_agency_id, "Agency", "toAgencyId")?,
            service_id: opt_uuid(&input.service_id, "Service", "serviceId")?,
            technology_id: opt_uuid(&input.technology_id, "Technology", "technologyId")?,
            reason: input.reason,
            due_on: input.due_on,
            consent_override_reason: input.consent_override_reason,
            client_created_at: input.client_created_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "referCase",
            json!(new),
        )?;
        let s = services(ctx);
        let model = refer_case(
            &s.db,
            &scope(ctx),
            viewer(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            s.settings.referral_sla_days,
            new,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Referral, model.id).await;
        Ok(ReferralPayload {
            referral: Referral(model),
        })
    }

    /// Accepts or rejects a referral sent to your agency (ADMIN, AGENCY).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn respond_to_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RespondToReferralInput`.")]
        input: RespondToReferralInput,
    ) -> Result<ReferralPayload> {
        let action = match input.decision {
            ReferralDecision::Accept => ReferralAction::Accept,
            ReferralDecision::Reject => ReferralAction::Reject,
        };
        let id = node::decode_uuid(&input.id, "Referral", "id")?;
        self.move_referral(
            ctx,
            input.client_uuid,
            input.captured_at,
            "respondToReferral",
            ReferralMove::new(id, action, input.reason),
        )
        .await
    }

    /// Reports an ACCEPTED referral to your agency delivered: DONE (ADMIN, AGENCY).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn complete_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CompleteReferralInput`.")]
        input: CompleteReferralInput,
    ) -> Result<ReferralPayload> {
        let id = node::decode_uuid(&input.id, "Referral", "id")?;
        let step = ReferralMove::new(id, ReferralAction::Complete, input.note);
        self.move_referral(
            ctx,
            input.client_uuid,
            input.captured_at,
            "completeReferral",
            step,
        )
        .await
    }

    /// Withdraws a PENDING or ACCEPTED referral you sent (ADMIN, COORDINATOR in its areas,
    /// the sending agency's staff).
    #[graphql(guard = "policy::CASE_WORKERS")]
    async fn revoke_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RevokeReferralInput`.")] input: RevokeReferralInput,
    ) -> Result<ReferralPayload> {
        let id = node::decode_uuid(&input.id, "Referral", "id")?;
        let step = ReferralMove::new(id, ReferralAction::Revoke, Some(input.reason));
        self.move_referral(
            ctx,
            input.client_uuid,
            input.captured_at,
            "revokeReferral",
            step,
        )
        .await
    }

    /// Records what was delivered to a household on an ACCEPTED referral or an accepted
    /// match (ADMIN, COORDINATOR in its areas, the delivering agency's staff).
    #[graphql(guard = "policy::CASE_WORKERS")]
    async fn record_intervention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RecordInterventionInput`.")]
        input: RecordInterventionInput,
    ) -> Result<InterventionPayload> {
        let new = NewIntervention {
            referral_id: opt_uuid(&input.referral_id, "Referral", "referralId")?,
            match_id: opt_uuid(&input.match_id, "Match", "matchId")?,
            kind: input.kind.into(),
            target_capital: input.target_capital.map(Into::into),
            quantity: input.quantity,
            unit: input.unit,
            cost_satang: input
                .cost
                .map(|c| money::satang("cost", c, money::DELIVERY_COST))
                .transpose()?,
            delivered_on: input.delivered_on,
            notes: input.notes,
            client_created_at: input.client_created_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "recordIntervention",
            json!(new),
        )?;
        let model = record_intervention(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            new,
            key,
        )
        .await?;
        Ok(InterventionPayload {
            intervention: Intervention(model),
        })
    }

    /// Plans a visit to a household in your areas (ADMIN, COORDINATOR, SURVEYOR).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn schedule_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ScheduleVisitInput`.")] input: ScheduleVisitInput,
    ) -> Result<VisitPayload> {
        let new = NewVisit {
            household_id: node::decode_uuid(&input.household_id, "Household", "householdId")?,
            case_id: opt_uuid(&input.case_id, "Case", "caseId")?,
            visit_type: input.r#type.into(),
            scheduled_at: input.scheduled_at,
            notes: input.notes,
            client_uuid: input.client_uuid,
            client_created_at: input.client_created_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "scheduleVisit",
            json!(new),
        )?;
        let model = schedule_visit(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            new,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Visit, model.id).await;
        visit_payload(ctx, model).await
    }

    /// Marks a SCHEDULED visit COMPLETED, with an assessment made during it when given (both
    /// written in one transaction) (ADMIN, COORDINATOR, SURVEYOR).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn complete_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CompleteVisitInput`.")] input: CompleteVisitInput,
    ) -> Result<VisitPayload> {
        let id = node::decode_uuid(&input.id, "Visit", "id")?;
        let assessment = input
            .assessment
            // The household is the visit's; the service fills it in.
            .map(|a| a.into_new(Uuid::nil(), None, "assessment."))
            .transpose()?;
        let done = VisitCompletion {
            id,
            occurred_at: input.occurred_at,
            notes: input.notes,
            lat: input.location.map(|l| l.lat),
            lng: input.location.map(|l| l.lng),
            assessment,
            client_updated_at: input.client_updated_at.or(input.captured_at),
        };
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "completeVisit",
            json!(done),
        )?;
        let model = complete_visit(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            done,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Visit, model.id).await;
        visit_payload(ctx, model).await
    }

    /// Marks a SCHEDULED visit MISSED or CANCELLED (ADMIN, COORDINATOR, SURVEYOR).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn close_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CloseVisitInput`.")] input: CloseVisitInput,
    ) -> Result<VisitPayload> {
        let id = node::decode_uuid(&input.id, "Visit", "id")?;
        let key = key(
            ctx,
            input.client_uuid,
            input.captured_at,
            "closeVisit",
            json!({ "id": id, "status": format!("{:?}", input.status), "notes": input.notes }),
        )?;
        let model = close_visit(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            id,
            input.status.into(),
            input.notes,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Visit, model.id).await;
        visit_payload(ctx, model).await
    }
}

impl CaseMutation {
    async fn move_referral(
        &self,
        ctx: &Context<'_>,
        client_uuid: Option<Uuid>,
        captured_at: Option<DateTime<Utc>>,
        operation: &'static str,
        step: ReferralMove,
    ) -> Result<ReferralPayload> {
        let key = key(ctx, client_uuid, captured_at, operation, json!(step))?;
        let model = move_referral(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(captured_at)?,
            step,
            key,
        )
        .await?;
        live::emit(ctx, Kind::Referral, model.id).await;
        Ok(ReferralPayload {
            referral: Referral(model),
        })
    }
}

async fn visit_payload(ctx: &Context<'_>, model: entity::visit::Model) -> Result<VisitPayload> {
    let assessment = match model.assessment_id {
        Some(id) => loader(ctx)
            .load_one(AssessmentId(id))
            .await?
            .map(Assessment),
        None => None,
    };
    Ok(VisitPayload {
        visit: Visit(model),
        assessment,
    })
}
