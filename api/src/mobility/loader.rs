//! Household ladder loaders: one statement per batch of households (two for adoptions),
//! through the same visibility as every other record of a household.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use chrono::NaiveDate;
use entity::{assessment, enums::MatchStatus, intervention, r#match as matches, match_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::compute::{Snap, movement, time_order};
use crate::{
    assessment::service::visible_assessments, case::service::visible_interventions,
    error::ApiError, graduation::service::COUNTING, graphql::loaders::DbLoader,
    matching::service::visible_matches,
};

/// At most this many interventions (and adopted matches) are listed per movement.
pub const MAX_LISTED: usize = 100;

/// The baseline and endline assessments of a household for a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LadderOf {
    pub household: Uuid,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Loader<LadderOf> for DbLoader {
    type Value = (assessment::Model, assessment::Model);
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[LadderOf]) -> Result<HashMap<LadderOf, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("LadderOf", keys.len());
        let rows = visible_assessments(&self.scope)
            .filter(assessment::Column::HouseholdId.is_in(keys.iter().map(|k| k.household)))
            .filter(assessment::Column::Status.is_in(COUNTING))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut by_household: HashMap<Uuid, Vec<assessment::Model>> = HashMap::new();
        for a in rows {
            by_household.entry(a.household_id).or_default().push(a);
        }
        let mut out = HashMap::new();
        for key in keys {
            let Some(list) = by_household.get(&key.household) else {
                continue;
            };
            let mut snaps: Vec<Snap> = list.iter().map(Snap::from).collect();
            snaps.sort_by(time_order);
            if let Some(m) = movement(&snaps, key.from, key.to) {
                let find = |id: Uuid| list.iter().find(|a| a.id == id).cloned();
                if let (Some(b), Some(e)) = (find(m.baseline.id), find(m.endline.id)) {
                    out.insert(*key, (b, e));
                }
            }
        }
        Ok(out)
    }
}

/// Interventions delivered to a household between two dates (both included), oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InterventionsBetween {
    pub household: Uuid,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Loader<InterventionsBetween> for DbLoader {
    type Value = Vec<intervention::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[InterventionsBetween],
    ) -> Result<HashMap<InterventionsBetween, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("InterventionsBetween", keys.len());
        let (Some(start), Some(end)) = (
            keys.iter().map(|k| k.start).min(),
            keys.iter().map(|k| k.end).max(),
        ) else {
            return Ok(HashMap::new());
        };
        let rows = visible_interventions(&self.scope)
            .filter(intervention::Column::HouseholdId.is_in(keys.iter().map(|k| k.household)))
            .filter(intervention::Column::DeliveredOn.between(start, end))
            .order_by_asc(intervention::Column::DeliveredOn)
            .order_by_asc(intervention::Column::Id)
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(keys
            .iter()
            .map(|k| {
                let list: Vec<intervention::Model> = rows
                    .iter()
                    .filter(|i| {
                        i.household_id == k.household
                            && k.start <= i.delivered_on
                            && i.delivered_on <= k.end
                    })
                    .take(MAX_LISTED)
                    .cloned()
                    .collect();
                (*k, list)
            })
            .collect())
    }
}

/// Matches of a household that reached ADOPTED between two dates (both included), in the
/// order they did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdoptionsBetween {
    pub household: Uuid,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Loader<AdoptionsBetween> for DbLoader {
    type Value = Vec<matches::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AdoptionsBetween],
    ) -> Result<HashMap<AdoptionsBetween, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("AdoptionsBetween", keys.len());
        let found = visible_matches(&self.scope)
            .filter(matches::Column::HouseholdId.is_in(keys.iter().map(|k| k.household)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut adopted_at: Vec<(Uuid, NaiveDate)> = Vec::new();
        if !found.is_empty() {
            let events: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = match_event::Entity::find()
                .filter(match_event::Column::ToStatus.eq(MatchStatus::Adopted))
                .filter(match_event::Column::MatchId.is_in(found.iter().map(|m| m.id)))
                .select_only()
                .columns([
                    match_event::Column::MatchId,
                    match_event::Column::OccurredAt,
                ])
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(ApiError::from)?;
            adopted_at = events
                .into_iter()
                .map(|(m, at)| (m, at.date_naive()))
                .collect();
            adopted_at.sort_by_key(|(m, on)| (*on, *m));
        }
        Ok(keys
            .iter()
            .map(|k| {
                let list: Vec<matches::Model> = adopted_at
                    .iter()
                    .filter(|(_, on)| k.start <= *on && *on <= k.end)
                    .filter_map(|(id, _)| {
                        found
                            .iter()
                            .find(|m| m.id == *id && m.household_id == k.household)
                    })
                    .take(MAX_LISTED)
                    .cloned()
                    .collect();
                (*k, list)
            })
            .collect())
    }
}
