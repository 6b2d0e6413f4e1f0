//! The request budget: each caller (an account when signed in, the client address otherwise)
//! may send `APP_REQUEST_BUDGET` requests to `/graphql` per fixed window of
//! `APP_REQUEST_BUDGET_WINDOW_SECS`; beyond it, RATE_LIMITED with `retryAfter` (HTTP 429 and
//! `Retry-After`). Counted in the database (`request_budget`, one row per caller) by one upsert
//! per request, so every replica draws from the same budget.
use std::time::Duration;

use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, CaseStatement, Expr, ExprTrait, OnConflict, Query},
};
use sha2::{Digest, Sha256};

use crate::{auth::Viewer, error::ApiResult};

/// Who a request is counted against.
pub fn bucket_of(viewer: &Viewer, client_address: Option<&str>) -> String {
    match viewer {
        Viewer::Account(account) => format!("a:{}", account.id),
        Viewer::Anonymous => {
            // Addresses are not kept as such: a hash is enough to count.
            let digest = Sha256::digest(client_address.unwrap_or("unknown").as_bytes());
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("ip:{hex}")
        }
    }
}

/// Counts one request of `bucket` and says whether it is within `budget` per `window`:
/// `Ok(Ok(()))`, or `Ok(Err(seconds))` until the window ends. One statement:
/// `INSERT … ON CONFLICT (bucket_key) DO UPDATE SET used = CASE WHEN window_start = $now_window
/// THEN used + 1 ELSE 1 END, window_start = $now_window RETURNING used`.
pub async fn spend(
    db: &impl ConnectionTrait,
    bucket: &str,
    budget: u32,
    window: Duration,
) -> ApiResult<Result<(), u64>> {
    let now = chrono::Utc::now().timestamp();
    let window = std::cmp::max(window.as_secs(), 1) as i64;
    let window_start = now - now.rem_euclid(window);
    let table = Alias::new("request_budget");
    let used = Expr::col((table.clone(), Alias::new("used")));
    let same_window = Expr::col((table.clone(), Alias::new("window_start"))).eq(window_start);
    let next = CaseStatement::new()
        .case(same_window, used.add(1))
        .finally(Expr::value(1));
    let statement = Query::insert()
        .into_table(table.clone())
        .columns([
            Alias::new("bucket_key"),
            Alias::new("window_start"),
            Alias::new("used"),
        ])
        .values_panic([bucket.into(), window_start.into(), 1.into()])
        .on_conflict(
            OnConflict::column(Alias::new("bucket_key"))
                .value(Alias::new("used"), next)
                .value(Alias::new("window_start"), Expr::value(window_start))
                .to_owned(),
        )
        .returning_col(Alias::new("used"))
        .to_owned();
    let used: i64 = match db.query_one(&statement).await? {
        Some(row) => row
            .try_get::<i32>("", "used")
            .map(i64::from)
            .or_else(|_| row.try_get::<i64>("", "used"))?,
        None => 1,
    };
    if used <= i64::from(budget) {
        Ok(Ok(()))
    } else {
        Ok(Err(std::cmp::max(window_start + window - now, 1) as u64))
    }
}
