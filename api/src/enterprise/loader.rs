use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::enterprise;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::service::{visible_enterprises, visible_links};
use crate::{by_id_loader, child_page_loader, error::ApiError, graphql::loaders::DbLoader};

/// An enterprise by id, if it lies in the viewer's areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnterpriseId(pub Uuid);

impl Loader<EnterpriseId> for DbLoader {
    type Value = enterprise::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[EnterpriseId],
    ) -> Result<HashMap<EnterpriseId, enterprise::Model>, Self::Error> {
        crate::metrics::observe_batch("EnterpriseId", keys.len());
        let rows = visible_enterprises(&self.scope)
            .filter(enterprise::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|e| (EnterpriseId(e.id), e)).collect())
    }
}

by_id_loader!(EnterpriseLinkId, enterprise_link, visible_links);
child_page_loader!(
    LinksOfHousehold,
    LinkCountOfHousehold,
    enterprise_link,
    HouseholdId,
    Id,
    visible_links
);

child_page_loader!(
    LinksOfEnterprise,
    LinkCountOfEnterprise,
    enterprise_link,
    EnterpriseId,
    Id,
    visible_links
);
