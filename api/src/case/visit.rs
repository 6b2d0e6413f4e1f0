//! Visits: field staff's follow-ups, scheduled then completed (possibly with a new assessment,
//! in the same transaction), missed or cancelled.
use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::{AuditAction, CasePhase, VisitStatus, VisitType},
    visit,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    lifecycle::visit_may_become,
    service::{find_case, name, visible_visits},
};
use crate::{
    assessment::service::{NewAssessment, check_assessment, write_assessment},
    audit::service::{Actor, AuditEntry},
    auth::Scope,
    error::{ApiError, ApiResult},
    household::{
        service::find_household,
        validate::{check_location, text},
    },
    idempotency::{self, IdemKey},
};

#[derive(Debug, Clone, Serialize)]
pub struct NewVisit {
    pub household_id: Uuid,
    pub case_id: Option<Uuid>,
    pub visit_type: VisitType,
    pub scheduled_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub client_uuid: Option<Uuid>,
    pub client_created_at: Option<DateTime<Utc>>,
}

/// A visit the scope may see, or NOT_FOUND.
pub async fn find_visit(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<visit::Model> {
    visible_visits(scope)
        .filter(visit::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("visit"))
}

/// Schedules a visit to a household in scope (optionally for one of its open cases).
pub async fn schedule_visit(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewVisit,
    idem: Option<IdemKey>,
) -> ApiResult<visit::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let household = find_household(db, scope, input.household_id).await?;
        if let Some(case_id) = input.case_id {
            let case = find_case(db, scope, case_id)
                .await
                .map_err(|e| e.not_found_as_input("caseId", "no case you may see has this id"))?;
            if case.household_id != household.id {
                return Err(ApiError::bad_input(
                    "caseId",
                    "the case belongs to another household",
                ));
            }
            if case.phase == CasePhase::Closed {
                return Err(ApiError::bad_input("caseId", "the case is closed"));
            }
        }
        let now = Utc::now();
        if input.scheduled_at < now - Duration::days(366)
            || input.scheduled_at > now + Duration::days(2 * 366)
        {
            return Err(ApiError::bad_input(
                "scheduledAt",
                "a visit is scheduled within a year back and two years ahead",
            ));
        }
        let notes = text(input.notes.as_deref(), "notes", 4000)?;
        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        visit::ActiveModel {
            id: Set(id),
            household_id: Set(household.id),
            case_id: Set(input.case_id),
            visit_type: Set(input.visit_type),
            status: Set(VisitStatus::Scheduled),
            scheduled_at: Set(input.scheduled_at),
            occurred_at: Set(None),
            notes: Set(notes),
            lat: Set(None),
            lng: Set(None),
            visitor_id: Set(None),
            assessment_id: Set(None),
            client_uuid: Set(input.client_uuid),
            version: Set(1),
            created_by: Set(actor.id),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(input.client_created_at),
            client_updated_at: Set(input.client_created_at),
        }
        .insert(&txn)
        .await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Visit", id)
                .fields(["household", "case", "type", "scheduledAt", "notes"]),
            idem.as_ref(),
            id,
        )
        .await
    })
    .await?;
    read_visit(db, &id).await
}

