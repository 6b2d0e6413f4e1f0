use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{match_event, technology};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::service::visible_matches;
use crate::{by_id_loader, child_page_loader, error::ApiError, graphql::loaders::DbLoader};

by_id_loader!(MatchId, r#match, visible_matches);

/// A technology by id (the catalogue is public to signed-in users).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TechnologyId(pub Uuid);

impl Loader<TechnologyId> for DbLoader {
    type Value = technology::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TechnologyId],
    ) -> Result<HashMap<TechnologyId, technology::Model>, Self::Error> {
        crate::metrics::observe_batch("TechnologyId", keys.len());
        let rows = technology::Entity::find()
            .filter(technology::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|t| (TechnologyId(t.id), t)).collect())
    }
}

/// The status changes of a match the viewer may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatchEventsOf(pub Uuid);

impl Loader<MatchEventsOf> for DbLoader {
    type Value = Vec<match_event::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[MatchEventsOf],
    ) -> Result<HashMap<MatchEventsOf, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("MatchEventsOf", keys.len());
        let visible = visible_matches(&self.scope)
            .select_only()
            .column(entity::r#match::Column::Id)
            .filter(entity::r#match::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .into_query();
        let rows = match_event::Entity::find()
            .filter(match_event::Column::MatchId.in_subquery(visible))
            .order_by_asc(match_event::Column::Id)
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut out: HashMap<MatchEventsOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(MatchEventsOf(r.match_id)).or_default().push(r);
        }
        Ok(out)
    }
}

/// A page of matches with each one's technology, read in one statement (the catalogue as
/// `TechnologyId` reads it: public to signed-in users).
pub type MatchRow = (entity::r#match::Model, Option<technology::Model>);

fn with_technology(
    _: &crate::auth::Scope,
) -> crate::graphql::pagination::JoinOne<entity::r#match::Column, technology::Entity> {
    crate::graphql::pagination::JoinOne::new(
        entity::r#match::Column::TechnologyId,
        technology::Entity::find(),
        technology::Column::Id,
    )
}

child_page_loader!(
    MatchesOf,
    MatchCount,
    r#match,
    HouseholdId,
    Id,
    visible_matches,
    item: MatchRow,
    rows: with_technology
);

child_page_loader!(
    MatchesOfRun,
    RunMatchCount,
    r#match,
    RunId,
    Id,
    visible_matches,
    item: MatchRow,
    rows: with_technology
);
