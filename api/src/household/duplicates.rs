//! Potential duplicates: flagged when a person is registered who looks like someone already in
//! the registry, and resolved by a coordinator (MERGE or NOT_DUPLICATE).
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{
    enums::{AuditAction, DuplicateReason, DuplicateStatus, HouseholdStatus, MembershipRole},
    household, household_external_id, household_status_event, membership, person,
    potential_duplicate,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QuerySelect, QueryTrait, RelationTrait, Set, Statement,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    service::{StatusChange, find_household, record_status, visible_households},
    validate::CheckedPerson,
};
use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::Scope,
    error::{ApiError, ApiResult},
};

/// Two Thai names are "similar" when, normalised, they differ by at most 2 characters
/// (typos, tone marks, spelling variants); short names must match more closely.
pub fn similar_names(a: &str, b: &str) -> bool {
    let distance = strsim::levenshtein(a, b);
    let shorter = a.chars().count().min(b.chars().count());
    distance == 0 || (shorter >= 6 && distance <= 2) || (shorter >= 3 && distance <= 1)
}

/// Flags households that hold someone like one of `persons` (the new members of `household_id`):
/// same village, similar name and the same birth year; or the same phone number.
pub async fn flag_similar(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
    village_code: &str,
    persons: &[(Uuid, CheckedPerson)],
) -> ApiResult<()> {
    flag_similar_batch(
        conn,
        &[Newcomers {
            household_id,
            village: village_code,
            persons,
        }],
    )
    .await
}

/// The new members of one household, to compare with the registry.
pub struct Newcomers<'a> {
    pub household_id: Uuid,
    pub village: &'a str,
    pub persons: &'a [(Uuid, CheckedPerson)],
}

