//! `changes(since:, first:, types:)`: one page of delta sync.
use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::service::{self, Cursor, DEFAULT_PAGE, Logged, MAX_PAGE, Tracked, visible};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::{scope, services},
        node,
        schema::{Household, Node},
    },
};

/// A record type delta sync tracks.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChangeType {
    /// A household.
    Household,
    /// A person.
    Person,
    /// A membership of a person in a household.
    Membership,
    /// An assessment.
    Assessment,
    /// A support case.
    Case,
    /// A referral.
    Referral,
    /// A visit.
    Visit,
    /// A match.
    Match,
}

impl From<ChangeType> for Tracked {
    fn from(t: ChangeType) -> Self {
        match t {
            ChangeType::Household => Tracked::Household,
            ChangeType::Person => Tracked::Person,
            ChangeType::Membership => Tracked::Membership,
            ChangeType::Assessment => Tracked::Assessment,
            ChangeType::Case => Tracked::Case,
            ChangeType::Referral => Tracked::Referral,
            ChangeType::Visit => Tracked::Visit,
            ChangeType::Match => Tracked::Match,
        }
    }
}

impl From<Tracked> for ChangeType {
    fn from(t: Tracked) -> Self {
        match t {
            Tracked::Household => ChangeType::Household,
            Tracked::Person => ChangeType::Person,
            Tracked::Membership => ChangeType::Membership,
            Tracked::Assessment => ChangeType::Assessment,
            Tracked::Case => ChangeType::Case,
            Tracked::Referral => ChangeType::Referral,
            Tracked::Visit => ChangeType::Visit,
            Tracked::Match => ChangeType::Match,
        }
    }
}

/// Why a record is gone from the caller's copy.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TombstoneReason {
    /// The record no longer exists.
    Deleted,
    /// The household was merged into another (`mergedIntoId`).
    Merged,
    /// The record exists but is no longer in your scope (consent withdrawn, moved out of your
    /// areas, referral revoked, …). For a household, drop what hangs off it too.
    OutOfScope,
}

/// One changed record: its current state (`node`), or a tombstone.
#[derive(SimpleObject)]
pub struct Change {
    /// The record's type.
    #[graphql(name = "type")]
    pub r#type: ChangeType,
    /// The record's global id.
    pub id: ID,
    /// The record as it is now (the same type the other fields return); null for a tombstone.
    pub node: Option<Node>,
    /// Set when the record is gone from your copy: why.
    pub tombstone: Option<TombstoneReason>,
    /// For a MERGED household: the household it was merged into.
    pub merged_into_id: Option<ID>,
}

/// One page of changes.
#[derive(SimpleObject)]
pub struct ChangesPage {
    /// The changes, in commit order; a record appears once per page, in its latest state.
    pub changes: Vec<Change>,
    /// Pass as `since` in the next request (opaque; valid on every replica and after
    /// restarts, for the scope and types it was issued for).
    pub cursor: String,
    /// true: more changes are ready now; ask again with `cursor`.
    pub has_more: bool,
}

/// A page of changes costs its size times what each change selects (as list fields do), so
/// the complexity budget bounds a sync page with nested lists too.
fn page_complexity(first: Option<i32>, child: usize) -> usize {
    let n = first.map_or(DEFAULT_PAGE, |n| {
        u64::try_from(n).unwrap_or(1).clamp(1, MAX_PAGE)
    });
    usize::try_from(n)
        .unwrap_or(usize::MAX)
        .saturating_mul(child.max(1))
        .saturating_add(1)
}

#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// Delta sync (docs/sync.md): the records in your scope created, changed or gone since
    /// `since`, in commit order, with tombstones, and the cursor to continue from.
    #[graphql(
        guard = "policy::CASE_READERS",
        complexity = "page_complexity(first, child_complexity)"
    )]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cursor of your last page; null for a full sync.")] since: Option<
            String,
        >,
        #[graphql(desc = "Most changes to return (1–500, default 100).")] first: Option<i32>,
        #[graphql(desc = "Only these types (default: all).")] types: Option<Vec<ChangeType>>,
    ) -> Result<ChangesPage> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if (1..=MAX_PAGE as i32).contains(&n) => n as u64,
            Some(_) => return Err(ApiError::bad_input("first", "first must be 1 to 500").into()),
        };
        let mut types: Vec<Tracked> = match types {
            Some(t) if !t.is_empty() => t.into_iter().map(Into::into).collect(),
            _ => Tracked::ALL.to_vec(),
        };
        types.sort();
        types.dedup();
        let scope = scope(ctx);
        let fingerprint = service::fingerprint(&scope, &types);
        let db = &services(ctx).db;
        // Read before the log: a cursor issued with this generation is, if anything, older
        // than the log it saw (so a later check errs on the safe side).
        let now = chrono::Utc::now();
        let horizon = service::Horizon::read(db).await?;
        let cursor = match since {
            Some(raw) => {
                let cursor = Cursor::decode(&raw, &fingerprint)?;
                cursor.check_horizon(&horizon)?;
                cursor
            }
            None => Cursor::start(fingerprint, &horizon, now),
        };
        let mut page = service::read_log(db, cursor.clone(), &types, first).await?;
        page.cursor.generation = horizon.generation;
        page.cursor.expiry = (now.timestamp_micros(), Uuid::max());
        // A partner agency sees a household through a consent that may expire with nothing
        // written: households whose consent expired since the last page come as changes too
        // (re-read like the others, so OUT_OF_SCOPE when no other consent covers them).
        if matches!(scope, crate::auth::Scope::Agency(_)) && types.contains(&Tracked::Household) {
            // Within the page size: what the log left of it (a full page asks again).
            let room = first.saturating_sub(page.records.len() as u64);
            let (expired, position, more) = if room == 0 {
                (Vec::new(), cursor.expiry, true)
            } else {
                service::expired_consents(db, cursor.expiry, now, room).await?
            };
            for id in expired {
                let logged = page
                    .records
                    .iter()
                    .any(|r| r.ty == Tracked::Household && r.id == id);
                if !logged {
                    page.records.push(Logged {
                        ty: Tracked::Household,
                        id,
                        deleted: false,
                    });
                }
            }
            page.cursor.expiry = position;
            page.has_more |= more;
        }
        let changes = materialise(db, &scope, page.records).await?;
        Ok(ChangesPage {
            changes,
            cursor: page.cursor.encode(),
            has_more: page.has_more,
        })
    }
}

