//! Interventions: what a partner agency delivered, on an accepted referral or a match.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    enums::{AuditAction, Capital, InterventionKind, MatchStatus, ReferralStatus},
    intervention, r#match as matches,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use super::{referral::find_referral, service::name};
use crate::{
    audit::service::{Actor, AuditEntry},
    auth::Scope,
    error::{ApiError, ApiResult},
    household::validate::text,
    idempotency::{self, IdemKey},
    matching::service::visible_matches,
};

/// The largest quantity one intervention records (in its own unit).
pub const MAX_QUANTITY: f64 = 1_000_000_000.0;

#[derive(Debug, Clone, Serialize)]
pub struct NewIntervention {
    pub referral_id: Option<Uuid>,
    pub match_id: Option<Uuid>,
    pub kind: InterventionKind,
    pub target_capital: Option<Capital>,
    pub quantity: f64,
    pub unit: String,
    pub cost_satang: Option<i64>,
    pub delivered_on: NaiveDate,
    pub notes: Option<String>,
    pub client_created_at: Option<DateTime<Utc>>,
}

/// What an intervention fulfils, as found: its household, case and delivering agency.
struct Fulfils {
    household_id: Uuid,
    case_id: Option<Uuid>,
    delivering_agency_id: Uuid,
}

async fn what_it_fulfils(
    db: &DatabaseConnection,
    scope: &Scope,
    input: &NewIntervention,
) -> ApiResult<Fulfils> {
    match (input.referral_id, input.match_id) {
        (Some(id), None) => {
            let r = find_referral(db, scope, id).await.map_err(|e| {
                e.not_found_as_input("referralId", "no referral you may see has this id")
            })?;
            if let Scope::Agency(agency) = scope
                && r.to_agency_id != *agency
            {
                return Err(ApiError::Forbidden);
            }
            if r.status != ReferralStatus::Accepted {
                return Err(ApiError::bad_input(
                    "referralId",
                    format!(
                        "the referral is {}; record what was delivered on an ACCEPTED one",
                        name(r.status)
                    ),
                ));
            }
            Ok(Fulfils {
                household_id: r.household_id,
                case_id: Some(r.case_id),
                delivering_agency_id: r.to_agency_id,
            })
        }
        (None, Some(id)) => {
            let m = visible_matches(scope)
                .filter(matches::Column::Id.eq(id))
                .one(db)
                .await?
                .ok_or_else(|| {
                    ApiError::bad_input("matchId", "no match you may see has this id")
                })?;
            let delivering = matches!(
                m.status,
                MatchStatus::Accepted
                    | MatchStatus::InTraining
                    | MatchStatus::Adopted
                    | MatchStatus::Sustained
            );
            if !delivering {
                return Err(ApiError::bad_input(
                    "matchId",
                    format!(
                        "the match is {}; record what was delivered once it is ACCEPTED",
                        name(m.status)
                    ),
                ));
            }
            Ok(Fulfils {
                household_id: m.household_id,
                case_id: None,
                delivering_agency_id: m.delivering_agency_id,
            })
        }
        _ => Err(ApiError::bad_input(
            "referralId",
            "give what it fulfils: referralId or matchId (one of them)",
        )),
    }
}

/// Records a delivery. Checked first: what it fulfils (an ACCEPTED referral to the delivering
/// agency, or a match it delivers that the household accepted), a positive quantity with a
/// unit, the cost, and a delivery date not in the future.
pub async fn record_intervention(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewIntervention,
    idem: Option<IdemKey>,
) -> ApiResult<intervention::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let fulfils = what_it_fulfils(db, scope, &input).await?;
        if !(input.quantity.is_finite() && input.quantity > 0.0 && input.quantity <= MAX_QUANTITY) {
            return Err(ApiError::bad_input(
                "quantity",
                "a quantity is above 0 and at most 1,000,000,000",
            ));
        }
        let unit = text(Some(&input.unit), "unit", 32)?
            .ok_or_else(|| ApiError::bad_input("unit", "say what is counted (e.g. house, kg)"))?;
        if input.delivered_on > Utc::now().date_naive() {
            return Err(ApiError::bad_input(
                "deliveredOn",
                "the date is in the future",
            ));
        }
        let notes = text(input.notes.as_deref(), "notes", 4000)?;
        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        intervention::ActiveModel {
            id: Set(id),
            household_id: Set(fulfils.household_id),
            case_id: Set(fulfils.case_id),
            referral_id: Set(input.referral_id),
            match_id: Set(input.match_id),
            kind: Set(input.kind),
            target_capital: Set(input.target_capital),
            quantity: Set(input.quantity),
            unit: Set(unit),
            cost_satang: Set(input.cost_satang),
            delivered_on: Set(input.delivered_on),
            delivering_agency_id: Set(fulfils.delivering_agency_id),
            notes: Set(notes),
            recorded_by: Set(actor.id),
            created_at: Set(Utc::now()),
            client_created_at: Set(input.client_created_at),
        }
        .insert(&txn)
        .await?;
        crate::rollup::touch(&txn, &[fulfils.household_id]).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Intervention", id)
                .fields(["kind", "quantity", "unit", "cost", "deliveredOn", "notes"]),
            idem.as_ref(),
            id,
        )
        .await
    })
    .await?;
    let id = Uuid::parse_str(&id).map_err(ApiError::internal)?;
    intervention::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("intervention"))
}
