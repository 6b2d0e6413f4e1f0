//! Registering a household: the one way a new household is written (GraphQL and import).
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    enums::{AuditAction, HouseholdSource, HouseholdStatus, MembershipRole},
    household, household_external_id, household_status_event, membership, person,
    potential_duplicate,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::household::{
    duplicates,
    validate::{
        CheckedPerson, HouseholdInput, check_external_ids, check_location, check_members,
        check_size, check_village, text,
    },
};
use crate::{
    audit::service::{Actor, AuditEntry},
    auth::Scope,
    error::{ApiError, ApiResult},
    graphql::node,
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
            check_external_id_free(db, scope, &format!("externalIds[{i}]"), scheme, value).await?;
        }

        let now = Utc::now();
        let household_id = Uuid::now_v7();
        let new = NewHousehold {
            id: household_id,
            village: &village,
            house_number,
            address,
            location,
            source: input.source,
            size,
            client_created_at: input.client_created_at,
            external_ids: &external_ids,
            members: members
                .iter()
                .map(|(role, start_date, person)| NewPerson {
                    id: Uuid::now_v7(),
                    membership_id: Uuid::now_v7(),
                    role: *role,
                    start_date: *start_date,
                    person,
                })
                .collect(),
            reason: "registered",
        };
        let txn = db.begin().await?;
        let entry = insert_households(&txn, actor, std::slice::from_ref(&new), now)
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("a new household without its audit entry"))?;
        let new_persons: Vec<(Uuid, CheckedPerson)> = new
            .members
            .iter()
            .map(|m| (m.id, m.person.clone()))
            .collect();
        duplicates::flag_similar(&txn, household_id, &village, &new_persons).await?;
        idempotency::commit(txn, entry, idem.as_ref(), household_id).await
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

/// CONFLICT when an external id is taken: naming the household when the caller may see it,
/// otherwise in words that do not confirm the id exists (`EXTERNAL_ID_ELSEWHERE`).
async fn check_external_id_free(
    db: &impl ConnectionTrait,
    scope: &Scope,
    field: &str,
    scheme: &str,
    value: &str,
) -> ApiResult<()> {
    let Some(existing) =
        household_external_id::Entity::find_by_id((scheme.to_string(), value.to_string()))
            .one(db)
            .await?
    else {
        return Ok(());
    };
    let visible = visible_households(scope)
        .filter(household::Column::Id.eq(existing.household_id))
        .one(db)
        .await?;
    Err(ApiError::Conflict(match visible {
        Some(h) => format!(
            "{field}: {scheme} id '{value}' belongs to household {}",
            node::encode("Household", h.id).0
        ),
        None => format!("{field}: {EXTERNAL_ID_ELSEWHERE}"),
    }))
}

/// A person joining a household, checked, with the ids of their person and membership rows.
pub(crate) struct NewPerson<'a> {
    pub id: Uuid,
    pub membership_id: Uuid,
    pub role: MembershipRole,
    pub start_date: Option<NaiveDate>,
    pub person: &'a CheckedPerson,
}

/// A new household, checked: what its rows are made of.
pub(crate) struct NewHousehold<'a> {
    pub id: Uuid,
    pub village: &'a str,
    pub house_number: Option<String>,
    pub address: Option<String>,
    pub location: Option<(f64, f64)>,
    pub source: HouseholdSource,
    pub size: Option<i32>,
    pub client_created_at: Option<DateTime<Utc>>,
    pub external_ids: &'a [(String, String)],
    pub members: Vec<NewPerson<'a>>,
    /// Why it was DISCOVERED (the reason of its first status event).
    pub reason: &'static str,
}