/// [`flag_similar`] for several households at once (an import batch), with the same result
/// as flagging them one by one in order: every new member is already written, but a household
/// does not see the new members of the households after it (they would not have existed yet),
/// so no flag points forward; the later household flags the pair from its side.
/// Statements: one for names, one for phones, one for the flags already open, one insert
/// (each more only past an IN list of `IN_LIST` values).
pub async fn flag_similar_batch(
    conn: &impl ConnectionTrait,
    batch: &[Newcomers<'_>],
) -> ApiResult<()> {
    // Which item of the batch brought each new person in.
    let arrival: HashMap<Uuid, usize> = batch
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.persons.iter().map(move |(id, _)| (*id, i)))
        .collect();
    let visible = |i: usize, household: Uuid, person: Uuid| {
        household != batch[i].household_id && arrival.get(&person).is_none_or(|j| *j < i)
    };

    // Same village, same birth year: the current members of the batch's (village, birth year)
    // pairs, found through the index on membership's copies of both, so the cost follows the
    // batch and not the registry. By village.
    let mut by_village: HashMap<String, Vec<Resident>> = HashMap::new();
    let pairs: Vec<(&str, i32)> = unique(batch.iter().flat_map(|n| {
        n.persons
            .iter()
            .filter_map(move |(_, p)| p.birth_year.map(|year| (n.village, year)))
    }));
    for list in pairs.chunks(PAIRS) {
        let keys = serde_json::Value::Array(
            list.iter()
                .map(|(village, year)| serde_json::json!({ "v": village, "y": year }))
                .collect(),
        );
        let backend = conn.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => RESIDENTS_POSTGRES,
            _ => RESIDENTS_SQLITE,
        };
        let rows = Resident::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [keys.into()],
        ))
        .all(conn)
        .await?;
        for r in rows {
            by_village
                .entry(r.village_code.clone())
                .or_default()
                .push(r);
        }
    }

    // Same phone: (household, person, phone), by phone.
    let mut by_phone: HashMap<String, Vec<(Uuid, Uuid)>> = HashMap::new();
    let phones: Vec<&str> = unique(
        batch
            .iter()
            .flat_map(|n| n.persons.iter().filter_map(|(_, p)| p.phone.as_deref())),
    );
    for list in crate::db::in_lists(&phones, IN_LIST) {
        let rows: Vec<(Uuid, Uuid, Option<String>)> = membership::Entity::find()
            .select_only()
            .column(membership::Column::HouseholdId)
            .column(person::Column::Id)
            .column(person::Column::Phone)
            .join(JoinType::InnerJoin, membership::Relation::Person.def())
            .filter(person::Column::Phone.is_in(list))
            .filter(membership::Column::EndDate.is_null())
            .into_tuple()
            .all(conn)
            .await?;
        for (household, person, phone) in rows {
            if let Some(phone) = phone {
                by_phone.entry(phone).or_default().push((household, person));
            }
        }
    }

    // (reason, person, other person, other household) per household of the batch, in order.
    let mut found: Vec<(usize, DuplicateReason, Uuid, Uuid, Uuid)> = Vec::new();
    for (i, n) in batch.iter().enumerate() {
        let mut seen = HashSet::new();
        let mut add = |reason, person, other_person, other_household| {
            if seen.insert((reason, other_household)) {
                found.push((i, reason, person, other_person, other_household));
            }
        };
        for r in by_village.get(n.village).into_iter().flatten() {
            if !visible(i, r.household_id, r.person_id) {
                continue;
            }
            for (id, p) in n.persons {
                if p.birth_year.is_some()
                    && p.birth_year == r.birth_year
                    && similar_names(&p.name_key, &r.name_key)
                {
                    add(
                        DuplicateReason::SimilarName,
                        *id,
                        r.person_id,
                        r.household_id,
                    );
                }
            }
        }
        for (id, p) in n.persons {
            let Some(phone) = p.phone.as_deref() else {
                continue;
            };
            for (household, other) in by_phone.get(phone).into_iter().flatten() {
                if visible(i, *household, *other) {
                    add(DuplicateReason::SamePhone, *id, *other, *household);
                }
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }

    // Pairs already flagged (a household that gets new members may have some).
    let households: Vec<Uuid> = unique(found.iter().map(|f| batch[f.0].household_id));
    let mut open: HashSet<(Uuid, Uuid, DuplicateReason)> = HashSet::new();
    for list in crate::db::in_lists(&households, IN_LIST) {
        let rows: Vec<(Uuid, Uuid, DuplicateReason)> = potential_duplicate::Entity::find()
            .select_only()
            .column(potential_duplicate::Column::HouseholdId)
            .column(potential_duplicate::Column::OtherHouseholdId)
            .column(potential_duplicate::Column::Reason)
            .filter(potential_duplicate::Column::HouseholdId.is_in(list))
            .into_tuple()
            .all(conn)
            .await?;
        open.extend(rows);
    }
    let now = Utc::now();
    let rows: Vec<potential_duplicate::ActiveModel> = found
        .into_iter()
        .filter_map(|(i, reason, person_id, other_person, other_household)| {
            let household_id = batch[i].household_id;
            open.insert((household_id, other_household, reason))
                .then(|| potential_duplicate::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    reason: Set(reason),
                    household_id: Set(household_id),
                    other_household_id: Set(other_household),
                    person_id: Set(Some(person_id)),
                    other_person_id: Set(Some(other_person)),
                    status: Set(DuplicateStatus::Open),
                    resolution: Set(None),
                    survivor_household_id: Set(None),
                    resolved_by: Set(None),
                    resolved_at: Set(None),
                    note: Set(None),
                    created_at: Set(now),
                })
        })
        .collect();
    super::service::insert_chunks::<potential_duplicate::Entity, _>(conn, rows).await
}

/// A current member of a household in a village, as the similar-name look-up reads it.
#[derive(sea_orm::FromQueryResult)]
struct Resident {
    household_id: Uuid,
    person_id: Uuid,
    birth_year: Option<i32>,
    name_key: String,
    village_code: String,
}

/// The current members of the `[{"v": village, "y": birth year}, …]` pairs in `$1`: one probe
/// of `idx_membership_current_village_year` per pair. Households merged away as DUPLICATE need
/// no filter: a merge moves all their memberships to the survivor (`resolve_duplicate`), and
/// DUPLICATE is reached no other way.
const RESIDENTS_POSTGRES: &str = "SELECT m.household_id, m.person_id, m.birth_year, p.name_key, \
     m.village_code \
     FROM jsonb_to_recordset($1::jsonb) AS k(v text, y integer) \
     JOIN membership m ON m.village_code = k.v AND m.birth_year = k.y AND m.end_date IS NULL \
     JOIN person p ON p.id = m.person_id";

/// [`RESIDENTS_POSTGRES`] for SQLite (`CROSS JOIN` keeps the pairs as the outer loop).
const RESIDENTS_SQLITE: &str = "SELECT m.household_id, m.person_id, m.birth_year, p.name_key, \
     m.village_code \
     FROM json_each(?) AS k \
     CROSS JOIN membership m ON m.village_code = json_extract(k.value, '$.v') \
     AND m.birth_year = json_extract(k.value, '$.y') AND m.end_date IS NULL \
     JOIN person p ON p.id = m.person_id";