async fn read_visit(db: &impl ConnectionTrait, id: &str) -> ApiResult<visit::Model> {
    let id = Uuid::parse_str(id).map_err(ApiError::internal)?;
    visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("visit"))
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitCompletion {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The assessment made during the visit (its `household_id` is replaced by the visit's).
    pub assessment: Option<NewAssessment>,
    pub client_updated_at: Option<DateTime<Utc>>,
}

/// Errors of the carried assessment name its input as `assessment.<field>`.
fn in_assessment(err: ApiError) -> ApiError {
    match err {
        ApiError::BadUserInput { field, message } if !field.starts_with("assessment.") => {
            ApiError::bad_input(format!("assessment.{field}"), message)
        }
        other => other,
    }
}

/// Marks a SCHEDULED visit COMPLETED; with an assessment, the assessment is checked first
/// and written in the same transaction (both or neither).
pub async fn complete_visit(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: VisitCompletion,
    idem: Option<IdemKey>,
) -> ApiResult<visit::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let current = find_visit(db, scope, input.id).await?;
        check_step(&current, VisitStatus::Completed)?;
        if input.occurred_at > Utc::now() + Duration::minutes(5) {
            return Err(ApiError::bad_input(
                "occurredAt",
                "the time is in the future",
            ));
        }
        let location = check_location(input.lat, input.lng)?;
        let notes = text(input.notes.as_deref(), "notes", 4000)?;
        let checked = match &input.assessment {
            Some(a) => {
                let a = NewAssessment {
                    household_id: current.household_id,
                    ..a.clone()
                };
                Some(
                    check_assessment(db, scope, actor, &a)
                        .await
                        .map_err(in_assessment)?,
                )
            }
            None => None,
        };
        let txn = db.begin().await?;
        // The assessment first: the visit refers to it.
        let assessment_id = match checked {
            Some(c) => Some(write_assessment(&txn, actor, c).await?),
            None => None,
        };
        let mut set = vec![
            (visit::Column::OccurredAt, Expr::value(input.occurred_at)),
            (visit::Column::VisitorId, Expr::value(actor.id)),
            (visit::Column::AssessmentId, Expr::value(assessment_id)),
        ];
        if notes.is_some() {
            set.push((visit::Column::Notes, Expr::value(notes)));
        }
        if let Some((lat, lng)) = location {
            set.push((visit::Column::Lat, Expr::value(lat)));
            set.push((visit::Column::Lng, Expr::value(lng)));
        }
        if let Some(at) = input.client_updated_at {
            set.push((visit::Column::ClientUpdatedAt, Expr::value(at)));
        }
        claim_visit(&txn, &current, VisitStatus::Completed, set).await?;
        if assessment_id.is_some() {
            crate::rollup::touch(&txn, &[current.household_id]).await?;
        }
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Transition)
                .entity("Visit", current.id)
                .fields(["status", "occurredAt", "notes", "location", "assessment"]),
            idem.as_ref(),
            current.id,
        )
        .await
    })
    .await?;
    read_visit(db, &id).await
}

fn check_step(current: &visit::Model, to: VisitStatus) -> ApiResult<()> {
    if visit_may_become(current.status, to) {
        return Ok(());
    }
    Err(ApiError::bad_input(
        "id",
        format!(
            "the visit is already {}; it cannot become {}",
            name(current.status),
            name(to)
        ),
    ))
}

/// Moves a visit out of SCHEDULED if it still is (CONFLICT when someone else was first).
async fn claim_visit(
    conn: &impl ConnectionTrait,
    current: &visit::Model,
    to: VisitStatus,
    set: Vec<(visit::Column, SimpleExpr)>,
) -> ApiResult<()> {
    let mut update = visit::Entity::update_many()
        .col_expr(visit::Column::Status, Expr::value(to))
        .col_expr(visit::Column::Version, Expr::value(current.version + 1))
        .col_expr(visit::Column::UpdatedAt, Expr::value(Utc::now()));
    for (col, value) in set {
        update = update.col_expr(col, value);
    }
    let res = update
        .filter(visit::Column::Id.eq(current.id))
        .filter(visit::Column::Status.eq(VisitStatus::Scheduled))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::stale("visit"));
    }
    Ok(())
}

/// Marks a SCHEDULED visit MISSED or CANCELLED.
pub async fn close_visit(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    to: VisitStatus,
    notes: Option<String>,
    idem: Option<IdemKey>,
) -> ApiResult<visit::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        if !matches!(to, VisitStatus::Missed | VisitStatus::Cancelled) {
            return Err(ApiError::bad_input(
                "status",
                "a visit is closed as MISSED or CANCELLED (use completeVisit to complete it)",
            ));
        }
        let current = find_visit(db, scope, id).await?;
        check_step(&current, to)?;
        let notes = text(notes.as_deref(), "notes", 4000)?;
        let mut set = Vec::new();
        if notes.is_some() {
            set.push((visit::Column::Notes, Expr::value(notes)));
        }
        let txn = db.begin().await?;
        claim_visit(&txn, &current, to, set).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Transition)
                .entity("Visit", current.id)
                .fields(["status", "notes"]),
            idem.as_ref(),
            current.id,
        )
        .await
    })
    .await?;
    read_visit(db, &id).await
}
