//! Writing a batch: one transaction for every CREATE and UPDATE of it.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{audit_event, enums::AuditAction, membership, person};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use crate::household::{
    duplicates,
    service::{
        NewHousehold, NewPerson, claim_household, insert_chunks, insert_households, insert_members,
    },
    validate::CheckedPerson,
};
use crate::{
    audit::service::AuditEntry,
    error::{ApiError, ApiResult},
};

use super::*;

/// Values per IN list: well under the bind-parameter limits (SQLite 32,766, PostgreSQL 65,535).
/// (Rows per multi-row INSERT: `service::INSERT_CHUNK`.)
pub(super) const IN_LIST: usize = 512;

impl<C: ImportDb> Importer<'_, C> {
    /// Which phone numbers of new members somebody in the registry has already (see `write`).
    pub(super) async fn known_phones(&self, new: &[&CheckedPerson]) -> ApiResult<HashSet<String>> {
        let mut known = HashSet::new();
        let phones: Vec<&str> = new
            .iter()
            .filter_map(|p| p.phone.as_deref())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for list in in_lists(&phones) {
            let rows: Vec<Option<String>> = person::Entity::find()
                .select_only()
                .column(person::Column::Phone)
                .filter(person::Column::Phone.is_in(list))
                .into_tuple()
                .all(self.db)
                .await?;
            known.extend(rows.into_iter().flatten());
        }
        Ok(known)
    }

    /// Writes every CREATE and UPDATE of the batch in one transaction.
    pub(super) async fn write(&self, batch: &[Valid], plans: &[Plan]) -> ApiResult<()> {
        if !plans
            .iter()
            .any(|p| matches!(p, Plan::Create { .. } | Plan::Update(_)))
        {
            return Ok(());
        }
        let actor = self.actor;
        let now = Utc::now();
        // `flag_similar` looks for people with a similar name in the same village, and for
        // people with the same phone; the phone query joins all current memberships (on
        // SQLite it scans them: a LEFT JOIN with an IN list is not turned into an inner
        // join), which makes a large import slow down as the registry grows. A phone that
        // nobody in the registry and no other household of this batch has cannot match, so
        // such a person is handed over without it: the result is the same, the query is
        // skipped. (This mirrors `flag_similar`'s phone rule; keep them in step.)
        let new_members: Vec<&CheckedPerson> = batch
            .iter()
            .zip(plans)
            .flat_map(|(v, plan)| {
                let members: Vec<&CheckedPerson> = match plan {
                    Plan::Create { .. } => v.members.iter().map(|(_, p)| p).collect(),
                    Plan::Update(u) => u
                        .added
                        .iter()
                        .filter_map(|(i, _)| v.members.get(*i).map(|(_, p)| p))
                        .collect(),
                    Plan::Unchanged | Plan::Duplicate(_) | Plan::Rejected(_) => Vec::new(),
                };
                members
            })
            .collect();
        let known_phones = self.known_phones(&new_members).await?;
        let mut phone_households: HashMap<&str, usize> = HashMap::new();
        for v in batch {
            let phones: HashSet<&str> = v
                .members
                .iter()
                .filter_map(|(_, p)| p.phone.as_deref())
                .collect();
            for phone in phones {
                *phone_households.entry(phone).or_default() += 1;
            }
        }
        let probe = |p: &CheckedPerson| {
            let mut p = p.clone();
            if let Some(phone) = p.phone.as_deref()
                && !known_phones.contains(phone)
                && phone_households.get(phone).is_none_or(|n| *n < 2)
            {
                p.phone = None;
            }
            p
        };

        let mut creates: Vec<NewHousehold<'_>> = Vec::new();
        let mut audits = Vec::new();
        let mut newcomers: Vec<Newcomers> = Vec::new();
        // Households whose rollup contribution may change by a move (new ones are touched by
        // `insert_households`).
        let mut touched: Vec<Uuid> = Vec::new();
        let txn = self.db.begin().await?;
        for (v, plan) in batch.iter().zip(plans) {
            match plan {
                Plan::Create { id, person_ids } => {
                    let members: Vec<NewPerson<'_>> = v
                        .members
                        .iter()
                        .zip(person_ids)
                        .map(|((role, p), person_id)| NewPerson {
                            id: *person_id,
                            membership_id: Uuid::now_v7(),
                            role: *role,
                            start_date: None,
                            person: p,
                        })
                        .collect();
                    newcomers.push(Newcomers {
                        household_id: *id,
                        village: &v.village,
                        persons: members.iter().map(|m| (m.id, probe(m.person))).collect(),
                        added: None,
                    });
                    creates.push(NewHousehold {
                        id: *id,
                        village: &v.village,
                        house_number: v.house_number.clone(),
                        address: v.address.clone(),
                        location: v.location,
                        source: v.source,
                        size: v.size,
                        client_created_at: None,
                        external_ids: std::slice::from_ref(&v.key),
                        members,
                        reason: "imported",
                    });
                }
                Plan::Update(u) => {
                    let id = u.current.id;
                    if u.fields.contains(&"villageCode") {
                        touched.push(id);
                    }
                    let mut fields = u.fields.clone();
                    if u.members_changed() {
                        fields.push("members");
                    }
                    if !fields.is_empty() {
                        claim_household(&txn, actor, id, u.current.version, &u.columns).await?;
                        audits.push(
                            AuditEntry::by(actor, AuditAction::Update)
                                .entity("Household", id)
                                .fields(fields)
                                .into_row(now),
                        );
                    }
                    for change in &u.persons {
                        let res = person::Entity::update_many()
                            .set(change.row.clone())
                            .filter(person::Column::Id.eq(change.id))
                            .filter(person::Column::Version.eq(change.version))
                            .exec(&txn)
                            .await?;
                        if res.rows_affected != 1 {
                            return Err(ApiError::stale("person"));
                        }
                        audits.push(
                            AuditEntry::by(actor, AuditAction::Update)
                                .entity("Person", change.id)
                                .fields(change.fields.iter().copied())
                                .into_row(now),
                        );
                    }
                    for (membership_id, role) in &u.roles {
                        membership::Entity::update_many()
                            .col_expr(membership::Column::Role, Expr::value(*role))
                            .filter(membership::Column::Id.eq(*membership_id))
                            .exec(&txn)
                            .await?;
                    }
                    if !u.added.is_empty() {
                        let added: Vec<NewPerson<'_>> = u
                            .added
                            .iter()
                            .filter_map(|(i, person_id)| {
                                let (role, p) = v.members.get(*i)?;
                                Some(NewPerson {
                                    id: *person_id,
                                    membership_id: Uuid::now_v7(),
                                    role: *role,
                                    start_date: None,
                                    person: p,
                                })
                            })
                            .collect();
                        newcomers.push(Newcomers {
                            household_id: id,
                            village: &v.village,
                            persons: added.iter().map(|m| (m.id, probe(m.person))).collect(),
                            added: Some(added),
                        });
                    }
                }
                Plan::Unchanged | Plan::Duplicate(_) | Plan::Rejected(_) => {}
            }
        }
        audits.extend(
            insert_households(&txn, actor, &creates, now)
                .await?
                .into_iter()
                .map(|entry| entry.into_row(now)),
        );

        // Potential duplicates, flagged as if the households had been written one by one in
        // file order (`flag_similar_batch`: a household does not see the new members of
        // households after it), in a few statements for the whole batch.
        let added: Vec<(Uuid, &str, &NewPerson<'_>)> = newcomers
            .iter()
            .flat_map(|n| {
                n.added
                    .iter()
                    .flatten()
                    .map(|m| (n.household_id, n.village, m))
            })
            .collect();
        if !added.is_empty() {
            insert_members(&txn, &added, now).await?;
        }
        let flagged: Vec<duplicates::Newcomers<'_>> = newcomers
            .iter()
            .map(|n| duplicates::Newcomers {
                household_id: n.household_id,
                village: n.village,
                persons: &n.persons,
            })
            .collect();
        duplicates::flag_similar_batch(&txn, &flagged).await?;
        insert_chunks::<audit_event::Entity, _>(&txn, audits).await?;
        crate::rollup::touch(&txn, &touched).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// A household of the batch that gets new members, in file order.
pub(super) struct Newcomers<'v> {
    pub(super) household_id: Uuid,
    pub(super) village: &'v str,
    pub(super) persons: Vec<(Uuid, CheckedPerson)>,
    /// An updated household's new members, inserted at its turn.
    pub(super) added: Option<Vec<NewPerson<'v>>>,
}

/// `values` as IN lists of at most `IN_LIST` values (see [`crate::db::in_lists`]).
pub(super) fn in_lists<T: Clone>(values: &[T]) -> Vec<Vec<T>> {
    crate::db::in_lists(values, IN_LIST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::household::service::{INSERT_CHUNK, chunk_lengths};

    #[test]
    fn statements_come_in_a_few_repeating_sizes() {
        let lengths: Vec<usize> = chunk_lengths(2 * INSERT_CHUNK + 13).collect();
        assert_eq!(lengths, [INSERT_CHUNK, INSERT_CHUNK, 8, 4, 1]);
        assert_eq!(chunk_lengths(0).count(), 0);
        for n in 0..500 {
            assert_eq!(chunk_lengths(n).sum::<usize>(), n);
        }
        let lists = in_lists(&[1, 2, 3, 4, 5]);
        assert_eq!(lists, [vec![1, 2, 3, 4, 5, 5, 5, 5]]);
        assert_eq!(in_lists(&vec![0; IN_LIST + 1]).len(), 2);
    }
}
