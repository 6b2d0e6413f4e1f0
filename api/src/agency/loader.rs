use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{agency, agency_coverage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{error::ApiError, graphql::loaders::DbLoader};

/// An agency by id. The agency directory is visible to every signed-in viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AgencyId(pub Uuid);

impl Loader<AgencyId> for DbLoader {
    type Value = agency::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AgencyId],
    ) -> Result<HashMap<AgencyId, agency::Model>, Self::Error> {
        crate::metrics::observe_batch("AgencyId", keys.len());
        // The directory is for signed-in users only.
        if self.viewer.role().is_none() {
            return Ok(HashMap::new());
        }
        let rows = agency::Entity::find()
            .filter(agency::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|a| (AgencyId(a.id), a)).collect())
    }
}

/// The area codes an agency covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AgencyCoverage(pub Uuid);

impl Loader<AgencyCoverage> for DbLoader {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AgencyCoverage],
    ) -> Result<HashMap<AgencyCoverage, Vec<String>>, Self::Error> {
        crate::metrics::observe_batch("AgencyCoverage", keys.len());
        let rows = agency_coverage::Entity::find()
            .filter(agency_coverage::Column::AgencyId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut out: HashMap<AgencyCoverage, Vec<String>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(AgencyCoverage(row.agency_id))
                .or_default()
                .push(row.area_code);
        }
        Ok(out)
    }
}
