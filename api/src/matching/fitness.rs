//! The part of the technology catalogue that scoring reads, and a per-process cache of the
//! active catalogue for recommendations.
//!
//! The cache holds no state another replica needs: every use first reads the catalogue's
//! revision from the database (row count, sum of versions, latest change; one aggregate
//! statement) and reloads when it differs, so a technology saved through any replica is seen
//! by the next recommendation everywhere. Entries also expire after `MAX_AGE`, which bounds
//! how long a change made outside the API (a manual SQL fix that leaves `version` alone) can
//! go unseen.
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use entity::{
    enums::{Capital, CapitalMinimums, StringList},
    technology,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use super::recommend::{Offer, TrackRecords};
use crate::{catalogue::types::parse_capitals, error::ApiResult};

/// How long a cached catalogue may be used without a reload even when its revision matches.
const MAX_AGE: Duration = Duration::from_secs(60);

/// The columns of a technology that scoring reads.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Fitness {
    pub id: Uuid,
    pub capitals_raised: StringList,
    pub min_capital_scores: CapitalMinimums,
    pub requires_land: bool,
    pub min_working_age_members: i32,
    pub suitable_areas: StringList,
    pub unit_cost_baht: i32,
    pub monthly_income_gain_baht: i32,
}

impl From<&technology::Model> for Fitness {
    fn from(t: &technology::Model) -> Self {
        Fitness {
            id: t.id,
            capitals_raised: t.capitals_raised.clone(),
            min_capital_scores: t.min_capital_scores.clone(),
            requires_land: t.requires_land,
            min_working_age_members: t.min_working_age_members,
            suitable_areas: t.suitable_areas.clone(),
            unit_cost_baht: t.unit_cost_baht,
            monthly_income_gain_baht: t.monthly_income_gain_baht,
        }
    }
}

/// Capital names as stored (JSON strings) to the scoring's capitals; unknown names are skipped.
pub fn capitals(names: &[String]) -> Vec<Capital> {
    parse_capitals(names).into_iter().map(Into::into).collect()
}

/// A technology's fitness with its raised capitals parsed once.
#[derive(Debug, Clone)]
pub struct Scorable {
    pub fitness: Fitness,
    capitals: Vec<Capital>,
}

impl Scorable {
    pub fn new(fitness: Fitness) -> Self {
        Scorable {
            capitals: capitals(&fitness.capitals_raised.0),
            fitness,
        }
    }

    pub fn id(&self) -> Uuid {
        self.fitness.id
    }

    /// What scoring needs, with the technology's measured effect in the household's
    /// province.
    pub fn offer<'a>(&'a self, track: &TrackRecords) -> Offer<'a> {
        let t = &self.fitness;
        let m = &t.min_capital_scores;
        Offer {
            capitals: &self.capitals,
            min_scores: [
                (Capital::Human, m.human),
                (Capital::Physical, m.physical),
                (Capital::Financial, m.financial),
                (Capital::Natural, m.natural),
                (Capital::Social, m.social),
            ],
            requires_land: t.requires_land,
            min_working_age_members: t.min_working_age_members,
            suitable_areas: &t.suitable_areas.0,
            unit_cost_baht: t.unit_cost_baht,
            monthly_income_gain_baht: t.monthly_income_gain_baht,
            track: track.of(t.id),
        }
    }
}

/// Changes whenever a technology is created or saved (count and versions) and, for writes
/// outside the API that set `updated_at`, with the latest change.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct Revision {
    n: i64,
    versions: Option<i64>,
    latest: Option<String>,
}

struct Entry {
    revision: Revision,
    loaded: Instant,
    active: Arc<Vec<Scorable>>,
}

/// The active technologies, as scoring reads them; see the module comment.
#[derive(Default)]
pub struct CatalogueCache {
    entry: Mutex<Option<Entry>>,
}

impl CatalogueCache {
    /// The active catalogue, from the cache when its revision still matches.
    pub async fn active(&self, db: &impl ConnectionTrait) -> ApiResult<Arc<Vec<Scorable>>> {
        let revision = technology::Entity::find()
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .column_as(Expr::cust("SUM(version)"), "versions")
            .column_as(Expr::cust("CAST(MAX(updated_at) AS TEXT)"), "latest")
            .into_model::<Revision>()
            .one(db)
            .await?
            .unwrap_or(Revision {
                n: 0,
                versions: None,
                latest: None,
            });
        if let Some(e) = self.lock().as_ref()
            && e.revision == revision
            && e.loaded.elapsed() < MAX_AGE
        {
            return Ok(e.active.clone());
        }
        let active: Arc<Vec<Scorable>> = Arc::new(
            load_active(db)
                .await?
                .into_iter()
                .map(Scorable::new)
                .collect(),
        );
        *self.lock() = Some(Entry {
            revision,
            loaded: Instant::now(),
            active: active.clone(),
        });
        Ok(active)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Entry>> {
        // A panic while holding the lock leaves at worst a stale entry that the revision
        // check replaces; recover the guard rather than fail every later request.
        self.entry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The active technologies' scoring columns, by id.
async fn load_active(db: &impl ConnectionTrait) -> ApiResult<Vec<Fitness>> {
    Ok(technology::Entity::find()
        .select_only()
        .columns([
            technology::Column::Id,
            technology::Column::CapitalsRaised,
            technology::Column::MinCapitalScores,
            technology::Column::RequiresLand,
            technology::Column::MinWorkingAgeMembers,
            technology::Column::SuitableAreas,
            technology::Column::UnitCostBaht,
            technology::Column::MonthlyIncomeGainBaht,
        ])
        .filter(technology::Column::Active.eq(true))
        .into_model::<Fitness>()
        .all(db)
        .await?)
}
