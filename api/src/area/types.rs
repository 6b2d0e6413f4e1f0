use async_graphql::{Context, Enum, ID, Object, Result};
use entity::area;

use super::loader::{AreaCode, ChildAreaCount, ChildAreas};
use crate::{
    connection,
    graphql::{context::loader, node, pagination::PageArgs},
};

/// Level of an area in the DOPA hierarchy.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AreaLevel")]
pub enum AreaLevel {
    /// จังหวัด (2-digit code).
    Province,
    /// อำเภอ/เขต (4-digit code).
    District,
    /// ตำบล/แขวง (6-digit code).
    Subdistrict,
    /// หมู่บ้าน (8-digit code).
    Village,
}

/// Programme cohorts an area belongs to.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AreaCohort {
    /// One of the programme's target provinces (set by ADMIN).
    Target,
    /// One of the 7 Strategic Research Area provinces.
    Sra,
}

/// An administrative area keyed by its official DOPA code.
pub struct Area(pub area::Model);

/// An administrative area (province, district, subdistrict or village) keyed by its official
/// DOPA code.
#[Object]
impl Area {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Area", &self.0.code)
    }

    /// DOPA code: 2 digits province, 4 district, 6 subdistrict, 8 village.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Level in the hierarchy.
    async fn level(&self) -> AreaLevel {
        self.0.level.into()
    }

    /// Code of the enclosing area (null for a province).
    async fn parent_code(&self) -> Option<&str> {
        self.0.parent_code.as_deref()
    }

    /// The enclosing area.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        let Some(code) = self.0.parent_code.clone() else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(AreaCode(code)).await?.map(Area))
    }

    /// Official Thai name.
    async fn name_th(&self) -> &str {
        &self.0.name_th
    }

    /// Romanised name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }

    /// Postal code (subdistricts).
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }

    /// Latitude of the area's centre, where known (subdistricts).
    async fn lat(&self) -> Option<f64> {
        self.0.lat
    }

    /// Longitude of the area's centre, where known (subdistricts).
    async fn lng(&self) -> Option<f64> {
        self.0.lng
    }

    /// Region (provinces): NORTH, CENTRAL, NORTHEAST, WEST, EAST or SOUTH.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }

    /// Programme cohorts this area belongs to.
    async fn cohorts(&self) -> Vec<AreaCohort> {
        let mut out = Vec::new();
        if self.0.is_target {
            out.push(AreaCohort::Target);
        }
        if self.0.is_sra {
            out.push(AreaCohort::Sra);
        }
        out
    }

    /// How many households in this area you may see (all lifecycle states): 0 for ANALYST,
    /// who reads no household; area figures for ANALYST, with small counts suppressed, are in
    /// `dashboard`.
    async fn household_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(loader(ctx)
            .load_one(crate::household::loader::HouseholdCountIn(
                self.0.code.clone(),
            ))
            .await?
            .unwrap_or(0) as i64)
    }

    /// The areas directly inside this one, by code.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AreaConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        AreaConnection::of_children(
            ctx,
            ChildAreas {
                parent: self.0.code.clone(),
                page,
            },
            ChildAreaCount(self.0.code.clone()),
            Area,
            |a| a.0.code.clone(),
        )
        .await
    }
}

connection!(AreaConnection, AreaEdge, Area, "areas");

impl crate::graphql::node::NodeType for Area {
    const TYPE: &'static str = "Area";

    /// Areas are keyed by their DOPA code and public to every signed-in viewer.
    async fn load(ctx: &Context<'_>, key: &str) -> Result<Option<Self>> {
        Ok(crate::graphql::context::loader(ctx)
            .load_one(crate::area::loader::AreaCode(key.to_string()))
            .await?
            .map(Area))
    }
}
