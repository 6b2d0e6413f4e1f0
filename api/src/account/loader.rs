use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::account;
use sea_orm::{ColumnTrait, QueryFilter, Value};
use uuid::Uuid;

use super::service::visible;
use crate::graphql::{
    loaders::DbLoader,
    pagination::{Keyset, Page, PageArgs, count_children, fetch_child_pages},
};

/// An account by id, if the viewer may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(pub Uuid);

impl Loader<AccountId> for DbLoader {
    type Value = account::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AccountId],
    ) -> Result<HashMap<AccountId, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("AccountId", keys.len());
        let rows = visible(&self.viewer)
            .filter(account::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(crate::error::ApiError::from)?;
        Ok(rows.into_iter().map(|m| (AccountId(m.id), m)).collect())
    }
}

/// One page of an agency's accounts (those the viewer may see).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountsOfAgency {
    pub agency: Uuid,
    pub page: PageArgs,
}

impl Loader<AccountsOfAgency> for DbLoader {
    type Value = Page<account::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AccountsOfAgency],
    ) -> Result<HashMap<AccountsOfAgency, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("AccountsOfAgency", keys.len());
        // Siblings in one query share their page arguments, so this is one statement.
        let mut by_page: HashMap<&PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(&key.page).or_default().push(key.agency);
        }
        let mut out = HashMap::new();
        for (page, agencies) in by_page {
            let mut pages = fetch_child_pages(
                &self.db,
                visible(&self.viewer),
                account::Column::AgencyId,
                agencies.iter().map(|a| Value::from(*a)).collect(),
                Keyset::uuid(account::Column::Id),
                page,
            )
            .await?;
            for agency in agencies {
                let rows = pages.remove(&agency.to_string()).unwrap_or_default();
                out.insert(
                    AccountsOfAgency {
                        agency,
                        page: page.clone(),
                    },
                    rows,
                );
            }
        }
        Ok(out)
    }
}

/// How many of an agency's accounts the viewer may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountCountOfAgency(pub Uuid);

impl Loader<AccountCountOfAgency> for DbLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AccountCountOfAgency],
    ) -> Result<HashMap<AccountCountOfAgency, u64>, Self::Error> {
        crate::metrics::observe_batch("AccountCountOfAgency", keys.len());
        let counts = count_children(
            &self.db,
            visible(&self.viewer),
            account::Column::AgencyId,
            keys.iter().map(|k| Value::from(k.0)).collect(),
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0.to_string()).copied().unwrap_or(0)))
            .collect())
    }
}

/// The agency an account acts for, keyed from an `Account` object. Anyone shown an account
/// may see its agency: accounts are only handed out to viewers allowed to see them (the
/// account loaders above), or, in the `login` and `refreshToken` payloads, to the account
/// itself on a request that carries no token yet, which `AgencyId` would treat as anonymous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AgencyOfAccount(pub Uuid);

impl Loader<AgencyOfAccount> for DbLoader {
    type Value = entity::agency::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AgencyOfAccount],
    ) -> Result<HashMap<AgencyOfAccount, Self::Value>, Self::Error> {
        crate::metrics::observe_batch("AgencyOfAccount", keys.len());
        use sea_orm::EntityTrait;
        let rows = entity::agency::Entity::find()
            .filter(entity::agency::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(crate::error::ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|a| (AgencyOfAccount(a.id), a))
            .collect())
    }
}
