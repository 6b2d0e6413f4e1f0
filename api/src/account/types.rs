use async_graphql::{ComplexObject, Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::account;

use crate::{
    agency::types::Agency,
    connection,
    graphql::{context::loader, node},
};

/// What an account may do. See DOMAIN.md, "Roles and what they may see".
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Manages accounts, agencies, the catalogue, reference data and the audit log.
    Admin,
    /// Provincial or district coordinator: all household, case, match and referral work in
    /// their areas.
    Coordinator,
    /// Field staff: registers and updates households, persons, assessments and visits in their
    /// areas; national IDs masked.
    Surveyor,
    /// Staff of a partner agency: acts for that agency only.
    Agency,
    /// Works from aggregates only (`dashboard`): reads no household-level record, not even
    /// de-identified.
    Analyst,
}

/// A person who signs in to the service.
pub struct Account(pub account::Model);

/// A person who signs in to the service.
#[Object]
impl Account {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Account", self.0.id)
    }

    /// Login name (lower case).
    async fn login(&self) -> &str {
        &self.0.login
    }

    /// Name shown to other users.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// DOPA code prefixes this account works in (empty: no area restriction for ADMIN and
    /// ANALYST; not used for AGENCY).
    async fn area_scopes(&self) -> &[String] {
        &self.0.area_scopes.0
    }

    /// The partner agency this account acts for, if any.
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<crate::agency::types::Agency>> {
        let Some(id) = self.0.agency_id else {
            return Ok(None);
        };
        // Not `AgencyId`: the sign-in payloads show the account on a request without a token.
        Ok(loader(ctx)
            .load_one(super::loader::AgencyOfAccount(id))
            .await?
            .map(Agency))
    }

    /// Whether the account may sign in.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// Optimistic-locking version; pass it back in `updateAccount`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the account was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(AccountConnection, AccountEdge, Account, "accounts");

/// Tokens handed out by `login` and `refreshToken`.
#[derive(async_graphql::SimpleObject)]
#[graphql(complex)]
pub struct AuthPayload {
    /// Short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque token for `refreshToken`; single use — each use returns a new one.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    #[graphql(skip)]
    pub account_model: account::Model,
}

#[ComplexObject]
impl AuthPayload {
    /// The signed-in account.
    async fn account(&self) -> Account {
        Account(self.account_model.clone())
    }
}

crate::node_by_loader!(
    Account,
    "Account",
    crate::account::loader::AccountId,
    Account
);
