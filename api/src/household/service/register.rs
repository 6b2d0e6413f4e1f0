//! Registering a household: the one way a new household is written (GraphQL and import).
use chrono::Utc;
use entity::{
    enums::{AuditAction, HouseholdStatus},
    household, household_external_id, membership, potential_duplicate,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::household::{
    duplicates,
    validate::{
        HouseholdInput, check_external_ids, check_location, check_members, check_size,
        check_village, text,
    },
};
use crate::{
    audit::service::AuditEntry,
    error::{ApiError, ApiResult},
    idempotency::{self, IdemKey},
    pii::PiiCipher,
};

use super::*;

pub struct Registered {
    pub household: household::Model,
    pub potential_duplicates: Vec<potential_duplicate::Model>,
}

/// Registers a household with its members (DISCOVERED). Exact ID duplicates are CONFLICT;
/// similar records are flagged as potential duplicates for review.
pub async fn register_household(
    caller: &Caller<'_>,
    pii: &PiiCipher,
    input: HouseholdInput,
    idem: Option<IdemKey>,
) -> ApiResult<Registered> {
    let Caller { db, scope, actor } = *caller;
    let id = idempotency::run(db, idem.as_ref(), || async {
        let village = check_village(db, &input.village_code, scope).await?;
        let location = check_location(input.lat, input.lng)?;
        let size = check_size(input.household_size)?;
        let external_ids = check_external_ids(&input.external_ids)?;
        let house_number = text(input.house_number.as_deref(), "houseNumber", 50)?;
        let address = text(input.address.as_deref(), "address", 500)?;
        let members = check_members(&input.members, pii)?;
        for (i, (_, _, p)) in members.iter().enumerate() {
            if let Some(s) = &p.sealed {
                check_id_not_registered(
                    db,
                    scope,
                    &s.hash,
                    &format!("members[{i}].person.nationalId"),
                )
                .await?;
            }
        }
        for (i, (scheme, value)) in external_ids.iter().enumerate() {
            if household_external_id::Entity::find_by_id((scheme.clone(), value.clone()))
                .one(db)
                .await?
                .is_some()
            {
                return Err(ApiError::Conflict(format!(
                    "externalIds[{i}]: {scheme} id '{value}' belongs to another household"
                )));
            }
        }

        let now = Utc::now();
        let household_id = Uuid::now_v7();
        let txn = db.begin().await?;
        household::ActiveModel {
            id: Set(household_id),
            village_code: Set(village.clone()),
            house_number: Set(house_number),
            address: Set(address),
            lat: Set(location.map(|l| l.0)),
            lng: Set(location.map(|l| l.1)),
            source: Set(input.source),
            status: Set(HouseholdStatus::Discovered),
            household_size: Set(size),
            merged_into_id: Set(None),
            verified_on: Set(None),
            version: Set(1),
            created_by: Set(actor.id),
            updated_by: Set(actor.id),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(input.client_created_at),
            client_updated_at: Set(input.client_created_at),
        }
        .insert(&txn)
        .await?;
        for (scheme, value) in &external_ids {
            household_external_id::ActiveModel {
                household_id: Set(household_id),
                scheme: Set(scheme.clone()),
                value: Set(value.clone()),
            }
            .insert(&txn)
            .await?;
        }
        let mut new_persons = Vec::with_capacity(members.len());
        for (role, start, p) in &members {
            let person_id = Uuid::now_v7();
            person_row(p, person_id, now).insert(&txn).await?;
            membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                household_id: Set(household_id),
                person_id: Set(person_id),
                role: Set(*role),
                start_date: Set(*start),
                end_date: Set(None),
                end_reason: Set(None),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            new_persons.push((person_id, p.clone()));
        }
        record_status(
            &txn,
            actor,
            StatusChange {
                household_id,
                from: None,
                to: HouseholdStatus::Discovered,
                reason: Some("registered"),
                evidence: None,
            },
        )
        .await?;
        duplicates::flag_similar(&txn, household_id, &village, &new_persons).await?;
        crate::rollup::touch(&txn, &[household_id]).await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Household", household_id)
                .fields([
                    "villageCode",
                    "houseNumber",
                    "address",
                    "location",
                    "source",
                    "householdSize",
                    "externalIds",
                    "members",
                ]),
            idem.as_ref(),
            household_id,
        )
        .await
    })
    .await?;
    let id = Uuid::parse_str(&id).map_err(ApiError::internal)?;
    let household = household::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("household"))?;
    let potential_duplicates = potential_duplicate::Entity::find()
        .filter(potential_duplicate::Column::HouseholdId.eq(id))
        .all(db)
        .await?;
    Ok(Registered {
        household,
        potential_duplicates,
    })
}
