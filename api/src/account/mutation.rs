use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entity::enums::AuditAction;

use super::{
    service::{self, AccountChanges, NewAccount},
    types::{Account, AuthPayload, Role},
};
use crate::{
    audit::service::{AuditEntry, record},
    auth::{
        policy,
        service::{AuthService, IssuedTokens, revoke_account_sessions, revoke_sessions},
    },
    graphql::{
        context::{account, actor, request_id, services},
        node,
    },
};

/// Sign in with a login and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// Login name (case-insensitive).
    pub login: String,
    /// Password.
    #[graphql(secret)]
    pub password: String,
}

/// Exchange a refresh token for new tokens.
#[derive(InputObject)]
pub struct RefreshTokenInput {
    /// The refresh token from `login` or the last `refreshToken`.
    #[graphql(secret)]
    pub refresh_token: String,
}

/// Sign out.
#[derive(InputObject, Default)]
pub struct LogoutInput {
    /// Sign out of every session of this account, not just this one.
    #[graphql(default = false)]
    pub everywhere: bool,
}

/// Result of `logout`.
#[derive(SimpleObject)]
pub struct LogoutPayload {
    /// How many sessions were ended.
    pub revoked_sessions: i32,
}

/// A new account (ADMIN).
#[derive(InputObject)]
pub struct CreateAccountInput {
    /// Login name: 3–64 letters, digits, '.', '_', '-' or '@'; stored lower-cased.
    pub login: String,
    /// Name shown to other users.
    pub display_name: String,
    /// Initial password: at least 12 characters, not common, not containing the login.
    #[graphql(secret)]
    pub password: String,
    /// Role.
    pub role: Role,
    /// DOPA code prefixes (required for COORDINATOR and SURVEYOR; optional for ANALYST; none
    /// for ADMIN and AGENCY).
    #[graphql(default)]
    pub area_scopes: Vec<String>,
    /// Agency the account acts for (required for AGENCY).
    pub agency_id: Option<ID>,
}

/// Changes to an account (ADMIN). Omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateAccountInput {
    /// The account.
    pub id: ID,
    /// The `version` you read; a stale one is CONFLICT.
    pub version: i32,
    /// New display name.
    pub display_name: Option<String>,
    /// New role (signs the account out everywhere).
    pub role: Option<Role>,
    /// New area scopes (signs the account out everywhere).
    pub area_scopes: Option<Vec<String>>,
    /// New agency, or null to clear it (signs the account out everywhere).
    pub agency_id: MaybeUndefined<ID>,
}

/// Names one account.
#[derive(InputObject)]
pub struct AccountIdInput {
    /// The account.
    pub id: ID,
}

/// A new password for an account (ADMIN).
#[derive(InputObject)]
pub struct ResetAccountPasswordInput {
    /// The account.
    pub id: ID,
    /// The new password (same policy as at creation).
    #[graphql(secret)]
    pub new_password: String,
}

/// The account a mutation changed.
#[derive(SimpleObject)]
pub struct AccountPayload {
    /// The account after the change.
    pub account: Account,
}

fn auth_service<'a>(ctx: &'a Context<'_>) -> AuthService<'a> {
    let s = services(ctx);
    AuthService {
        db: &s.db,
        keys: &s.keys,
        refresh_ttl: s.settings.jwt.refresh_ttl,
        login: &s.settings.login,
        request_id: request_id(ctx),
    }
}

