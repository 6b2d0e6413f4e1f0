use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::enums::CapitalMinimums;

use super::{
    service::{
        ServiceFields, TechnologyFields, check_owner, find_service, find_technology, provider_for,
        save_entry,
    },
    types::{Service, ServiceCategory, Technology, TechnologySector},
};
use crate::{
    assessment::{service::score_hundredths, types::Capital},
    auth::policy,
    error::ApiError,
    graphql::{
        context::{actor, services, viewer},
        node,
    },
};

/// Minimum capital scores (1.00–4.00); omit a capital for no minimum.
#[derive(InputObject, Default)]
pub struct MinimumScoresInput {
    /// Human capital.
    pub human: Option<f64>,
    /// Physical capital.
    pub physical: Option<f64>,
    /// Financial capital.
    pub financial: Option<f64>,
    /// Natural capital.
    pub natural: Option<f64>,
    /// Social capital.
    pub social: Option<f64>,
}

fn minimums(m: Option<MinimumScoresInput>) -> Result<CapitalMinimums, ApiError> {
    let m = m.unwrap_or_default();
    let f = |v: Option<f64>, field: &str| v.map(|v| score_hundredths(v, field)).transpose();
    Ok(CapitalMinimums {
        human: f(m.human, "minScores.human")?,
        physical: f(m.physical, "minScores.physical")?,
        financial: f(m.financial, "minScores.financial")?,
        natural: f(m.natural, "minScores.natural")?,
        social: f(m.social, "minScores.social")?,
    })
}

/// A technology (all fields; an update replaces them).
#[derive(InputObject)]
pub struct TechnologyInput {
    /// Providing agency (ADMIN only; agency staff always add their own agency's).
    pub agency_id: Option<ID>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Sector.
    pub sector: TechnologySector,
    /// Capitals it raises (at least one).
    pub capitals_raised: Vec<Capital>,
    /// Minimum capital scores (hard filter).
    pub min_scores: Option<MinimumScoresInput>,
    /// Needs land to farm (hard filter).
    #[graphql(default = false)]
    pub requires_land: bool,
    /// Working-age members needed (hard filter).
    #[graphql(default = 0)]
    pub min_working_age_members: i32,
    /// DOPA code prefixes where it suits (empty: everywhere).
    #[graphql(default)]
    pub suitable_areas: Vec<String>,
    /// Cost per household, baht: 0 to 10,000,000.
    pub unit_cost: i32,
    /// Expected income gain per household per month, baht: 0 to 1,000,000.
    pub monthly_income_gain: i32,
    /// Days of training.
    pub training_days: i32,
    /// Seats per training round.
    pub seats_per_round: i32,
    /// Technology readiness level, 1–9.
    pub readiness_level: i32,
    /// Offered now.
    #[graphql(default = true)]
    pub active: bool,
}

impl TechnologyInput {
    fn fields(self) -> Result<(Option<ID>, TechnologyFields), ApiError> {
        Ok((
            self.agency_id,
            TechnologyFields {
                name: self.name,
                description: self.description,
                sector: self.sector.into(),
                capitals_raised: self.capitals_raised.into_iter().map(Into::into).collect(),
                min_scores: minimums(self.min_scores)?,
                requires_land: self.requires_land,
                min_working_age_members: self.min_working_age_members,
                suitable_areas: self.suitable_areas,
                unit_cost_baht: self.unit_cost,
                monthly_income_gain_baht: self.monthly_income_gain,
                training_days: self.training_days,
                seats_per_round: self.seats_per_round,
                readiness_level: self.readiness_level,
                active: self.active,
            },
        ))
    }
}

/// Replaces a technology's fields.
#[derive(InputObject)]
pub struct UpdateTechnologyInput {
    /// The technology.
    pub id: ID,
    /// The `version` you read.
    pub version: i32,
    /// The new fields.
    pub technology: TechnologyInput,
}

/// The technology a mutation wrote.
#[derive(SimpleObject)]
pub struct TechnologyPayload {
    /// The technology after the change.
    pub technology: Technology,
}

