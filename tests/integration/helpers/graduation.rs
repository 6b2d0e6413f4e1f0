//! Graduation fixtures: assessments at chosen levels and dates, and households enrolled, ready
//! to graduate, or graduated — all through the GraphQL API, so every rule applies.
use serde_json::Value;

use super::{
    Gql, TestApp,
    builders::{AssessmentSpec, HouseholdBuilder, transition_household},
};

/// The date `n` days before today (UTC), as the API reads dates.
pub fn days_ago(n: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(n)).to_string()
}

/// Records an assessment with all five capitals at `score` and `income` baht per person per
/// month; returns its id.
pub async fn assess(
    app: &TestApp,
    token: &str,
    household: &Value,
    on: &str,
    score: f64,
    income: f64,
    activate: bool,
) -> String {
    AssessmentSpec::new(score, income)
        .on(on)
        .activate(activate)
        .record(app, token, household)
        .await
        .as_str()
        .unwrap()
        .to_string()
}

/// Two assessments that meet the default criteria (MANAGEABLE, above the poverty line, 110
/// days apart); returns their ids, earlier first.
pub async fn make_ready(app: &TestApp, token: &str, household: &Value) -> [String; 2] {
    let first = assess(app, token, household, &days_ago(120), 3.0, 4000.0, true).await;
    let second = assess(app, token, household, &days_ago(10), 3.0, 4000.0, true).await;
    [first, second]
}

pub async fn transition(
    app: &TestApp,
    token: &str,
    household: &Value,
    version: i64,
    to: &str,
    reason: Option<&str>,
) -> Gql {
    transition_household(app, token, household, version, to, reason).await
}

/// Moves a household to `to`, returning the new version (panics on an error).
pub async fn move_to(
    app: &TestApp,
    token: &str,
    household: &Value,
    version: i64,
    to: &str,
    reason: Option<&str>,
) -> i64 {
    transition(app, token, household, version, to, reason)
        .await
        .data("/transitionHousehold/household/version")
        .as_i64()
        .unwrap()
}

/// A new ENROLLED household in the Lampang test village (villages seeded); (id, version).
pub async fn enrolled_household(app: &TestApp, token: &str, seed: u64) -> (Value, i64) {
    let built = HouseholdBuilder::new(seed)
        .head("ผู้จบการศึกษา")
        .status_path(&["VERIFIED", "ENROLLED"])
        .create(app, token)
        .await;
    (built.id, built.version)
}

/// A household ready to graduate: ENROLLED with two qualifying assessments.
pub async fn household_ready_to_graduate(app: &TestApp, token: &str, seed: u64) -> (Value, i64) {
    let (id, version) = enrolled_household(app, token, seed).await;
    make_ready(app, token, &id).await;
    (id, version)
}

/// A GRADUATED household.
pub async fn graduated_household(app: &TestApp, token: &str, seed: u64) -> (Value, i64) {
    let (id, version) = household_ready_to_graduate(app, token, seed).await;
    let version = move_to(app, token, &id, version, "GRADUATED", None).await;
    (id, version)
}