/// (village, birth year) pairs per similar-name look-up.
const PAIRS: usize = 2048;

/// Values that appear in `items`, each once, in first-seen order.
fn unique<T: Eq + std::hash::Hash + Copy>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|v| seen.insert(*v)).collect()
}

/// Values per IN list in the batched lookups.
const IN_LIST: usize = 512;

/// Potential duplicates whose two households are both inside the scope.
pub fn visible_duplicates(scope: &Scope) -> sea_orm::Select<potential_duplicate::Entity> {
    let households = || {
        visible_households(scope)
            .select_only()
            .column(household::Column::Id)
            .into_query()
    };
    potential_duplicate::Entity::find()
        .filter(potential_duplicate::Column::HouseholdId.in_subquery(households()))
        .filter(potential_duplicate::Column::OtherHouseholdId.in_subquery(households()))
}

/// The `potentialDuplicates` list: the pairs in this review state between households the
/// scope may see.
pub fn list_duplicates(
    scope: &Scope,
    status: entity::enums::DuplicateStatus,
) -> sea_orm::Select<potential_duplicate::Entity> {
    visible_duplicates(scope).filter(potential_duplicate::Column::Status.eq(status))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Merge,
    NotDuplicate,
}

/// Resolves a potential duplicate. MERGE keeps `survivor` (by default the household
/// registered first), moves the other's members and status history into it, ends the
/// membership of the matched person (they are already in the survivor), and marks the other
/// DUPLICATE with `mergedInto` pointing at the survivor.
pub async fn resolve_duplicate(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    resolution: Resolution,
    survivor: Option<Uuid>,
    note: Option<String>,
) -> ApiResult<potential_duplicate::Model> {
    let dup = visible_duplicates(scope)
        .filter(potential_duplicate::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("potential duplicate"))?;
    if dup.status != DuplicateStatus::Open {
        return Err(ApiError::bad_input(
            "id",
            "this potential duplicate is resolved already",
        ));
    }
    let note = super::validate::text(note.as_deref(), "note", 1000)?;
    let now = Utc::now();

    if resolution == Resolution::NotDuplicate {
        let txn = db.begin().await?;
        close(
            &txn,
            &dup,
            actor,
            Closing {
                status: DuplicateStatus::NotDuplicate,
                resolution: "NOT_DUPLICATE",
                survivor: None,
                note,
                now,
            },
        )
        .await?;
        txn.commit().await?;
        return potential_duplicate::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("potential duplicate"));
    }

    let survivor_id = survivor.unwrap_or(dup.other_household_id);
    let loser_id = if survivor_id == dup.household_id {
        dup.other_household_id
    } else if survivor_id == dup.other_household_id {
        dup.household_id
    } else {
        return Err(ApiError::bad_input(
            "survivorHouseholdId",
            "must be one of the two households",
        ));
    };
    let loser = find_household(db, scope, loser_id).await?;
    let survivor_row = find_household(db, scope, survivor_id).await?;
    if !loser.status.can_become(HouseholdStatus::Duplicate) {
        return Err(ApiError::bad_input(
            "survivorHouseholdId",
            "only a DISCOVERED household can be merged into another; keep that one instead",
        ));
    }
    let matched_person = if loser_id == dup.household_id {
        dup.person_id
    } else {
        dup.other_person_id
    };

    let txn = db.begin().await?;
    let res = household::Entity::update_many()
        .col_expr(
            household::Column::Status,
            Expr::value(HouseholdStatus::Duplicate),
        )
        .col_expr(household::Column::MergedIntoId, Expr::value(survivor_id))
        .col_expr(household::Column::Version, Expr::value(loser.version + 1))
        .col_expr(household::Column::UpdatedAt, Expr::value(now))
        .col_expr(household::Column::UpdatedBy, Expr::value(actor.id))
        .filter(household::Column::Id.eq(loser_id))
        .filter(household::Column::Version.eq(loser.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ApiError::stale("household"));
    }
    household::Entity::update_many()
        .col_expr(
            household::Column::Version,
            Expr::value(survivor_row.version + 1),
        )
        .col_expr(household::Column::UpdatedAt, Expr::value(now))
        .filter(household::Column::Id.eq(survivor_id))
        .exec(&txn)
        .await?;
    // The matched person is the survivor's member already: their copy leaves.
    if let Some(person) = matched_person {
        membership::Entity::update_many()
            .col_expr(membership::Column::EndDate, Expr::value(now.date_naive()))
            .col_expr(
                membership::Column::EndReason,
                Expr::value("merged duplicate"),
            )
            .filter(membership::Column::HouseholdId.eq(loser_id))
            .filter(membership::Column::PersonId.eq(person))
            .filter(membership::Column::EndDate.is_null())
            .exec(&txn)
            .await?;
    }
    // Everyone else moves; the survivor keeps its own head.
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Role,
            Expr::value(MembershipRole::OtherRelative),
        )
        .filter(membership::Column::HouseholdId.eq(loser_id))
        .filter(membership::Column::Role.eq(MembershipRole::Head))
        .filter(membership::Column::EndDate.is_null())
        .exec(&txn)
        .await?;
    membership::Entity::update_many()
        .col_expr(membership::Column::HouseholdId, Expr::value(survivor_id))
        .filter(membership::Column::HouseholdId.eq(loser_id))
        .exec(&txn)
        .await?;
    household_status_event::Entity::update_many()
        .col_expr(
            household_status_event::Column::HouseholdId,
            Expr::value(survivor_id),
        )
        .filter(household_status_event::Column::HouseholdId.eq(loser_id))
        .exec(&txn)
        .await?;
    household_external_id::Entity::update_many()
        .col_expr(
            household_external_id::Column::HouseholdId,
            Expr::value(survivor_id),
        )
        .filter(household_external_id::Column::HouseholdId.eq(loser_id))
        .exec(&txn)
        .await?;
    let reason = format!(
        "merged into {}",
        crate::graphql::node::encode("Household", survivor_id).0
    );
    record_status(
        &txn,
        actor,
        StatusChange {
            household_id: loser_id,
            from: Some(loser.status),
            to: HouseholdStatus::Duplicate,
            reason: Some(&reason),
            evidence: None,
        },
    )
    .await?;
    close(
        &txn,
        &dup,
        actor,
        Closing {
            status: DuplicateStatus::Merged,
            resolution: "MERGE",
            survivor: Some(survivor_id),
            note,
            now,
        },
    )
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Transition)
            .entity("Household", loser_id)
            .fields(["status", "mergedInto", "members"])
            .reason(reason),
    )
    .await?;
    crate::rollup::touch(&txn, &[loser_id, survivor_id]).await?;
    txn.commit().await?;
    potential_duplicate::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("potential duplicate"))
}

