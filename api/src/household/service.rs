//! Registry writes. Pattern for every write: check everything first (outside the
//! transaction), then one transaction whose first statement is the write (so concurrent writers
//! queue on SQLite instead of failing), with the audit event and the idempotency key inside it.
use chrono::{NaiveDate, Utc};
use entity::{
    enums::{AuditAction, HouseholdStatus, MembershipRole},
    household, household_external_id, household_status_event, membership, person,
    potential_duplicate,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, Set, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{
    duplicates,
    validate::{
        CheckedPerson, HouseholdInput, PersonInput, check_external_ids, check_location,
        check_members, check_person, check_size, check_village, text,
    },
};
use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::{Scope, Viewer, policy},
    consent::gate,
    error::{ApiError, ApiResult},
    graphql::node,
    idempotency::{self, IdemKey},
    pii::PiiCipher,
};

/// Households the scope may see: by village for area scopes; for AGENCY staff, the households
/// a consented referral, match or owned case opens to them (`consent::gate`); for ANALYST
/// none (aggregates only: `dashboard`).
pub fn visible_households(scope: &Scope) -> Select<household::Entity> {
    household::Entity::find().filter(household_visibility(scope))
}

/// The condition of `visible_households` on the household table itself.
fn household_visibility(scope: &Scope) -> Condition {
    match scope {
        Scope::Agency(agency) => gate::agency_sees_household(
            Expr::col(household::Column::Id.as_column_ref()),
            *agency,
            Utc::now(),
        ),
        Scope::All | Scope::Areas(_) => scope.condition(household::Column::VillageCode, None),
        // ANALYST's areas are the areas of its aggregates, not of rows it may read.
        Scope::Aggregates(_) | Scope::Nothing => crate::auth::scope::nothing(),
    }
}

/// "`column` holds the id of a household the scope may see": the one condition every record
/// that hangs off a household (members, assessments, matches, consents, enterprise links,
/// cases, …) builds on. Never true for ANALYST (`Scope::reads_households`).
pub fn in_visible_household<C: ColumnTrait>(scope: &Scope, column: C) -> Condition {
    in_visible_household_expr(scope, Expr::col(column.as_column_ref()))
}

/// `in_visible_household` for any expression naming a household id (e.g. an aliased column
/// of a correlated subquery).
pub fn in_visible_household_expr(scope: &Scope, column: Expr) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Aggregates(_) | Scope::Nothing => crate::auth::scope::nothing(),
        Scope::Agency(agency) => gate::agency_sees_household(column, *agency, Utc::now()),
        Scope::Areas(_) => Condition::all().add(
            column.in_subquery(
                visible_households(scope)
                    .select_only()
                    .column(household::Column::Id)
                    .into_query(),
            ),
        ),
    }
}

/// Memberships (current and past) of households the scope may see.
pub fn visible_memberships(scope: &Scope) -> Select<membership::Entity> {
    membership::Entity::find().filter(in_visible_household(scope, membership::Column::HouseholdId))
}

/// Persons with a membership (current or past) in a household the scope may see (none for
/// ANALYST).
pub fn visible_persons(scope: &Scope) -> Select<person::Entity> {
    match scope {
        Scope::All => return person::Entity::find(),
        Scope::Aggregates(_) | Scope::Nothing => {
            return person::Entity::find().filter(crate::auth::scope::nothing());
        }
        Scope::Agency(_) => {
            // Correlated, so a batch of persons checks only their own households.
            let m = Alias::new("person_membership");
            let member = Query::select()
                .expr(Expr::val(1))
                .from_as(membership::Entity, m.clone())
                .and_where(
                    Expr::col((m.clone(), membership::Column::PersonId))
                        .equals((person::Entity, person::Column::Id)),
                )
                .cond_where(in_visible_household_expr(
                    scope,
                    Expr::col((m, membership::Column::HouseholdId)),
                ))
                .to_owned();
            return person::Entity::find().filter(Expr::exists(member));
        }
        _ => {}
    }
    let memberships = visible_memberships(scope)
        .select_only()
        .column(membership::Column::PersonId)
        .into_query();
    person::Entity::find().filter(person::Column::Id.in_subquery(memberships))
}

