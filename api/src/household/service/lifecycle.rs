//! A household's lifecycle (status transitions and their events) and its own fields.
use chrono::{NaiveDate, Utc};
use entity::{
    enums::{AuditAction, HouseholdStatus},
    household, household_status_event,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::household::validate::{check_location, check_size, text};
use crate::{
    audit::service::{Actor, AuditEntry},
    error::{ApiError, ApiResult},
    idempotency::{self, IdemKey},
};

use super::*;

/// A lifecycle event: `household_id` went from `from` (none for a new household) to `to`.
pub struct StatusChange<'a> {
    pub household_id: Uuid,
    pub from: Option<HouseholdStatus>,
    pub to: HouseholdStatus,
    pub reason: Option<&'a str>,
    pub evidence: Option<&'a Evidence>,
}

/// The event row of `change` (one builder for single writes and for the import's batches).
pub(crate) fn status_row(
    change: &StatusChange<'_>,
    actor: &Actor,
    now: chrono::DateTime<Utc>,
) -> household_status_event::ActiveModel {
    let evidence = change.evidence;
    household_status_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(change.household_id),
        from_status: Set(change.from),
        to_status: Set(change.to),
        reason: Set(change.reason.map(str::to_string)),
        note: Set(evidence.and_then(|e| e.note.clone())),
        verified_on: Set(evidence.and_then(|e| e.verified_on)),
        lat: Set(evidence.and_then(|e| e.location).map(|l| l.0)),
        lng: Set(evidence.and_then(|e| e.location).map(|l| l.1)),
        actor_id: Set(actor.id),
        occurred_at: Set(now),
        client_occurred_at: Set(evidence.and_then(|e| e.client_occurred_at)),
    }
}

/// Writes the event of a status change.
pub async fn record_status(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    change: StatusChange<'_>,
) -> ApiResult<()> {
    status_row(&change, actor, Utc::now()).insert(conn).await?;
    Ok(())
}

/// Verification evidence, or the context of another transition.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Evidence {
    pub verified_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub location: Option<(f64, f64)>,
    pub client_occurred_at: Option<chrono::DateTime<Utc>>,
}

/// A requested status change of a household the caller saw at `version`.
#[derive(Debug, Clone)]
pub struct Transition {
    pub household_id: Uuid,
    pub version: i32,
    pub to: HouseholdStatus,
    pub reason: Option<String>,
    pub evidence: Evidence,
}

