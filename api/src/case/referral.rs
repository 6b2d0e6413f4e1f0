//! Referrals: a case's need sent to a partner agency, gated on the household's consent (or a
//! coordinator's recorded override), and the recipient's answer.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    agency_coverage,
    enums::{AuditAction, CasePhase, ConsentPurpose, ReferralStatus},
    household, referral, service, technology,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    lifecycle::{ReferralAction, referral_after},
    service::{active_agency, check_case_owner, find_case, name, visible_referrals},
};
use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::{Scope, Viewer, policy},
    consent::service::covering_consent,
    error::{ApiError, ApiResult},
    household::validate::text,
    idempotency::{self, IdemKey},
};

#[derive(Debug, Clone, Serialize)]
pub struct NewReferral {
    pub case_id: Uuid,
    pub to_agency_id: Uuid,
    pub service_id: Option<Uuid>,
    pub technology_id: Option<Uuid>,
    pub reason: String,
    pub due_on: Option<NaiveDate>,
    pub consent_override_reason: Option<String>,
    pub client_created_at: Option<DateTime<Utc>>,
}

/// A referral the scope may see, or NOT_FOUND.
pub async fn find_referral(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<referral::Model> {
    visible_referrals(scope)
        .filter(referral::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("referral"))
}

/// Whether the agency covers the village (one of its coverage codes is a prefix of it).
async fn covers(db: &impl ConnectionTrait, agency_id: Uuid, village: &str) -> ApiResult<bool> {
    let codes = agency_coverage::Entity::find()
        .filter(agency_coverage::Column::AgencyId.eq(agency_id))
        .all(db)
        .await?;
    Ok(codes
        .iter()
        .any(|c| village.starts_with(c.area_code.as_str())))
}

/// What the referral asks for must be the recipient's own, active service or technology.
async fn check_offer(db: &impl ConnectionTrait, input: &NewReferral) -> ApiResult<()> {
    if input.service_id.is_some() && input.technology_id.is_some() {
        return Err(ApiError::bad_input(
            "technologyId",
            "ask for a service or a technology, not both",
        ));
    }
    if let Some(id) = input.service_id {
        let ok = service::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|s| s.active && s.agency_id == input.to_agency_id);
        if !ok {
            return Err(ApiError::bad_input(
                "serviceId",
                "the receiving agency offers no active service with this id",
            ));
        }
    }
    if let Some(id) = input.technology_id {
        let ok = technology::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|t| t.active && t.agency_id == input.to_agency_id);
        if !ok {
            return Err(ApiError::bad_input(
                "technologyId",
                "the receiving agency delivers no active technology with this id",
            ));
        }
    }
    Ok(())
}

/// Sends a case's need to a partner agency. Checked first: the case is open (and, for AGENCY
/// staff, their agency's); the recipient is active, another agency, and covers the household's
/// village; the service or technology is the recipient's; and the household's consent, valid
/// now, covers REFERRAL to the recipient — or a COORDINATOR (or ADMIN) gives an override
/// reason, audited as CONSENT_OVERRIDE. The referral keeps the consent or the override.
pub async fn refer_case(
    db: &DatabaseConnection,
    scope: &Scope,
    viewer: &Viewer,
    actor: &Actor,
    sla_days: u32,
    input: NewReferral,
    idem: Option<IdemKey>,
) -> ApiResult<referral::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let case = find_case(db, scope, input.case_id).await?;
        check_case_owner(scope, &case)?;
        if case.phase == CasePhase::Closed {
            return Err(ApiError::bad_input(
                "caseId",
                "the case is closed; reopen it first",
            ));
        }
        let to = active_agency(db, input.to_agency_id, "toAgencyId").await?;
        // The sender is the caller's agency; provincial staff without one send as themselves.
        let from = viewer.account().ok().and_then(|a| a.agency_id);
        if from == Some(to.id) {
            return Err(ApiError::bad_input(
                "toAgencyId",
                "a referral goes to another agency",
            ));
        }
        let household = household::Entity::find_by_id(case.household_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("household"))?;
        if !covers(db, to.id, &household.village_code).await? {
            return Err(ApiError::bad_input(
                "toAgencyId",
                "this agency does not cover the household's area",
            ));
        }
        check_offer(db, &input).await?;
        let reason = text(Some(&input.reason), "reason", 2000)?
            .ok_or_else(|| ApiError::bad_input("reason", "say what the household needs"))?;
        let today = Utc::now().date_naive();
        let due_on = match input.due_on {
            Some(d) if d < today => {
                return Err(ApiError::bad_input("dueOn", "the due date has passed"));
            }
            Some(d) => d,
            None => today + chrono::Duration::days(i64::from(sla_days)),
        };
        let now = Utc::now();
        let consent =
            covering_consent(db, to.id, household.id, ConsentPurpose::Referral, now).await?;
        let override_reason = match (&consent, &input.consent_override_reason) {
            (Some(_), _) => None,
            (None, Some(r)) => {
                policy::COORDINATORS.check(viewer)?;
                Some(
                    text(Some(r), "consentOverrideReason", 2000)?.ok_or_else(|| {
                        ApiError::bad_input(
                            "consentOverrideReason",
                            "say why consent is overridden",
                        )
                    })?,
                )
            }
            (None, None) => {
                return Err(ApiError::bad_input(
                    "toAgencyId",
                    "the household has no consent, valid now, to be referred to this agency; \
                     record the consent first, or (as a coordinator) give consentOverrideReason",
                ));
            }
        };

        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        referral::ActiveModel {
            id: Set(id),
            case_id: Set(case.id),
            household_id: Set(household.id),
            from_agency_id: Set(from),
            to_agency_id: Set(to.id),
            service_id: Set(input.service_id),
            technology_id: Set(input.technology_id),
            reason: Set(reason),
            status: Set(ReferralStatus::Pending),
            due_on: Set(due_on),
            consent_id: Set(consent.map(|c| c.id)),
            override_reason: Set(override_reason.clone()),
            response_note: Set(None),
            rejection_reason: Set(None),
            revoke_reason: Set(None),
            accepted_at: Set(None),
            rejected_at: Set(None),
            completed_at: Set(None),
            revoked_at: Set(None),
            version: Set(1),
            created_by: Set(actor.id),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(input.client_created_at),
        }
        .insert(&txn)
        .await?;
        if let Some(r) = override_reason {
            record(
                &txn,
                AuditEntry::by(actor, AuditAction::ConsentOverride)
                    .entity("Referral", id)
                    .fields(["toAgency", "household"])
                    .reason(r),
            )
            .await?;
        }
        crate::rollup::touch(&txn, &[household.id]).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Referral", id)
                .fields([
                    "case",
                    "toAgency",
                    "service",
                    "technology",
                    "reason",
                    "dueOn",
                ]),
            idem.as_ref(),
            id,
        )
        .await
    })
    .await?;
    read_referral(db, &id).await
}

