//! Lifecycle transitions (and graduation assessments) of the demo households.

use chrono::{Duration, NaiveDate};
use entity::enums::HouseholdStatus;
use rand::{Rng, rngs::StdRng};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::household::service::Evidence;
use crate::{
    audit::service::Actor,
    auth::Scope,
    error::{ApiError, ApiResult},
};

/// The transitions that take a new (DISCOVERED) household to `target`.
pub(super) fn lifecycle(
    target: HouseholdStatus,
    rng: &mut StdRng,
) -> Vec<(HouseholdStatus, Option<String>, Evidence)> {
    use HouseholdStatus::*;
    let mut verified = || Evidence {
        verified_on: demo_date(rng_days(rng, 0, 300)),
        note: Some("ลงพื้นที่สอบทานแล้ว พบครัวเรือนตามที่อยู่".into()),
        ..Evidence::default()
    };
    let path: Vec<(HouseholdStatus, Option<String>, Evidence)> = match target {
        Verified => vec![(Verified, None, verified())],
        Enrolled => vec![
            (Verified, None, verified()),
            (Enrolled, None, Evidence::default()),
        ],
        Graduated => vec![
            (Verified, None, verified()),
            (Enrolled, None, Evidence::default()),
            (
                Graduated,
                Some("รายได้เฉลี่ยต่อคนเกินเส้นความยากจนต่อเนื่อง 6 เดือน".into()),
                Evidence::default(),
            ),
        ],
        NotFound => vec![(
            NotFound,
            Some("ไม่พบครัวเรือนตามที่อยู่ เพื่อนบ้านแจ้งว่าย้ายออกแล้ว".into()),
            Evidence::default(),
        )],
        NotEligible => vec![(
            NotEligible,
            Some("รายได้เกินเกณฑ์ ไม่เข้าเกณฑ์ครัวเรือนยากจน".into()),
            Evidence::default(),
        )],
        Discovered | Duplicate | Exited => vec![],
    };
    path
}

/// Two ACTIVE-then-SUPERSEDED assessments that meet the graduation criteria under any
/// thresholds (WELL, above the median income, the minimum gap plus a month apart), so that a
/// demo graduate graduates through the same rule as any other.
pub(super) async fn qualifying_assessments(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    household_id: Uuid,
    measurement: &crate::config::MeasurementSettings,
) -> ApiResult<()> {
    use crate::assessment::service::{NewAssessment, Scores, record_assessment};
    let latest = demo_date(300).ok_or_else(|| ApiError::internal("demo date"))?;
    let gap = i64::from(measurement.graduation_min_gap_days) + 30;
    for assessed_on in [latest - Duration::days(gap), latest] {
        let score = 340;
        record_assessment(
            db,
            scope,
            actor,
            NewAssessment {
                household_id,
                assessed_on,
                scores: Scores {
                    human: score,
                    physical: score,
                    financial: score,
                    natural: score,
                    social: score,
                },
                household_size: 3,
                income_per_person_satang: 800_000,
                has_land: None,
                indicators: None,
                notes: None,
                activate: true,
                client_uuid: None,
            },
            None,
        )
        .await?;
    }
    Ok(())
}

pub(super) fn rng_days(rng: &mut StdRng, from: i64, to: i64) -> i64 {
    rng.random_range(from..=to)
}

/// A day of 2025 (fixed dates keep runs identical).
pub(super) fn demo_date(day_of_year: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2025, 1, 1).map(|d| d + Duration::days(day_of_year))
}