/// Lifecycle events of households the scope may see; partner agencies see none (the
/// registry's internal history).
pub fn visible_status_events(scope: &Scope) -> Select<household_status_event::Entity> {
    let condition = match scope {
        Scope::Agency(_) => crate::auth::scope::nothing(),
        _ => in_visible_household(scope, household_status_event::Column::HouseholdId),
    };
    household_status_event::Entity::find().filter(condition)
}

/// Ids a household has in other systems, for the scopes that see identity numbers (not
/// partner agencies; not ANALYST, who reads no household at all).
pub fn visible_external_ids(scope: &Scope) -> Select<household_external_id::Entity> {
    let condition = match scope {
        Scope::Agency(_) => crate::auth::scope::nothing(),
        _ => in_visible_household(scope, household_external_id::Column::HouseholdId),
    };
    household_external_id::Entity::find().filter(condition)
}

pub async fn find_household(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<household::Model> {
    visible_households(scope)
        .filter(household::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("household"))
}

pub async fn find_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<person::Model> {
    visible_persons(scope)
        .filter(person::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))
}

/// CONFLICT for an ID number already registered, naming the household when the caller may see it.
async fn check_id_not_registered(
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
        None => ApiError::Conflict(format!(
            "{field}: a person with this ID number is already registered (in a household outside your areas)"
        )),
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

pub struct Registered {
    pub household: household::Model,
    pub potential_duplicates: Vec<potential_duplicate::Model>,
}

/// Registers a household with its members (DISCOVERED). Exact ID duplicates are CONFLICT;
/// similar records are flagged as potential duplicates for review.
pub async fn register_household(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    scope: &Scope,
    actor: &Actor,
    input: HouseholdInput,
    idem: Option<IdemKey>,
) -> ApiResult<Registered> {
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
            household_id,
            None,
            HouseholdStatus::Discovered,
            Some("registered"),
            actor,
            None,
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

#[allow(clippy::too_many_arguments)]
pub async fn record_status(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
    from: Option<HouseholdStatus>,
    to: HouseholdStatus,
    reason: Option<&str>,
    actor: &Actor,
    evidence: Option<&Evidence>,
) -> ApiResult<()> {
    household_status_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(household_id),
        from_status: Set(from),
        to_status: Set(to),
        reason: Set(reason.map(str::to_string)),
        note: Set(evidence.and_then(|e| e.note.clone())),
        verified_on: Set(evidence.and_then(|e| e.verified_on)),
        lat: Set(evidence.and_then(|e| e.location).map(|l| l.0)),
        lng: Set(evidence.and_then(|e| e.location).map(|l| l.1)),
        actor_id: Set(actor.id),
        occurred_at: Set(Utc::now()),
        client_occurred_at: Set(evidence.and_then(|e| e.client_occurred_at)),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Bumps a household's version if it is still `version` (the first statement of a write).
async fn claim_household(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
    version: i32,
    actor: &Actor,
    extra: Vec<(household::Column, sea_orm::sea_query::SimpleExpr)>,
) -> ApiResult<()> {
    let mut update = household::Entity::update_many()
        .col_expr(household::Column::Version, Expr::value(version + 1))
        .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(household::Column::UpdatedBy, Expr::value(actor.id));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    let res = update
        .filter(household::Column::Id.eq(household_id))
        .filter(household::Column::Version.eq(version))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::stale("household"));
    }
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

/// Moves a household along its lifecycle. VERIFIED needs the verification date; side exits
/// and relapse need a reason. DUPLICATE is reached only through `resolveDuplicate`.
/// GRADUATED needs the graduation criteria and writes the graduation; relapse records itself
/// on it (`crate::graduation`).
#[allow(clippy::too_many_arguments)]
pub async fn transition_household(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    version: i32,
    to: HouseholdStatus,
    reason: Option<String>,
    evidence: Evidence,
    measurement: &crate::config::MeasurementSettings,
    idem: Option<IdemKey>,
) -> ApiResult<household::Model> {
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
        claim_household(&txn, id, version, actor, extra).await?;
        record_status(
            &txn,
            id,
            Some(current.status),
            to,
            reason.as_deref(),
            actor,
            Some(&evidence),
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
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    version: i32,
    changes: HouseholdChanges,
    idem: Option<IdemKey>,
) -> ApiResult<household::Model> {
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
        claim_household(&txn, id, version, actor, extra).await?;
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

async fn active_members(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
) -> ApiResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::HouseholdId.eq(household_id))
        .filter(membership::Column::EndDate.is_null())
        .all(conn)
        .await?)
}

/// Adds a person to a household (at most one HEAD at a time).
#[allow(clippy::too_many_arguments)]
pub async fn add_member(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    scope: &Scope,
    actor: &Actor,
    household_id: Uuid,
    version: i32,
    role: MembershipRole,
    start_date: Option<NaiveDate>,
    input: PersonInput,
    idem: Option<IdemKey>,
) -> ApiResult<membership::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let household = find_household(db, scope, household_id).await?;
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let person = check_person(&input, "person", pii)?;
        if role == MembershipRole::Head
            && active_members(db, household_id)
                .await?
                .iter()
                .any(|m| m.role == MembershipRole::Head)
        {
            return Err(ApiError::bad_input(
                "role",
                "this household has a HEAD already",
            ));
        }
        if let Some(s) = &person.sealed {
            check_id_not_registered(db, scope, &s.hash, "person.nationalId").await?;
        }
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let now = Utc::now();
        let (person_id, membership_id) = (Uuid::now_v7(), Uuid::now_v7());
        let txn = db.begin().await?;
        claim_household(&txn, household_id, version, actor, vec![]).await?;
        person_row(&person, person_id, now).insert(&txn).await?;
        membership::ActiveModel {
            id: Set(membership_id),
            household_id: Set(household_id),
            person_id: Set(person_id),
            role: Set(role),
            start_date: Set(start_date),
            end_date: Set(None),
            end_reason: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        duplicates::flag_similar(
            &txn,
            household_id,
            &household.village_code,
            &[(person_id, person)],
        )
        .await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", household_id)
                .fields(["members"]),
            idem.as_ref(),
            membership_id,
        )
        .await
    })
    .await?;
    let id = Uuid::parse_str(&id).map_err(ApiError::internal)?;
    membership::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("membership"))
}

