use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{service as svc, technology};

use crate::{
    agency::{loader::AgencyId, types::Agency},
    assessment::types::Capital,
    connection,
    graphql::{context::loader, node},
};

/// Sector of a technology.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TechnologySector")]
pub enum TechnologySector {
    /// Crops.
    Agriculture,
    /// Animals.
    Livestock,
    /// Fish and aquaculture.
    Fishery,
    /// Food processing.
    FoodProcessing,
    /// Handicraft.
    Handicraft,
    /// Energy (e.g. solar pumps).
    Energy,
    /// Water.
    Water,
    /// Digital.
    Digital,
    /// Anything else.
    Other,
}

/// Kind of service.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ServiceCategory")]
pub enum ServiceCategory {
    /// Urgent relief.
    UrgentRelief,
    /// Housing repair and building.
    Housing,
    /// Health.
    Health,
    /// Education and scholarships.
    Education,
    /// Credit, savings, debt.
    Finance,
    /// Market access.
    MarketAccess,
    /// Occupation training.
    OccupationTraining,
}

/// Minimum capital scores (1.00–4.00); null means no minimum.
#[derive(SimpleObject, Clone, Copy, Default)]
pub struct MinimumScores {
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

pub fn parse_capitals(names: &[String]) -> Vec<Capital> {
    use sea_orm::{ActiveEnum, Iterable};
    names
        .iter()
        .filter_map(|n| entity::enums::Capital::iter().find(|c| c.to_value() == *n))
        .map(Into::into)
        .collect()
}

pub struct Technology(pub technology::Model);

/// An appropriate technology from the university network or another partner.
#[Object]
impl Technology {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Technology", self.0.id)
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The agency that provides it.
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(loader(ctx)
            .load_one(AgencyId(self.0.agency_id))
            .await?
            .map(Agency))
    }

    /// Sector.
    async fn sector(&self) -> TechnologySector {
        self.0.sector.into()
    }

    /// Capitals it raises.
    async fn capitals_raised(&self) -> Vec<Capital> {
        parse_capitals(&self.0.capitals_raised.0)
    }

    /// Minimum capital scores a household needs (a hard filter).
    async fn min_scores(&self) -> MinimumScores {
        let m = &self.0.min_capital_scores;
        let f = |v: Option<i32>| v.map(|v| v as f64 / 100.0);
        MinimumScores {
            human: f(m.human),
            physical: f(m.physical),
            financial: f(m.financial),
            natural: f(m.natural),
            social: f(m.social),
        }
    }

    /// Whether the household needs land to farm (a hard filter).
    async fn requires_land(&self) -> bool {
        self.0.requires_land
    }

    /// Working-age members (15–64) the household needs (a hard filter).
    async fn min_working_age_members(&self) -> i32 {
        self.0.min_working_age_members
    }

    /// DOPA code prefixes where it suits; empty means everywhere.
    async fn suitable_areas(&self) -> &[String] {
        &self.0.suitable_areas.0
    }

    /// Cost per household, baht.
    async fn unit_cost(&self) -> i32 {
        self.0.unit_cost_baht
    }

    /// Expected income gain per household per month, baht.
    async fn monthly_income_gain(&self) -> i32 {
        self.0.monthly_income_gain_baht
    }

    /// Days of training.
    async fn training_days(&self) -> i32 {
        self.0.training_days
    }

    /// Seats per training round.
    async fn seats_per_round(&self) -> i32 {
        self.0.seats_per_round
    }

    /// Technology readiness level (1–9).
    async fn readiness_level(&self) -> i32 {
        self.0.readiness_level
    }

    /// Whether it is offered now.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(
    TechnologyConnection,
    TechnologyEdge,
    Technology,
    "technologies"
);

pub struct Service(pub svc::Model);

/// A service a partner agency offers besides technology.
#[Object]
impl Service {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Service", self.0.id)
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The agency that provides it.
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(loader(ctx)
            .load_one(AgencyId(self.0.agency_id))
            .await?
            .map(Agency))
    }

    /// Kind of service.
    async fn category(&self) -> ServiceCategory {
        self.0.category.into()
    }

    /// Capitals it targets.
    async fn target_capitals(&self) -> Vec<Capital> {
        parse_capitals(&self.0.target_capitals.0)
    }

    /// DOPA code prefixes it covers; empty means everywhere.
    async fn coverage(&self) -> &[String] {
        &self.0.coverage.0
    }

    /// Households it can take (null: no limit given).
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }

    /// Whether it is offered now.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(ServiceConnection, ServiceEdge, Service, "services");

crate::by_id_loader!(ServiceId, service, |_: &crate::auth::Scope| {
    <entity::service::Entity as sea_orm::EntityTrait>::find()
});
crate::node_by_loader!(
    Technology,
    "Technology",
    crate::matching::loader::TechnologyId,
    Technology
);
crate::node_by_loader!(Service, "Service", ServiceId, Service);
