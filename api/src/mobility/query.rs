use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;

use super::{
    compute::{self, Criteria},
    service::{self, check_period},
    types::{Mobility, MobilityCapital, MobilityGroup, MobilityPopulation, MovementDirection},
};
use crate::{
    assessment::types::{IncomeLevel, LadderLevel},
    auth::policy,
    case::types::InterventionKind,
    error::ApiError,
    graphql::{
        context::{scope, services},
        node,
        pagination::{PageArgs, TotalCount},
        schema::Household,
    },
    household::types::HouseholdConnection,
};

#[derive(Default)]
pub struct MobilityQuery;

#[Object]
impl MobilityQuery {
    /// Ladder movement of the households of an area you may see, over a period
    /// (docs/mobility.md): counts up / stayed / fell, transition matrices overall and per
    /// capital, income levels, by intervention kind and by technology. ADMIN, COORDINATOR,
    /// SURVEYOR (ANALYST reads the dashboards' suppressed figures instead). At most 50,000
    /// households and 20 years per request.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn mobility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "DOPA code prefix: a province, district, subdistrict or village.")]
        area_code: String,
        #[graphql(desc = "Start of the period (baseline: the level on this date).")]
        from: NaiveDate,
        #[graphql(desc = "End of the period (endline: the level on this date).")] to: NaiveDate,
    ) -> Result<Mobility> {
        let period = check_period(&area_code, from, to)?;
        let facts = service::area_facts(&services(ctx).db, &scope(ctx), &period).await?;
        Ok(Mobility {
            area_code: period.area.as_str().to_string(),
            from,
            to,
            summary: compute::summarise(&facts),
        })
    }

    /// The households behind any figure of `mobility` (same arguments, then the figure's
    /// filters), oldest id first. Without filters: the reassessed households. Same roles as
    /// `mobility`.
    #[expect(
        clippy::too_many_arguments,
        reason = "each GraphQL argument of the field is one parameter of its resolver"
    )]
    #[graphql(
        guard = "policy::FIELD_STAFF",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn mobility_households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "DOPA code prefix, as for `mobility`.")] area_code: String,
        #[graphql(desc = "Start of the period.")] from: NaiveDate,
        #[graphql(desc = "End of the period.")] to: NaiveDate,
        #[graphql(desc = "REASSESSED (default), NOT_REASSESSED or CONSIDERED (both).")]
        population: Option<MobilityPopulation>,
        #[graphql(
            desc = "The ladder `fromLevel`, `toLevel` and `direction` read (default OVERALL)."
        )]
        capital: Option<MobilityCapital>,
        #[graphql(desc = "Level at the baseline.")] from_level: Option<LadderLevel>,
        #[graphql(desc = "Level at the endline.")] to_level: Option<LadderLevel>,
        #[graphql(desc = "Up, stayed or fell.")] direction: Option<MovementDirection>,
        #[graphql(desc = "Income level at the baseline.")] income_from_level: Option<IncomeLevel>,
        #[graphql(desc = "Income level at the endline.")] income_to_level: Option<IncomeLevel>,
        #[graphql(desc = "Income level up, stayed or fell.")] income_direction: Option<
            MovementDirection,
        >,
        #[graphql(desc = "Received this kind of intervention between baseline and endline.")]
        intervention_kind: Option<InterventionKind>,
        #[graphql(desc = "A technology of `byTechnology`.")] technology_id: Option<ID>,
        #[graphql(desc = "With `technologyId`: ADOPTERS (default) or COMPARISON.")] group: Option<
            MobilityGroup,
        >,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<HouseholdConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let period = check_period(&area_code, from, to)?;
        let technology = match technology_id {
            Some(id) => Some(node::decode_uuid(&id, "Technology", "technologyId")?),
            None if group.is_some() => {
                return Err(ApiError::bad_input("group", "a group needs a technologyId").into());
            }
            None => None,
        };
        let criteria = Criteria {
            population: population.unwrap_or_default().into(),
            dim: capital.map(Into::into),
            from_level: from_level.map(Into::into),
            to_level: to_level.map(Into::into),
            direction: direction.map(Into::into),
            income_from: income_from_level.map(Into::into),
            income_to: income_to_level.map(Into::into),
            income_direction: income_direction.map(Into::into),
            kind: intervention_kind.map(Into::into),
            technology: technology.map(|t| (t, group.map_or(compute::Group::Adopters, Into::into))),
        };
        let (page, total) =
            service::households_behind(&services(ctx).db, &scope(ctx), &period, &criteria, &args)
                .await?;
        Ok(HouseholdConnection::from_page(
            page.map(Household::new),
            |h| h.model().id.to_string(),
            TotalCount::new(move |_| Box::pin(async move { Ok(total) })),
        ))
    }
}