/// How a potential duplicate is closed.
struct Closing {
    status: DuplicateStatus,
    resolution: &'static str,
    survivor: Option<Uuid>,
    note: Option<String>,
    now: chrono::DateTime<Utc>,
}

async fn close(
    conn: &impl ConnectionTrait,
    dup: &potential_duplicate::Model,
    actor: &Actor,
    closing: Closing,
) -> ApiResult<()> {
    let Closing {
        status,
        resolution,
        survivor,
        note,
        now,
    } = closing;
    let res = potential_duplicate::Entity::update_many()
        .col_expr(potential_duplicate::Column::Status, Expr::value(status))
        .col_expr(
            potential_duplicate::Column::Resolution,
            Expr::value(resolution),
        )
        .col_expr(
            potential_duplicate::Column::SurvivorHouseholdId,
            Expr::value(survivor),
        )
        .col_expr(
            potential_duplicate::Column::ResolvedBy,
            Expr::value(actor.id),
        )
        .col_expr(potential_duplicate::Column::ResolvedAt, Expr::value(now))
        .col_expr(potential_duplicate::Column::Note, Expr::value(note))
        .filter(potential_duplicate::Column::Id.eq(dup.id))
        .filter(potential_duplicate::Column::Status.eq(DuplicateStatus::Open))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "this potential duplicate was resolved meanwhile".into(),
        ));
    }
    record(
        conn,
        AuditEntry::by(actor, AuditAction::Update)
            .entity("PotentialDuplicate", dup.id)
            .fields(["status", "resolution"]),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::similar_names;

    #[test]
    fn thai_names_one_or_two_letters_apart_are_similar() {
        assert!(similar_names("สมชาย ใจดี", "สมชาย ใจดี"));
        assert!(similar_names("สมชาย ใจดี", "สมชาญ ใจดี"));
        assert!(similar_names("สมชาย ใจดี", "สมชาย ใจดีี"));
        assert!(!similar_names("สมชาย ใจดี", "สมหญิง ใจดี"));
        assert!(!similar_names("ab", "ac"));
    }
}
