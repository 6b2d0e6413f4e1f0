use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use entity::{area, enums::AuditAction};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr};

use super::{service::check_codes_exist, types::Area};
use crate::{
    audit::service::{AuditEntry, record},
    auth::policy,
    error::ApiError,
    graphql::context::{actor, services},
};

/// Put areas into, or take them out of, the programme's TARGET cohort.
#[derive(InputObject)]
pub struct SetAreaTargetCohortInput {
    /// DOPA codes (at most 100).
    pub codes: Vec<String>,
    /// true to add them to the cohort, false to remove them.
    pub target: bool,
}

/// The areas after the change.
#[derive(SimpleObject)]
pub struct SetAreaTargetCohortPayload {
    /// The areas named in the input.
    pub areas: Vec<Area>,
}

#[derive(Default)]
pub struct AreaMutation;

#[Object]
impl AreaMutation {
    /// Sets the TARGET cohort flag of areas (ADMIN).
    #[graphql(guard = "policy::ADMINS")]
    async fn set_area_target_cohort(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `SetAreaTargetCohortInput`.")]
        input: SetAreaTargetCohortInput,
    ) -> Result<SetAreaTargetCohortPayload> {
        if input.codes.is_empty() || input.codes.len() > 100 {
            return Err(ApiError::bad_input("codes", "give 1 to 100 area codes").into());
        }
        let db = &services(ctx).db;
        let codes = check_codes_exist(db, &input.codes, "codes").await?;
        let actor = actor(ctx)?;
        let txn = db.begin().await.map_err(ApiError::from)?;
        area::Entity::update_many()
            .col_expr(area::Column::IsTarget, Expr::value(input.target))
            .col_expr(area::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
            .filter(area::Column::Code.is_in(codes.iter().cloned()))
            .exec(&txn)
            .await
            .map_err(ApiError::from)?;
        for code in &codes {
            record(
                &txn,
                AuditEntry::by(&actor, AuditAction::Update)
                    .entity("Area", code)
                    .fields(["cohorts"]),
            )
            .await?;
        }
        txn.commit().await.map_err(ApiError::from)?;
        let areas = area::Entity::find()
            .filter(area::Column::Code.is_in(codes))
            .all(db)
            .await
            .map_err(ApiError::from)?;
        Ok(SetAreaTargetCohortPayload {
            areas: areas.into_iter().map(Area).collect(),
        })
    }
}
