use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::account;

use super::types::{Account, AccountConnection, Role};
use crate::{
    auth::policy,
    graphql::{
        context::{account, services, viewer},
        node,
        pagination::{Keyset, PageArgs},
    },
};

/// Filters for `accounts`.
#[derive(InputObject, Default)]
pub struct AccountFilter {
    /// Only accounts with this role.
    pub role: Option<Role>,
    /// Only accounts of this agency.
    pub agency_id: Option<ID>,
    /// Only active (true) or deactivated (false) accounts.
    pub active: Option<bool>,
    /// Part of the login or display name.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account.
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        let me = account(ctx)?;
        let model = super::service::find_visible(&services(ctx).db, viewer(ctx), me.id)
            .await?
            .ok_or(crate::error::ApiError::Unauthenticated(
                "sign in first".into(),
            ))?;
        Ok(Account(model))
    }

    /// Accounts, oldest first (ADMIN).
    #[graphql(
        guard = "policy::ADMINS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which accounts.")] filter: Option<AccountFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AccountConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let select = super::service::list(
            viewer(ctx),
            super::service::AccountListFilter {
                role: f.role.map(Into::into),
                agency_id: f
                    .agency_id
                    .as_ref()
                    .map(|a| node::decode_uuid(a, "Agency", "filter.agencyId"))
                    .transpose()?,
                active: f.active,
                search: f.search,
            },
        );
        Ok(AccountConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(account::Column::Id),
            &args,
            Account,
            |a| a.0.id.to_string(),
        )
        .await?)
    }

    /// One account by id; null when there is none or you may not see it (ADMIN sees every
    /// account, agency staff their colleagues, everyone else only themselves).
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Account>> {
        node::fetch(ctx, &id, "id").await
    }
}