/// Ends a membership (moved out, deceased …). The HEAD's membership cannot end while the
/// household has other members: there must always be exactly one head.
#[allow(clippy::too_many_arguments)]
pub async fn end_membership(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    membership_id: Uuid,
    version: i32,
    end_date: NaiveDate,
    reason: String,
    idem: Option<IdemKey>,
) -> ApiResult<membership::Model> {
    idempotency::run(db, idem.as_ref(), || async {
        let m = membership::Entity::find_by_id(membership_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("membership"))?;
        let household = find_household(db, scope, m.household_id)
            .await
            .map_err(|_| ApiError::NotFound("membership"))?;
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        if m.end_date.is_some() {
            return Err(ApiError::bad_input(
                "membershipId",
                "this membership has ended already",
            ));
        }
        if end_date > Utc::now().date_naive() {
            return Err(ApiError::bad_input("endDate", "the date is in the future"));
        }
        if m.start_date.is_some_and(|s| end_date < s) {
            return Err(ApiError::bad_input(
                "endDate",
                "the membership ends before it starts",
            ));
        }
        let reason = text(Some(&reason), "reason", 500)?
            .ok_or_else(|| ApiError::bad_input("reason", "say why"))?;
        if m.role == MembershipRole::Head && active_members(db, m.household_id).await?.len() > 1 {
            return Err(ApiError::bad_input(
                "membershipId",
                "the HEAD cannot leave while others remain; make another member head first",
            ));
        }
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let txn = db.begin().await?;
        claim_household(&txn, m.household_id, version, actor, vec![]).await?;
        membership::Entity::update_many()
            .col_expr(membership::Column::EndDate, Expr::value(end_date))
            .col_expr(membership::Column::EndReason, Expr::value(reason))
            .filter(membership::Column::Id.eq(membership_id))
            .exec(&txn)
            .await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", m.household_id)
                .fields(["members"]),
            idem.as_ref(),
            membership_id,
        )
        .await
    })
    .await?;
    membership::Entity::find_by_id(membership_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("membership"))
}

