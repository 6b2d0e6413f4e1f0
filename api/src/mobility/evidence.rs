//! The measured effect of every technology in a province (`service::province_evidence`), as
//! recommendations, suggestions and matching runs read it: computed from every counting
//! assessment of the province, so it is kept per province and used again while the
//! province's rollup version (`_version`, moved by every write that changes the province's
//! rollups) and the day are the same, and for at most `MAX_AGE` (an income change within the
//! same income level moves no rollup). One small indexed read per use.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{NaiveDate, Utc};
use entity::area_rollup;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;

use super::{compute::TechStats, service::province_evidence};
use crate::{error::ApiResult, rollup::metric};

/// The longest a province's evidence is used without being computed again.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// The day the evidence window starts, and each technology's adopters against comparable
/// households.
pub type ProvinceEvidence = (NaiveDate, Vec<(Uuid, TechStats)>);

struct Entry {
    version: Option<i64>,
    day: NaiveDate,
    loaded: Instant,
    value: Arc<ProvinceEvidence>,
}

/// Evidence per province; at most one entry per two-digit code, so bounded by 100.
#[derive(Default)]
pub struct EvidenceCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl EvidenceCache {
    /// The evidence of `province` (a two-digit code), from the cache while still current.
    pub async fn province(
        &self,
        db: &impl ConnectionTrait,
        province: &str,
    ) -> ApiResult<Arc<ProvinceEvidence>> {
        let version: Option<i64> = area_rollup::Entity::find_by_id((
            province.to_string(),
            metric::VERSION.to_string(),
            String::new(),
        ))
        .select_only()
        .column(area_rollup::Column::N)
        .into_tuple()
        .one(db)
        .await?;
        let day = Utc::now().date_naive();
        if let Some(e) = self.lock().get(province)
            && e.version == version
            && e.day == day
            && e.loaded.elapsed() < MAX_AGE
        {
            return Ok(e.value.clone());
        }
        let value = Arc::new(province_evidence(db, province).await?);
        self.lock().insert(
            province.to_string(),
            Entry {
                version,
                day,
                loaded: Instant::now(),
                value: value.clone(),
            },
        );
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
