//! Field guards: which roles may call a field at all. Row-level visibility is the scope layer's
//! job (`scope.rs`); a guard only answers "may this role use this field".
use async_graphql::{Context, Guard, Result};
use entity::enums::Role;

use crate::{auth::Viewer, error::ApiError};

pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    /// Any signed-in account.
    pub const SIGNED_IN: RoleGuard = RoleGuard {
        roles: &[
            Role::Admin,
            Role::Coordinator,
            Role::Surveyor,
            Role::Agency,
            Role::Analyst,
        ],
    };
    pub const ADMIN: RoleGuard = RoleGuard {
        roles: &[Role::Admin],
    };

    pub const fn new(roles: &'static [Role]) -> Self {
        Self { roles }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = ctx
            .data::<Viewer>()
            .map_err(|_| ApiError::internal("no viewer"))?;
        match viewer.role() {
            None => Err(ApiError::Unauthenticated("sign in first".into()).into()),
            Some(role) if self.roles.contains(&role) => Ok(()),
            Some(_) => Err(ApiError::Forbidden.into()),
        }
    }
}