/// The one way new households are written, for `registerHousehold` (one household) and the
/// import (a batch): the household, external id, person and membership rows in multi-row
/// statements, the DISCOVERED status events, and the households' rollup contribution. Returns
/// each household's CREATE audit entry, which the caller writes with its commit
/// (`idempotency::commit`, or the import's multi-row audit insert). Look-alikes are flagged by
/// the caller once the rows are in (`duplicates::flag_similar`: the import flags a batch in
/// file order).
pub(crate) async fn insert_households(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    households: &[NewHousehold<'_>],
    now: DateTime<Utc>,
) -> ApiResult<Vec<AuditEntry>> {
    let mut rows = Vec::with_capacity(households.len());
    let mut external_ids = Vec::new();
    let mut events = Vec::with_capacity(households.len());
    let mut audits = Vec::with_capacity(households.len());
    for h in households {
        rows.push(household::ActiveModel {
            id: Set(h.id),
            village_code: Set(h.village.to_string()),
            house_number: Set(h.house_number.clone()),
            address: Set(h.address.clone()),
            lat: Set(h.location.map(|l| l.0)),
            lng: Set(h.location.map(|l| l.1)),
            source: Set(h.source),
            status: Set(HouseholdStatus::Discovered),
            household_size: Set(h.size),
            merged_into_id: Set(None),
            verified_on: Set(None),
            version: Set(1),
            created_by: Set(actor.id),
            updated_by: Set(actor.id),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(h.client_created_at),
            client_updated_at: Set(h.client_created_at),
        });
        for (scheme, value) in h.external_ids {
            external_ids.push(household_external_id::ActiveModel {
                household_id: Set(h.id),
                scheme: Set(scheme.clone()),
                value: Set(value.clone()),
            });
        }
        let change = StatusChange {
            household_id: h.id,
            from: None,
            to: HouseholdStatus::Discovered,
            reason: Some(h.reason),
            evidence: None,
        };
        events.push(status_row(&change, actor, now));
        audits.push(
            AuditEntry::by(actor, AuditAction::Create)
                .entity("Household", h.id)
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
        );
    }
    insert_chunks::<household::Entity, _>(conn, rows).await?;
    insert_chunks::<household_external_id::Entity, _>(conn, external_ids).await?;
    let members: Vec<(Uuid, &str, &NewPerson<'_>)> = households
        .iter()
        .flat_map(|h| h.members.iter().map(move |m| (h.id, h.village, m)))
        .collect();
    insert_members(conn, &members, now).await?;
    insert_chunks::<household_status_event::Entity, _>(conn, events).await?;
    let ids: Vec<Uuid> = households.iter().map(|h| h.id).collect();
    crate::rollup::touch(conn, &ids).await?;
    Ok(audits)
}

/// The person and membership rows of people joining households (household id, the household's
/// village, person): one way for registration, `addMember` and the import. The membership
/// carries copies of the village and the birth year for the duplicate check's index.
pub(crate) async fn insert_members(
    conn: &impl ConnectionTrait,
    members: &[(Uuid, &str, &NewPerson<'_>)],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let persons = members
        .iter()
        .map(|(_, _, m)| person_row(m.person, m.id, now))
        .collect();
    let memberships = members
        .iter()
        .map(|(household_id, village, m)| membership::ActiveModel {
            id: Set(m.membership_id),
            household_id: Set(*household_id),
            person_id: Set(m.id),
            role: Set(m.role),
            start_date: Set(m.start_date),
            end_date: Set(None),
            end_reason: Set(None),
            created_at: Set(now),
            village_code: Set(Some(village.to_string())),
            birth_year: Set(m.person.birth_year),
        })
        .collect();
    insert_chunks::<person::Entity, _>(conn, persons).await?;
    insert_chunks::<membership::Entity, _>(conn, memberships).await?;
    Ok(())
}

/// Rows per multi-row INSERT: well under the bind-parameter limits (SQLite 32,766,
/// PostgreSQL 65,535) for the widest table written here (person, 21 columns).
pub(crate) const INSERT_CHUNK: usize = 128;

/// Statement sizes repeat from batch to batch: both databases keep prepared statements per
/// connection, keyed by their text, and one shape per batch (875 persons, then 902, …) would
/// fill that cache with large, never reused statements. Sizes are therefore `INSERT_CHUNK`
/// and powers of two below it.
pub(crate) fn chunk_lengths(n: usize) -> impl Iterator<Item = usize> {
    let rest = n % INSERT_CHUNK;
    std::iter::repeat_n(INSERT_CHUNK, n / INSERT_CHUNK).chain(
        (0..INSERT_CHUNK.trailing_zeros())
            .rev()
            .map(|bit| 1usize << bit)
            .filter(move |len| rest & len != 0),
    )
}

/// Inserts `rows` in statements of `chunk_lengths` rows.
pub(crate) async fn insert_chunks<E, A>(conn: &impl ConnectionTrait, rows: Vec<A>) -> ApiResult<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    let mut rows = rows.into_iter();
    for len in chunk_lengths(rows.len()) {
        E::insert_many(rows.by_ref().take(len))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