/// Replaces a person's details (all fields as given) if the person is still at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn update_person(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    scope: &Scope,
    actor: &Actor,
    person_id: Uuid,
    version: i32,
    input: PersonInput,
    client_updated_at: Option<chrono::DateTime<Utc>>,
    idem: Option<IdemKey>,
) -> ApiResult<person::Model> {
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
    db: &DatabaseConnection,
    pii: &PiiCipher,
    viewer: &Viewer,
    scope: &Scope,
    actor: &Actor,
    person_id: Uuid,
    reason: &str,
) -> ApiResult<Option<String>> {
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

/// Households filtered as `households(filter:)` says, inside the scope.
pub struct HouseholdFilter {
    pub area_code: Option<String>,
    pub statuses: Vec<HouseholdStatus>,
    pub sources: Vec<entity::enums::HouseholdSource>,
    pub search: Option<String>,
    pub verified_from: Option<NaiveDate>,
    pub verified_to: Option<NaiveDate>,
    pub graduation: Option<crate::graduation::service::GraduationState>,
}

/// Applies a filter. A search for a 13-digit number that passes the check digit is an exact
/// national ID lookup (through the keyed hash), recorded as SEARCH in the audit log by the
/// caller; any other text matches member names (partial), house numbers and external ids.
pub fn filter_households(
    select: Select<household::Entity>,
    filter: &HouseholdFilter,
    pii: &PiiCipher,
) -> ApiResult<(Select<household::Entity>, bool)> {
    let mut select = select;
    let mut searched_id = false;
    if let Some(code) = filter.area_code.as_deref() {
        let prefix = crate::area::prefix::DopaPrefix::parse(code, "filter.areaCode")?;
        select = select.filter(household::Column::VillageCode.like(prefix.pattern()));
    }
    if !filter.statuses.is_empty() {
        select = select.filter(household::Column::Status.is_in(filter.statuses.clone()));
    }
    if !filter.sources.is_empty() {
        select = select.filter(household::Column::Source.is_in(filter.sources.clone()));
    }
    if let Some(from) = filter.verified_from {
        select = select.filter(household::Column::VerifiedOn.gte(from));
    }
    if let Some(to) = filter.verified_to {
        select = select.filter(household::Column::VerifiedOn.lte(to));
    }
    if let Some(state) = filter.graduation {
        select = select.filter(crate::graduation::service::household_condition(state));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(crate::graphql::search::normalize)
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > 100 {
            return Err(ApiError::bad_input(
                "filter.search",
                "at most 100 characters",
            ));
        }
        let members_matching = |person_cond: Condition| {
            membership::Entity::find()
                .select_only()
                .column(membership::Column::HouseholdId)
                .filter(membership::Column::EndDate.is_null())
                .filter(
                    membership::Column::PersonId.in_subquery(
                        person::Entity::find()
                            .select_only()
                            .column(person::Column::Id)
                            .filter(person_cond)
                            .into_query(),
                    ),
                )
                .into_query()
        };
        if let Ok(digits) = crate::pii::normalize_thai_id(&search) {
            searched_id = true;
            select = select.filter(household::Column::Id.in_subquery(members_matching(
                Condition::all().add(person::Column::NationalIdHash.eq(pii.hash(&digits))),
            )));
        } else {
            let by_name = crate::graphql::search::contains([person::Column::NameKey], &search);
            let by_external = household_external_id::Entity::find()
                .select_only()
                .column(household_external_id::Column::HouseholdId)
                .filter(household_external_id::Column::Value.eq(search.clone()))
                .into_query();
            select = select.filter(
                Condition::any()
                    .add(household::Column::Id.in_subquery(members_matching(by_name)))
                    .add(household::Column::HouseNumber.eq(search.clone()))
                    .add(household::Column::Id.in_subquery(by_external)),
            );
        }
    }
    Ok((select, searched_id))
}
