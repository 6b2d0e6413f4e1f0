use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{enterprise, enterprise_link};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{child_page_loader, error::ApiError, graphql::loaders::DbLoader};

/// An enterprise by id (the directory is public to signed-in users).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnterpriseId(pub Uuid);

impl Loader<EnterpriseId> for DbLoader {
    type Value = enterprise::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[EnterpriseId],
    ) -> Result<HashMap<EnterpriseId, enterprise::Model>, Self::Error> {
        let rows = enterprise::Entity::find()
            .filter(enterprise::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|e| (EnterpriseId(e.id), e)).collect())
    }
}

child_page_loader!(
    LinksOfHousehold,
    LinkCountOfHousehold,
    enterprise_link,
    HouseholdId,
    Id,
    enterprise_link::Entity::find()
);
