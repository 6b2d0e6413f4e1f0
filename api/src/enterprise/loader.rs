use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{enterprise, enterprise_link};
use sea_orm::{ColumnTrait, QueryFilter, Value};
use uuid::Uuid;

use super::service::{visible_enterprises, visible_links};
use crate::{
    by_id_loader, child_page_loader,
    error::ApiError,
    graphql::{
        loaders::DbLoader,
        pagination::{Keyset, Page, PageArgs, count_children, fetch_child_pages},
    },
};

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

/// One page of an enterprise's links to households the viewer may see (one windowed
/// statement for every enterprise of a batch).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinksOfEnterprise {
    pub enterprise: Uuid,
    pub page: PageArgs,
}

impl Loader<LinksOfEnterprise> for DbLoader {
    type Value = Page<enterprise_link::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LinksOfEnterprise],
    ) -> Result<HashMap<LinksOfEnterprise, Self::Value>, Self::Error> {
        // Siblings in one query share their page arguments, so this is one statement.
        let mut by_page: HashMap<&PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(&key.page).or_default().push(key.enterprise);
        }
        let mut out = HashMap::new();
        for (page, enterprises) in by_page {
            let mut pages = fetch_child_pages(
                &self.db,
                visible_links(&self.scope),
                enterprise_link::Column::EnterpriseId,
                enterprises.iter().map(|e| Value::from(*e)).collect(),
                Keyset::uuid(enterprise_link::Column::Id),
                page,
            )
            .await?;
            for enterprise in enterprises {
                let rows = pages.remove(&enterprise.to_string()).unwrap_or_default();
                out.insert(
                    LinksOfEnterprise {
                        enterprise,
                        page: page.clone(),
                    },
                    rows,
                );
            }
        }
        Ok(out)
    }
}

/// How many of an enterprise's links are to households the viewer may see (one `GROUP BY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkCountOfEnterprise(pub Uuid);

impl Loader<LinkCountOfEnterprise> for DbLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LinkCountOfEnterprise],
    ) -> Result<HashMap<LinkCountOfEnterprise, u64>, Self::Error> {
        let counts = count_children(
            &self.db,
            visible_links(&self.scope),
            enterprise_link::Column::EnterpriseId,
            keys.iter().map(|k| Value::from(k.0)).collect(),
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0.to_string()).copied().unwrap_or(0)))
            .collect())
    }
}
