use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::{service::set_target_cohort, types::Area};
use crate::{
    auth::policy,
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
        let areas =
            set_target_cohort(&services(ctx).db, &actor(ctx)?, &input.codes, input.target).await?;
        Ok(SetAreaTargetCohortPayload {
            areas: areas.into_iter().map(Area).collect(),
        })
    }
}