async fn read_referral(db: &impl ConnectionTrait, id: &str) -> ApiResult<referral::Model> {
    let id = Uuid::parse_str(id).map_err(ApiError::internal)?;
    referral::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("referral"))
}

/// One step of a referral's life: accept, reject, complete (the recipient) or revoke (the
/// sender). `text` is the reason (required to reject and to revoke) or the note.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralMove {
    pub id: Uuid,
    #[serde(skip)]
    pub action: ReferralAction,
    pub action_name: &'static str,
    pub text: Option<String>,
}

impl ReferralMove {
    pub fn new(id: Uuid, action: ReferralAction, text: Option<String>) -> Self {
        let action_name = match action {
            ReferralAction::Accept => "accepted",
            ReferralAction::Reject => "rejected",
            ReferralAction::Complete => "completed",
            ReferralAction::Revoke => "revoked",
        };
        Self {
            id,
            action,
            action_name,
            text,
        }
    }
}

/// Moves a referral. The recipient accepts, rejects (with a reason) and completes; the sender
/// revokes (with a reason); ADMIN may do all. An illegal step is BAD_USER_INPUT on `id`.
pub async fn move_referral(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: ReferralMove,
    idem: Option<IdemKey>,
) -> ApiResult<referral::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let current = find_referral(db, scope, input.id).await?;
        let sender = matches!(input.action, ReferralAction::Revoke);
        if let Scope::Agency(agency) = scope {
            let party = if sender {
                current.from_agency_id
            } else {
                Some(current.to_agency_id)
            };
            if party != Some(*agency) {
                return Err(ApiError::Forbidden);
            }
        }
        let to = referral_after(current.status, input.action).ok_or_else(|| {
            ApiError::bad_input(
                "id",
                format!(
                    "a {} referral cannot be {}",
                    name(current.status),
                    input.action_name
                ),
            )
        })?;
        let field = if matches!(input.action, ReferralAction::Complete) {
            "note"
        } else {
            "reason"
        };
        let text = text(input.text.as_deref(), field, 2000)?;
        let needs_reason = matches!(
            input.action,
            ReferralAction::Reject | ReferralAction::Revoke
        );
        if needs_reason && text.is_none() {
            return Err(ApiError::bad_input("reason", "say why"));
        }
        let now = Utc::now();
        let (at, text_column) = match input.action {
            ReferralAction::Accept => {
                (referral::Column::AcceptedAt, referral::Column::ResponseNote)
            }
            ReferralAction::Reject => (
                referral::Column::RejectedAt,
                referral::Column::RejectionReason,
            ),
            ReferralAction::Complete => (
                referral::Column::CompletedAt,
                referral::Column::ResponseNote,
            ),
            ReferralAction::Revoke => (referral::Column::RevokedAt, referral::Column::RevokeReason),
        };
        let txn = db.begin().await?;
        let mut update = referral::Entity::update_many()
            .col_expr(referral::Column::Status, Expr::value(to))
            .col_expr(at, Expr::value(now))
            .col_expr(referral::Column::Version, Expr::value(current.version + 1))
            .col_expr(referral::Column::UpdatedAt, Expr::value(now));
        if text.is_some() {
            update = update.col_expr(text_column, Expr::value(text.clone()));
        }
        let res = update
            .filter(referral::Column::Id.eq(current.id))
            .filter(referral::Column::Status.eq(current.status))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(ApiError::stale("referral"));
        }
        crate::rollup::touch(&txn, &[current.household_id]).await?;
        let mut entry = AuditEntry::by(actor, AuditAction::Transition)
            .entity("Referral", current.id)
            .fields(["status"]);
        if let Some(t) = text.filter(|_| needs_reason) {
            entry = entry.reason(t);
        }
        idempotency::commit(txn, entry, idem.as_ref(), current.id).await
    })
    .await?;
    read_referral(db, &id).await
}