fn payload(t: IssuedTokens) -> AuthPayload {
    AuthPayload {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_in: t.expires_in,
        account_model: t.account,
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. A wrong login and a wrong password give the same UNAUTHENTICATED error;
    /// repeated failures for one login are slowed down (RATE_LIMITED with `retryAfter`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `LoginInput`.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        Ok(payload(
            auth_service(ctx)
                .login(&input.login, &input.password)
                .await?,
        ))
    }

    /// Exchanges a refresh token for a new access token and a new refresh token. Each refresh
    /// token works once; presenting a used one ends its whole session.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RefreshTokenInput`.")] input: RefreshTokenInput,
    ) -> Result<AuthPayload> {
        let tokens = auth_service(ctx).refresh(&input.refresh_token).await?;
        Ok(payload(tokens))
    }

    /// Signs out: ends this session (or, with `everywhere`, every session of the account).
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `LogoutInput`.")] input: Option<LogoutInput>,
    ) -> Result<LogoutPayload> {
        let me = account(ctx)?;
        let input = input.unwrap_or_default();
        let db = &services(ctx).db;
        let txn = sea_orm::TransactionTrait::begin(db)
            .await
            .map_err(crate::error::ApiError::from)?;
        let revoked = if input.everywhere {
            revoke_account_sessions(&txn, me.id, "LOGOUT").await?
        } else {
            revoke_sessions(&txn, &[me.session_id], "LOGOUT").await?
        };
        record(
            &txn,
            AuditEntry::by(&actor(ctx)?, AuditAction::Logout).entity("Account", me.id),
        )
        .await?;
        txn.commit().await.map_err(crate::error::ApiError::from)?;
        crate::live::account_changed_locally(db, me.id);
        Ok(LogoutPayload {
            revoked_sessions: revoked as i32,
        })
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account (ADMIN). A taken login is CONFLICT.
    #[graphql(guard = "policy::ADMINS")]
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CreateAccountInput`.")] input: CreateAccountInput,
    ) -> Result<AccountPayload> {
        let agency_id = input
            .agency_id
            .as_ref()
            .map(|id| node::decode_uuid(id, "Agency", "agencyId"))
            .transpose()?;
        let model = service::create_account(
            &services(ctx).db,
            &actor(ctx)?,
            NewAccount {
                login: input.login,
                display_name: input.display_name,
                password: input.password,
                role: input.role.into(),
                area_scopes: input.area_scopes,
                agency_id,
            },
        )
        .await?;
        Ok(AccountPayload {
            account: Account(model),
        })
    }

    /// Changes an account (ADMIN). A role, scope or agency change signs it out everywhere.
    #[graphql(guard = "policy::ADMINS")]
    async fn update_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateAccountInput`.")] input: UpdateAccountInput,
    ) -> Result<AccountPayload> {
        let id = node::decode_uuid(&input.id, "Account", "id")?;
        let agency_id = match input.agency_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(node::decode_uuid(&id, "Agency", "agencyId")?)),
        };
        let model = service::update_account(
            &services(ctx).db,
            &actor(ctx)?,
            id,
            input.version,
            AccountChanges {
                display_name: input.display_name,
                role: input.role.map(Into::into),
                area_scopes: input.area_scopes,
                agency_id,
            },
        )
        .await?;
        crate::live::account_changed_locally(&services(ctx).db, model.id);
        Ok(AccountPayload {
            account: Account(model),
        })
    }

    /// Deactivates an account (ADMIN): it can no longer sign in, and its sessions end now.
    #[graphql(guard = "policy::ADMINS")]
    async fn deactivate_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `AccountIdInput`.")] input: AccountIdInput,
    ) -> Result<AccountPayload> {
        let id = node::decode_uuid(&input.id, "Account", "id")?;
        let model = service::set_active(&services(ctx).db, &actor(ctx)?, id, false).await?;
        crate::live::account_changed_locally(&services(ctx).db, model.id);
        Ok(AccountPayload {
            account: Account(model),
        })
    }

    /// Reactivates a deactivated account (ADMIN).
    #[graphql(guard = "policy::ADMINS")]
    async fn reactivate_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `AccountIdInput`.")] input: AccountIdInput,
    ) -> Result<AccountPayload> {
        let id = node::decode_uuid(&input.id, "Account", "id")?;
        let model = service::set_active(&services(ctx).db, &actor(ctx)?, id, true).await?;
        crate::live::account_changed_locally(&services(ctx).db, model.id);
        Ok(AccountPayload {
            account: Account(model),
        })
    }

    /// Sets a new password for an account (ADMIN) and ends its sessions.
    #[graphql(guard = "policy::ADMINS")]
    async fn reset_account_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ResetAccountPasswordInput`.")]
        input: ResetAccountPasswordInput,
    ) -> Result<AccountPayload> {
        let id = node::decode_uuid(&input.id, "Account", "id")?;
        let model =
            service::reset_password(&services(ctx).db, &actor(ctx)?, id, input.new_password)
                .await?;
        crate::live::account_changed_locally(&services(ctx).db, model.id);
        Ok(AccountPayload {
            account: Account(model),
        })
    }
}
