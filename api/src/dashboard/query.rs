//! `dashboard(areaCode, from, to)`.
use async_graphql::{Context, Object, Result};
use chrono::NaiveDate;

use super::{service, types::Dashboard};
use crate::{
    auth::policy,
    graphql::{
        context::{scope, services},
        response_cache::SharedDependencies,
    },
};

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// Counts of an area and of each area directly inside it, read from the rollups (see
    /// docs/dashboards.md). ADMIN reads exact numbers; COORDINATOR and SURVEYOR exact numbers
    /// in their areas and suppressed ones elsewhere; ANALYST suppressed numbers, inside its
    /// areas when it has any (FORBIDDEN elsewhere).
    #[graphql(guard = "policy::DASHBOARD_READERS")]
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "DOPA code of a province, district, subdistrict or village; null for the whole country."
        )]
        area_code: Option<String>,
        #[graphql(
            desc = "First day of the period (default: the first day of the month 11 months ago)."
        )]
        from: Option<NaiveDate>,
        #[graphql(desc = "Last day of the period (default: today).")] to: Option<NaiveDate>,
    ) -> Result<Dashboard> {
        let s = services(ctx);
        let req = service::request(area_code.as_deref(), from, to, service::today())?;
        let read = service::dashboard(
            &s.db,
            &s.live,
            &s.dashboards,
            &scope(ctx),
            s.settings.measurement.suppression_k,
            &req,
        )
        .await?;
        if let Some(dependencies) = ctx.data_opt::<SharedDependencies>() {
            dependencies.record(&read.provinces, &read.versions);
        }
        Ok(Dashboard(read.assembled))
    }
}
