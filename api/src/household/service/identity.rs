//! Persons: the ID-number uniqueness check, person rows, updates and revealing an ID number.
use chrono::Utc;
use entity::{enums::AuditAction, household, membership, person};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::household::validate::{CheckedPerson, PersonInput, check_person, text};
use crate::{
    audit::service::{AuditEntry, record},
    auth::{Scope, Viewer, policy},
    error::{ApiError, ApiResult},
    graphql::node,
    idempotency::{self, IdemKey},
    pii::PiiCipher,
};

use super::*;

/// The CONFLICT for an ID number registered where the caller may not look (another scope, or
/// no current household): it must not confirm that the number exists.
pub const PERSON_ELSEWHERE: &str =
    "this person cannot be added here; ask a coordinator to check for an existing registration";
/// The same for an external id (`externalIds`, the import's `household_external_id`).
pub const EXTERNAL_ID_ELSEWHERE: &str =
    "this id cannot be used here; ask a coordinator to check for an existing registration";

/// CONFLICT for an ID number already registered, naming the household when the caller may see
/// it, otherwise `PERSON_ELSEWHERE`.
pub(super) async fn check_id_not_registered(
    db: &impl ConnectionTrait,
    scope: &Scope,
    hash: &str,
    field: &str,
) -> ApiResult<()> {
    let Some(existing) = person::Entity::find()
        .filter(person::Column::NationalIdHash.eq(hash))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let household = membership::Entity::find()
        .filter(membership::Column::PersonId.eq(existing.id))
        .filter(
            membership::Column::HouseholdId.in_subquery(
                visible_households(scope)
                    .select_only()
                    .column(household::Column::Id)
                    .into_query(),
            ),
        )
        .one(db)
        .await?;
    Err(match household {
        Some(m) => ApiError::Conflict(format!(
            "{field}: a person with this ID number is already registered, in household {}",
            node::encode("Household", m.household_id).0
        )),
        None => ApiError::Conflict(format!("{field}: {PERSON_ELSEWHERE}")),
    })
}

/// A new person row (version 1) from checked input; shared by registration and import.
pub(crate) fn person_row(
    p: &CheckedPerson,
    id: Uuid,
    now: chrono::DateTime<Utc>,
) -> person::ActiveModel {
    person::ActiveModel {
        id: Set(id),
        given_name: Set(p.given_name.clone()),
        family_name: Set(p.family_name.clone()),
        name_key: Set(p.name_key.clone()),
        sex: Set(p.sex),
        birth_date: Set(p.birth_date),
        birth_year: Set(p.birth_year),
        phone: Set(p.phone.clone()),
        education: Set(p.education.clone()),
        occupation: Set(p.occupation.clone()),
        disability: Set(p.disability.clone()),
        chronic_illness: Set(p.chronic_illness.clone()),
        id_type: Set(p.id_type),
        national_id_ciphertext: Set(p.sealed.as_ref().map(|s| s.ciphertext.clone())),
        national_id_key_id: Set(p.sealed.as_ref().map(|s| s.key_id.clone())),
        national_id_hash: Set(p.sealed.as_ref().map(|s| s.hash.clone())),
        national_id_last_digit: Set(p.sealed.as_ref().map(|s| s.last_digit.clone())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        client_updated_at: Set(None),
    }
}

/// New details of a person the caller saw at `version`.
#[derive(Debug, Clone)]
pub struct PersonUpdate {
    pub person_id: Uuid,
    pub version: i32,
    pub person: PersonInput,
    pub client_updated_at: Option<chrono::DateTime<Utc>>,
}

/// Replaces a person's details (all fields as given) if the person is still at `version`.
pub async fn update_person(
    caller: &Caller<'_>,
    pii: &PiiCipher,
    update: PersonUpdate,
    idem: Option<IdemKey>,
) -> ApiResult<person::Model> {
    let Caller { db, scope, actor } = *caller;
    let PersonUpdate {
        person_id,
        version,
        person: input,
        client_updated_at,
    } = update;
    idempotency::run(db, idem.as_ref(), || async {
        let current = find_person(db, scope, person_id).await?;
        let checked = check_person(&input, "", pii)?;
        let id_changed = match &checked.sealed {
            Some(s) => current.national_id_hash.as_deref() != Some(s.hash.as_str()),
            None => current.national_id_hash.is_some(),
        };
        if id_changed && let Some(s) = &checked.sealed {
            check_id_not_registered(db, scope, &s.hash, "nationalId").await?;
        }
        if current.version != version {
            return Err(ApiError::stale("person"));
        }
        let mut fields = vec![];
        let mut row = person_row(&checked, person_id, current.created_at);
        for (name, changed) in [
            ("givenName", checked.given_name != current.given_name),
            ("familyName", checked.family_name != current.family_name),
            ("sex", checked.sex != current.sex),
            ("birthDate", checked.birth_date != current.birth_date),
            ("phone", checked.phone != current.phone),
            ("education", checked.education != current.education),
            ("occupation", checked.occupation != current.occupation),
            ("disability", checked.disability != current.disability),
            (
                "chronicIllness",
                checked.chronic_illness != current.chronic_illness,
            ),
            ("idType", checked.id_type != current.id_type),
            ("nationalId", id_changed),
        ] {
            if changed {
                fields.push(name);
            }
        }
        if !id_changed {
            // Keep the stored ciphertext rather than re-encrypting the same number.
            row.national_id_ciphertext = Set(current.national_id_ciphertext.clone());
            row.national_id_key_id = Set(current.national_id_key_id.clone());
        }
        row.version = Set(version + 1);
        row.updated_at = Set(Utc::now());
        row.client_updated_at = Set(client_updated_at);
        let txn = db.begin().await?;
        let res = person::Entity::update_many()
            .set(row)
            .filter(person::Column::Id.eq(person_id))
            .filter(person::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            txn.rollback().await?;
            return Err(ApiError::stale("person"));
        }
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Person", person_id)
                .fields(fields),
            idem.as_ref(),
            person_id,
        )
        .await
    })
    .await?;
    person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))
}

/// The full ID number of a person, for ADMIN and COORDINATOR in scope; written to the audit
/// log as READ_PII with the reason given.
pub async fn reveal_national_id(
    caller: &Caller<'_>,
    pii: &PiiCipher,
    viewer: &Viewer,
    person_id: Uuid,
    reason: &str,
) -> ApiResult<Option<String>> {
    let Caller { db, scope, actor } = *caller;
    policy::COORDINATORS.check(viewer)?;
    let reason = text(Some(reason), "reason", 500)?
        .filter(|r| r.chars().count() >= 3)
        .ok_or_else(|| ApiError::bad_input("reason", "say why you need the full number"))?;
    let person = find_person(db, scope, person_id).await?;
    let (Some(ct), Some(kid)) = (&person.national_id_ciphertext, &person.national_id_key_id) else {
        return Ok(None);
    };
    let number = pii.open(ct, kid)?;
    record(
        db,
        AuditEntry::by(actor, AuditAction::ReadPii)
            .entity("Person", person_id)
            .fields(["nationalId"])
            .reason(reason),
    )
    .await?;
    Ok(Some(
        if person.id_type == entity::enums::IdType::ThaiNationalId {
            crate::pii::format_thai_id(&number)
        } else {
            number
        },
    ))
}