/// Re-reads the logged records through the scope layer: one statement per type present.
async fn materialise(
    db: &sea_orm::DatabaseConnection,
    scope: &crate::auth::Scope,
    records: Vec<Logged>,
) -> Result<Vec<Change>> {
    use entity::{assessment, household, membership, person, referral, support_case, visit};
    let ids = |ty: Tracked| -> Vec<Uuid> {
        records
            .iter()
            .filter(|r| r.ty == ty)
            .map(|r| r.id)
            .collect()
    };
    let households = visible(
        db,
        crate::household::service::visible_households(scope),
        household::Column::Id,
        ids(Tracked::Household),
        |m| m.id,
    )
    .await?;
    let persons = visible(
        db,
        crate::household::service::visible_persons(scope),
        person::Column::Id,
        ids(Tracked::Person),
        |m| m.id,
    )
    .await?;
    let memberships = visible(
        db,
        crate::household::service::visible_memberships(scope),
        membership::Column::Id,
        ids(Tracked::Membership),
        |m| m.id,
    )
    .await?;
    let assessments = visible(
        db,
        crate::assessment::service::visible_assessments(scope),
        assessment::Column::Id,
        ids(Tracked::Assessment),
        |m| m.id,
    )
    .await?;
    let cases = visible(
        db,
        crate::case::service::visible_cases(scope),
        support_case::Column::Id,
        ids(Tracked::Case),
        |m| m.id,
    )
    .await?;
    let referrals = visible(
        db,
        crate::case::service::visible_referrals(scope),
        referral::Column::Id,
        ids(Tracked::Referral),
        |m| m.id,
    )
    .await?;
    let visits = visible(
        db,
        crate::case::service::visible_visits(scope),
        visit::Column::Id,
        ids(Tracked::Visit),
        |m| m.id,
    )
    .await?;
    let matches = visible(
        db,
        crate::matching::service::visible_matches(scope),
        entity::r#match::Column::Id,
        ids(Tracked::Match),
        |m| m.id,
    )
    .await?;
    let mut maps = Maps {
        households,
        persons,
        memberships,
        assessments,
        cases,
        referrals,
        visits,
        matches,
    };
    Ok(records
        .into_iter()
        .map(|r| change_of(&mut maps, r))
        .collect())
}

struct Maps {
    households: HashMap<Uuid, entity::household::Model>,
    persons: HashMap<Uuid, entity::person::Model>,
    memberships: HashMap<Uuid, entity::membership::Model>,
    assessments: HashMap<Uuid, entity::assessment::Model>,
    cases: HashMap<Uuid, entity::support_case::Model>,
    referrals: HashMap<Uuid, entity::referral::Model>,
    visits: HashMap<Uuid, entity::visit::Model>,
    matches: HashMap<Uuid, entity::r#match::Model>,
}

fn change_of(maps: &mut Maps, r: Logged) -> Change {
    let mut merged_into = None;
    let node = match r.ty {
        Tracked::Household => maps.households.remove(&r.id).and_then(|h| {
            merged_into = h.merged_into_id;
            merged_into
                .is_none()
                .then(|| Node::Household(Household::new(h)))
        }),
        Tracked::Person => maps
            .persons
            .remove(&r.id)
            .map(|m| Node::Person(crate::household::types::Person(m))),
        Tracked::Membership => maps
            .memberships
            .remove(&r.id)
            .map(|m| Node::Membership(crate::household::types::Membership::new(m))),
        Tracked::Assessment => maps
            .assessments
            .remove(&r.id)
            .map(|m| Node::Assessment(crate::assessment::types::Assessment(m))),
        Tracked::Case => maps
            .cases
            .remove(&r.id)
            .map(|m| Node::Case(crate::case::types::Case(m))),
        Tracked::Referral => maps
            .referrals
            .remove(&r.id)
            .map(|m| Node::Referral(crate::case::types::Referral(m))),
        Tracked::Visit => maps
            .visits
            .remove(&r.id)
            .map(|m| Node::Visit(crate::case::types::Visit(m))),
        Tracked::Match => maps
            .matches
            .remove(&r.id)
            .map(|m| Node::Match(crate::matching::types::Match::new(m))),
    };
    let tombstone = match (&node, merged_into, r.deleted) {
        (Some(_), _, _) => None,
        (None, Some(_), _) => Some(TombstoneReason::Merged),
        (None, None, true) => Some(TombstoneReason::Deleted),
        (None, None, false) => Some(TombstoneReason::OutOfScope),
    };
    Change {
        r#type: r.ty.into(),
        id: node::encode(r.ty.name(), r.id),
        node,
        tombstone,
        merged_into_id: merged_into.map(|id| node::encode("Household", id)),
    }
}
