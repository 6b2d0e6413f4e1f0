use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{household, household_external_id, membership, person};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::service::visible_households;
use crate::{child_page_loader, error::ApiError, graphql::loaders::DbLoader};

/// A household by id, if the viewer may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HouseholdId(pub Uuid);

impl Loader<HouseholdId> for DbLoader {
    type Value = household::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[HouseholdId],
    ) -> Result<HashMap<HouseholdId, household::Model>, Self::Error> {
        let rows = visible_households(&self.scope)
            .filter(household::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|h| (HouseholdId(h.id), h)).collect())
    }
}

/// A person by id. Only reachable under a membership of a household the viewer sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PersonId(pub Uuid);

impl Loader<PersonId> for DbLoader {
    type Value = person::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PersonId],
    ) -> Result<HashMap<PersonId, person::Model>, Self::Error> {
        let rows = person::Entity::find()
            .filter(person::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|p| (PersonId(p.id), p)).collect())
    }
}

/// External ids of a household (one per scheme, so a handful).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternalIdsOf(pub Uuid);

impl Loader<ExternalIdsOf> for DbLoader {
    type Value = Vec<household_external_id::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ExternalIdsOf],
    ) -> Result<HashMap<ExternalIdsOf, Self::Value>, Self::Error> {
        let rows = household_external_id::Entity::find()
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

child_page_loader!(
    CurrentMembersOf,
    CurrentMemberCount,
    membership,
    HouseholdId,
    Id,
    membership::Entity::find().filter(membership::Column::EndDate.is_null())
);
child_page_loader!(
    AllMembersOf,
    AllMemberCount,
    membership,
    HouseholdId,
    Id,
    membership::Entity::find()
);
child_page_loader!(
    StatusHistoryOf,
    StatusHistoryCount,
    household_status_event,
    HouseholdId,
    Id,
    entity::household_status_event::Entity::find()
);
child_page_loader!(
    ConsentsOf,
    ConsentCount,
    consent,
    HouseholdId,
    Id,
    entity::consent::Entity::find()
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