/// A service (all fields; an update replaces them).
#[derive(InputObject)]
pub struct ServiceInput {
    /// Providing agency (ADMIN only).
    pub agency_id: Option<ID>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Kind of service.
    pub category: ServiceCategory,
    /// Capitals it targets.
    #[graphql(default)]
    pub target_capitals: Vec<Capital>,
    /// DOPA code prefixes it covers (empty: everywhere).
    #[graphql(default)]
    pub coverage: Vec<String>,
    /// Households it can take.
    pub capacity: Option<i32>,
    /// Offered now.
    #[graphql(default = true)]
    pub active: bool,
}

/// Replaces a service's fields.
#[derive(InputObject)]
pub struct UpdateServiceInput {
    /// The service.
    pub id: ID,
    /// The `version` you read.
    pub version: i32,
    /// The new fields.
    pub service: ServiceInput,
}

/// The service a mutation wrote.
#[derive(SimpleObject)]
pub struct ServicePayload {
    /// The service after the change.
    pub service: Service,
}

fn service_fields(i: ServiceInput) -> (Option<ID>, ServiceFields) {
    (
        i.agency_id,
        ServiceFields {
            name: i.name,
            description: i.description,
            category: i.category.into(),
            target_capitals: i.target_capitals.into_iter().map(Into::into).collect(),
            coverage: i.coverage,
            capacity: i.capacity,
            active: i.active,
        },
    )
}

fn agency_of(id: Option<ID>) -> Result<Option<uuid::Uuid>, ApiError> {
    id.map(|a| node::decode_uuid(&a, "Agency", "agencyId"))
        .transpose()
}

#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Adds a technology (ADMIN, or agency staff for their own agency).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn create_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `TechnologyInput`.")] input: TechnologyInput,
    ) -> Result<TechnologyPayload> {
        let db = &services(ctx).db;
        let (agency, fields) = input.fields()?;
        let agency = provider_for(db, viewer(ctx), agency_of(agency)?).await?;
        let model = save_entry(db, &actor(ctx)?, None, agency, fields).await?;
        Ok(TechnologyPayload {
            technology: Technology(model),
        })
    }

    /// Replaces a technology's fields (ADMIN, or its agency's staff).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn update_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateTechnologyInput`.")]
        input: UpdateTechnologyInput,
    ) -> Result<TechnologyPayload> {
        let db = &services(ctx).db;
        let id = node::decode_uuid(&input.id, "Technology", "id")?;
        let current = find_technology(db, id).await?;
        check_owner(viewer(ctx), current.agency_id)?;
        let (agency, fields) = input.technology.fields()?;
        let agency = match (viewer(ctx).is_admin(), agency_of(agency)?) {
            (true, Some(a)) => provider_for(db, viewer(ctx), Some(a)).await?,
            _ => current.agency_id,
        };
        let model = save_entry(
            db,
            &actor(ctx)?,
            Some((current, input.version)),
            agency,
            fields,
        )
        .await?;
        Ok(TechnologyPayload {
            technology: Technology(model),
        })
    }

    /// Adds a service (ADMIN, or agency staff for their own agency).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ServiceInput`.")] input: ServiceInput,
    ) -> Result<ServicePayload> {
        let db = &services(ctx).db;
        let (agency, fields) = service_fields(input);
        let agency = provider_for(db, viewer(ctx), agency_of(agency)?).await?;
        let model = save_entry(db, &actor(ctx)?, None, agency, fields).await?;
        Ok(ServicePayload {
            service: Service(model),
        })
    }

    /// Replaces a service's fields (ADMIN, or its agency's staff).
    #[graphql(guard = "policy::PROVIDERS")]
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateServiceInput`.")] input: UpdateServiceInput,
    ) -> Result<ServicePayload> {
        let db = &services(ctx).db;
        let id = node::decode_uuid(&input.id, "Service", "id")?;
        let current = find_service(db, id).await?;
        check_owner(viewer(ctx), current.agency_id).map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("service"),
            other => other,
        })?;
        let (agency, fields) = service_fields(input.service);
        let agency = match (viewer(ctx).is_admin(), agency_of(agency)?) {
            (true, Some(a)) => provider_for(db, viewer(ctx), Some(a)).await?,
            _ => current.agency_id,
        };
        let model = save_entry(
            db,
            &actor(ctx)?,
            Some((current, input.version)),
            agency,
            fields,
        )
        .await?;
        Ok(ServicePayload {
            service: Service(model),
        })
    }
}
