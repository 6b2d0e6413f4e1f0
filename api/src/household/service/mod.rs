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
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::{
    audit::service::Actor,
    error::{ApiError, ApiResult},
};

/// Bumps a household's version if it is still `version` (the first statement of a write).
pub(super) async fn claim_household(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
    version: i32,
    actor: &Actor,
    extra: Vec<(household::Column, sea_orm::sea_query::SimpleExpr)>,
) -> ApiResult<()> {
    let mut update = household::Entity::update_many()
        .col_expr(household::Column::Version, Expr::value(version + 1))
        .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(household::Column::UpdatedBy, Expr::value(actor.id));
    for (col, value) in extra {
        update = update.col_expr(col, value);
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
