//! Registry writes. Pattern for every write: check everything first (outside the
//! transaction), then one transaction whose first statement is the write (so concurrent writers
//! queue on SQLite instead of failing), with the audit event and the idempotency key inside it.
mod identity;
mod lifecycle;
mod members;
mod register;
mod search;
mod visibility;

pub use self::{identity::*, lifecycle::*, members::*, register::*, search::*, visibility::*};

use chrono::Utc;
use entity::household;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    audit::service::Actor,
    auth::Scope,
    error::{ApiError, ApiResult},
};

/// Who writes: the connection, the caller's scope and the actor the audit log names.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a Scope,
    pub actor: &'a Actor,
}

/// Bumps a household's version if it is still `version`, with the changed columns (the first
/// statement of a write to a household or its members; shared with the import).
pub(crate) async fn claim_household(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    household_id: Uuid,
    version: i32,
    columns: &[(household::Column, SimpleExpr)],
) -> ApiResult<()> {
    let mut update = household::Entity::update_many()
        .col_expr(household::Column::Version, Expr::value(version + 1))
        .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(household::Column::UpdatedBy, Expr::value(actor.id));
    for (column, value) in columns {
        update = update.col_expr(*column, value.clone());
    }
    let res = update
        .filter(household::Column::Id.eq(household_id))
        .filter(household::Column::Version.eq(version))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::stale("household"));
    }
    Ok(())
}
