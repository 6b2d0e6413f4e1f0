//! The measured effect of every technology in a province (`service::province_evidence`), as
//! recommendations, suggestions and matching runs read it: computed from every counting
//! assessment of the province, so it is kept per province and used again while the
//! province's rollup version (`_version`, moved by every write that changes the province's
//! rollups) and the day are the same (or for `APP_EVIDENCE_REFRESH_SECS` after they moved), and
//! for at most `MAX_AGE` (an income change within the same income level moves no rollup).
//! One small indexed read per use.
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
    /// One computation per province at a time: callers that arrive while it runs wait for it
    /// and use its result.
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl EvidenceCache {
    /// The evidence of `province` (a two-digit code), from the cache while still current:
    /// the province's rollups have not moved since it was computed, or they have but it is
    /// younger than `refresh` (`APP_EVIDENCE_REFRESH_SECS`), so that a run of writes (a
    /// coordinator suggesting matches one after another) does not recompute the whole
    /// province on every call. Never older than `MAX_AGE`, never from another day.
    pub async fn province(
        &self,
        db: &impl ConnectionTrait,
        province: &str,
        refresh: Duration,
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
        if let Some(value) = self.current(province, version, day, refresh) {
            return Ok(value);
        }
        let gate = self
            .gates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(province.to_string())
            .or_default()
            .clone();
        let _computing = gate.lock().await;
        if let Some(value) = self.current(province, version, day, refresh) {
            return Ok(value);
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

    fn current(
        &self,
        province: &str,
        version: Option<i64>,
        day: NaiveDate,
        refresh: Duration,
    ) -> Option<Arc<ProvinceEvidence>> {
        let map = self.lock();
        let e = map.get(province)?;
        let age = e.loaded.elapsed();
        (e.day == day && age < MAX_AGE && (e.version == version || age < refresh))
            .then(|| e.value.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
