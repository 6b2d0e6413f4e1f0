//! The client's capture time (`capturedAt`): when a field worker captured a write on the
//! device, by the device's clock. Kept next to the server's time (the audit event's
//! `occurredAt`, a record's `createdAt`); never used for ordering, since a device clock may be
//! wrong. Bounds (docs/api-conventions.md "Capture time"): at most [`MAX_AHEAD_MINUTES`] ahead
//! of the server's clock and at most [`MAX_AGE_DAYS`] days old.
use chrono::{DateTime, Duration, Utc};

use crate::error::{ApiError, ApiResult};

/// How far a device clock may run ahead of the server's.
pub const MAX_AHEAD_MINUTES: i64 = 10;
/// How old a capture may be (a device offline for a whole season still syncs).
pub const MAX_AGE_DAYS: i64 = 180;

/// `at` when it is plausible against `now`; BAD_USER_INPUT on `capturedAt` otherwise.
pub fn check_at(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(at) = at else {
        return Ok(None);
    };
    if at > now + Duration::minutes(MAX_AHEAD_MINUTES) {
        return Err(ApiError::bad_input(
            "capturedAt",
            format!(
                "capturedAt is more than {MAX_AHEAD_MINUTES} minutes ahead of the server's clock: check the device's clock"
            ),
        ));
    }
    if at < now - Duration::days(MAX_AGE_DAYS) {
        return Err(ApiError::bad_input(
            "capturedAt",
            format!("capturedAt is more than {MAX_AGE_DAYS} days in the past"),
        ));
    }
    Ok(Some(at))
}

/// [`check_at`] against the server's clock now.
pub fn check(at: Option<DateTime<Utc>>) -> ApiResult<Option<DateTime<Utc>>> {
    check_at(at, Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_time_is_kept_within_the_skew_and_age_bounds() {
        let now = Utc::now();
        assert_eq!(check_at(None, now).unwrap(), None);
        let ok = [
            now,
            now + Duration::minutes(MAX_AHEAD_MINUTES),
            now - Duration::days(MAX_AGE_DAYS),
        ];
        for at in ok {
            assert_eq!(check_at(Some(at), now).unwrap(), Some(at));
        }
        for at in [
            now + Duration::minutes(MAX_AHEAD_MINUTES) + Duration::seconds(1),
            now - Duration::days(MAX_AGE_DAYS) - Duration::seconds(1),
        ] {
            let err = check_at(Some(at), now).unwrap_err();
            assert!(
                matches!(err, ApiError::BadUserInput { ref field, .. } if field == "capturedAt"),
                "{err:?}"
            );
        }
    }
}
