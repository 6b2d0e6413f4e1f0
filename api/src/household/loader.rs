use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{household_external_id, membership, person};
use sea_orm::{
    ColumnTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::duplicates::visible_duplicates;
use super::service::{
    visible_external_ids, visible_households, visible_households_among, visible_memberships,
    visible_persons, visible_status_events,
};
use crate::{
    by_id_loader, child_page_loader,
    error::ApiError,
    graphql::{loaders::DbLoader, pagination::JoinOne},
};

by_id_loader!(HouseholdId, household, among: visible_households_among);
by_id_loader!(PersonId, person, visible_persons);
by_id_loader!(MembershipId, membership, visible_memberships);
by_id_loader!(StatusEventId, household_status_event, visible_status_events);
by_id_loader!(DuplicateId, potential_duplicate, visible_duplicates);

/// External ids of a household (one per scheme, so a handful), for the scopes that see
/// identity numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternalIdsOf(pub Uuid);

impl Loader<ExternalIdsOf> for DbLoader {
    type Value = Vec<household_external_id::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ExternalIdsOf],
    ) -> Result<HashMap<ExternalIdsOf, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("ExternalIdsOf", keys.len());
        let rows = visible_external_ids(&self.scope)
            .filter(household_external_id::Column::HouseholdId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut out: HashMap<ExternalIdsOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(ExternalIdsOf(row.household_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

/// A page of members with each one's person, read in one statement (the person through
/// `visible_persons`, as `PersonId` would read it).
pub type MemberRow = (membership::Model, Option<person::Model>);

fn with_person(scope: &crate::auth::Scope) -> JoinOne<membership::Column, person::Entity> {
    JoinOne::new(
        membership::Column::PersonId,
        visible_persons(scope),
        person::Column::Id,
    )
}

child_page_loader!(
    CurrentMembersOf,
    CurrentMemberCount,
    membership,
    HouseholdId,
    Id,
    |scope| visible_memberships(scope).filter(membership::Column::EndDate.is_null()),
    item: MemberRow,
    rows: with_person
);
child_page_loader!(
    AllMembersOf,
    AllMemberCount,
    membership,
    HouseholdId,
    Id,
    visible_memberships,
    item: MemberRow,
    rows: with_person
);
child_page_loader!(
    StatusHistoryOf,
    StatusHistoryCount,
    household_status_event,
    HouseholdId,
    Id,
    visible_status_events
);

/// Households inside an area (code prefix) that the viewer may see.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HouseholdCountIn(pub String);

impl Loader<HouseholdCountIn> for DbLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[HouseholdCountIn],
    ) -> Result<HashMap<HouseholdCountIn, u64>, Self::Error> {
        crate::metrics::observe_batch("HouseholdCountIn", keys.len());
        // One GROUP BY per code length in the batch (areas of one level share a length).
        let mut by_len: HashMap<usize, Vec<String>> = HashMap::new();
        for k in keys {
            by_len.entry(k.0.len()).or_default().push(k.0.clone());
        }
        let mut out = HashMap::new();
        for (len, codes) in by_len {
            let prefix = Expr::cust(format!("substr(village_code, 1, {len})"));
            let rows: Vec<(String, i64)> = visible_households(&self.scope)
                .select_only()
                .column_as(prefix.clone(), "prefix")
                .column_as(Expr::cust("COUNT(*)"), "n")
                .filter(Expr::cust(format!("substr(village_code, 1, {len})")).is_in(codes.clone()))
                .group_by(prefix)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(ApiError::from)?;
            let counts: HashMap<String, i64> = rows.into_iter().collect();
            for code in codes {
                let n = counts.get(&code).copied().unwrap_or(0) as u64;
                out.insert(HouseholdCountIn(code), n);
            }
        }
        Ok(out)
    }
}