/// Moves a household along its lifecycle. VERIFIED needs the verification date; side exits
/// and relapse need a reason. DUPLICATE is reached only through `resolveDuplicate`.
/// GRADUATED needs the graduation criteria and writes the graduation; relapse records itself
/// on it (`crate::graduation`).
pub async fn transition_household(
    caller: &Caller<'_>,
    transition: Transition,
    measurement: &crate::config::MeasurementSettings,
    idem: Option<IdemKey>,
) -> ApiResult<household::Model> {
    let Caller { db, scope, actor } = *caller;
    let Transition {
        household_id: id,
        version,
        to,
        reason,
        evidence,
    } = transition;
    idempotency::run(db, idem.as_ref(), || async {
        let current = find_household(db, scope, id).await?;
        // A stale version first: what the client saw is out of date, whatever it asked for.
        if current.version != version {
            return Err(ApiError::stale("household"));
        }
        if to == HouseholdStatus::Duplicate {
            return Err(ApiError::bad_input(
                "to",
                "mark duplicates with resolveDuplicate (MERGE)",
            ));
        }
        if !current.status.can_become(to) {
            return Err(ApiError::bad_input(
                "to",
                format!(
                    "a {} household cannot become {}",
                    current.status.to_value(),
                    to.to_value()
                ),
            ));
        }
        let reason = text(reason.as_deref(), "reason", 1000)?;
        let needs_reason = matches!(
            to,
            HouseholdStatus::NotEligible | HouseholdStatus::NotFound | HouseholdStatus::Exited
        ) || (current.status == HouseholdStatus::Graduated
            && to == HouseholdStatus::Enrolled);
        if needs_reason && reason.is_none() {
            return Err(ApiError::bad_input("reason", "say why"));
        }
        let note = text(evidence.note.as_deref(), "evidence.note", 2000)?;
        let location = check_location(
            evidence.location.map(|l| l.0),
            evidence.location.map(|l| l.1),
        )
        .map_err(|_| ApiError::bad_input("evidence.location", "the point is not in Thailand"))?;
        let mut extra = vec![(household::Column::Status, Expr::value(to))];
        if to == HouseholdStatus::Verified {
            let Some(on) = evidence.verified_on else {
                return Err(ApiError::bad_input(
                    "evidence.verifiedOn",
                    "verification needs its date",
                ));
            };
            if on > Utc::now().date_naive() {
                return Err(ApiError::bad_input(
                    "evidence.verifiedOn",
                    "the date is in the future",
                ));
            }
            extra.push((household::Column::VerifiedOn, Expr::value(on)));
        }
        if to == HouseholdStatus::Graduated {
            crate::graduation::service::check_ready(db, &current, measurement).await?;
        }
        if current.version != version {
            return Err(ApiError::stale("household"));
        }
        let evidence = Evidence {
            note,
            location,
            ..evidence
        };
        let txn = db.begin().await?;
        claim_household(&txn, actor, id, version, &extra).await?;
        record_status(
            &txn,
            actor,
            StatusChange {
                household_id: id,
                from: Some(current.status),
                to,
                reason: reason.as_deref(),
                evidence: Some(&evidence),
            },
        )
        .await?;
        crate::graduation::service::on_transition(
            &txn,
            &current,
            to,
            reason.as_deref(),
            actor,
            measurement,
        )
        .await?;
        crate::rollup::touch(&txn, &[id]).await?;
        let mut entry = AuditEntry::by(actor, AuditAction::Transition)
            .entity("Household", id)
            .fields(["status"]);
        if let Some(r) = &reason {
            entry = entry.reason(r.clone());
        }
        idempotency::commit(txn, entry, idem.as_ref(), id).await
    })
    .await?;
    household::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("household"))
}

/// Changes to a household's own fields; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HouseholdChanges {
    pub house_number: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub location: Option<Option<(f64, f64)>>,
    pub household_size: Option<Option<i32>>,
    pub client_updated_at: Option<chrono::DateTime<Utc>>,
}

pub async fn update_household(
    caller: &Caller<'_>,
    id: Uuid,
    version: i32,
    changes: HouseholdChanges,
    idem: Option<IdemKey>,
) -> ApiResult<household::Model> {
    let Caller { db, scope, actor } = *caller;
    idempotency::run(db, idem.as_ref(), || async {
        let current = find_household(db, scope, id).await?;
        let mut extra = Vec::new();
        let mut fields = Vec::new();
        if let Some(v) = &changes.house_number {
            extra.push((
                household::Column::HouseNumber,
                Expr::value(text(v.as_deref(), "houseNumber", 50)?),
            ));
            fields.push("houseNumber");
        }
        if let Some(v) = &changes.address {
            extra.push((
                household::Column::Address,
                Expr::value(text(v.as_deref(), "address", 500)?),
            ));
            fields.push("address");
        }
        if let Some(v) = &changes.location {
            let loc = check_location(v.map(|l| l.0), v.map(|l| l.1))?;
            extra.push((household::Column::Lat, Expr::value(loc.map(|l| l.0))));
            extra.push((household::Column::Lng, Expr::value(loc.map(|l| l.1))));
            fields.push("location");
        }
        if let Some(v) = changes.household_size {
            extra.push((
                household::Column::HouseholdSize,
                Expr::value(check_size(v)?),
            ));
            fields.push("householdSize");
        }
        if let Some(t) = changes.client_updated_at {
            extra.push((household::Column::ClientUpdatedAt, Expr::value(t)));
        }
        if current.version != version {
            return Err(ApiError::stale("household"));
        }
        let txn = db.begin().await?;
        claim_household(&txn, actor, id, version, &extra).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", id)
                .fields(fields),
            idem.as_ref(),
            id,
        )
        .await
    })
    .await?;
    household::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("household"))
}
