//! The rollups' vocabulary: the `metric` and `bucket` values of `area_rollup` and
//! `household_contribution` rows (documented in `docs/rollups.md`). Readers (the dashboards)
//! import these rather than spelling the strings themselves.
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{Capital, InterventionKind, LadderLevel};
use sea_orm::ActiveEnum;

/// `households` / `<HouseholdStatus>`: n = 1 for every household (DUPLICATE included).
pub const HOUSEHOLDS: &str = "households";
/// `ladder` / `OVERALL.<LadderLevel>` and `<Capital>.<LadderLevel>`: n = 1, from the ACTIVE
/// assessment of a household that is not DUPLICATE.
pub const LADDER: &str = "ladder";
/// `income` / `<IncomeLevel>`: n = 1, from the same ACTIVE assessment.
pub const INCOME: &str = "income";
/// `matches` / `<MatchStatus>`: n = the household's matches in that status.
pub const MATCHES: &str = "matches";
/// `match_technology` / `<technology uuid>`: n = its matches of that technology (any status).
pub const MATCH_TECHNOLOGY: &str = "match_technology";
/// `match_technology_adopted` / `<technology uuid>`: n = those ADOPTED or SUSTAINED.
pub const MATCH_TECHNOLOGY_ADOPTED: &str = "match_technology_adopted";
/// `referrals` / `<ReferralStatus>`: n = count.
pub const REFERRALS: &str = "referrals";
/// `referrals_open_due` / `<YYYY-MM-DD of due_on>`: n = PENDING or ACCEPTED referrals due that
/// day (a reader sums the buckets before today for "overdue").
pub const REFERRALS_OPEN_DUE: &str = "referrals_open_due";
/// `interventions` / `<InterventionKind>.<YYYY-MM of delivered_on>`: n = count, quantity = sum
/// of quantity, amount_satang = sum of cost_satang (none = 0).
pub const INTERVENTIONS: &str = "interventions";
/// `graduations` / `<YYYY-MM of graduated_on>`: n = graduation rows.
pub const GRADUATIONS: &str = "graduations";
/// `relapses` / `<YYYY-MM of relapsed_at (UTC)>`: n = graduation rows with relapsed_at set.
pub const RELAPSES: &str = "relapses";
/// `relapse_risks` / `<YYYY-MM of relapse_risk_at (UTC)>`: n = graduation rows with
/// relapse_risk_at set.
pub const RELAPSE_RISKS: &str = "relapse_risks";

/// Every metric a household contributes to.
pub const ALL: [&str; 12] = [
    HOUSEHOLDS,
    LADDER,
    INCOME,
    MATCHES,
    MATCH_TECHNOLOGY,
    MATCH_TECHNOLOGY_ADOPTED,
    REFERRALS,
    REFERRALS_OPEN_DUE,
    INTERVENTIONS,
    GRADUATIONS,
    RELAPSES,
    RELAPSE_RISKS,
];

/// Bookkeeping rows, not counts: their metric starts with `_`.
///
/// `_version` / `''` on a province code (parent_code ''): n goes up by one with every write
/// that changes the province's rollups (a reader caches by it).
pub const VERSION: &str = "_version";
/// `_built` / `''` on area_code '' with parent_code [`BUILT_PARENT`]: present once the rollups
/// were built from the records (`rollup::rebuild`); n = how many rebuilds.
pub const BUILT: &str = "_built";
/// The parent code of the `_built` marker: not an area code, so that a reader asking for
/// the children of '' (the provinces) never meets it.
pub const BUILT_PARENT: &str = "_";

/// Whether a metric is bookkeeping (`_version`, `_built`) rather than a count.
pub fn is_bookkeeping(metric: &str) -> bool {
    metric.starts_with('_')
}

/// The ladder dimension of the overall level.
pub const OVERALL: &str = "OVERALL";

/// The ladder dimensions, as the buckets of `ladder` name them.
pub const LADDERS: [&str; 6] = [
    OVERALL,
    "HUMAN",
    "PHYSICAL",
    "FINANCIAL",
    "NATURAL",
    "SOCIAL",
];

/// `ladder` bucket: `<dimension>.<LadderLevel>` (dimension `OVERALL` or a capital).
pub fn ladder_bucket(dimension: &str, level: LadderLevel) -> String {
    format!("{dimension}.{}", level.to_value())
}

/// `ladder` bucket of a capital's score (hundredths).
pub fn capital_bucket(capital: Capital, score: i32) -> String {
    ladder_bucket(&capital.to_value(), LadderLevel::of_score(score))
}

/// `interventions` bucket: `<InterventionKind>.<YYYY-MM>`.
pub fn intervention_bucket(kind: InterventionKind, delivered_on: NaiveDate) -> String {
    format!("{}.{}", kind.to_value(), month(delivered_on))
}

/// `YYYY-MM` of a date.
pub fn month(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// `YYYY-MM` of an instant, in UTC.
pub fn month_of(at: DateTime<Utc>) -> String {
    month(at.date_naive())
}

/// `YYYY-MM-DD` of a date.
pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_spelled_as_documented() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            ladder_bucket(OVERALL, LadderLevel::Manageable),
            "OVERALL.MANAGEABLE"
        );
        assert_eq!(capital_bucket(Capital::Human, 174), "HUMAN.STRUGGLING");
        assert_eq!(capital_bucket(Capital::Social, 325), "SOCIAL.WELL");
        assert_eq!(
            intervention_bucket(InterventionKind::Cash, d),
            "CASH.2026-03"
        );
        assert_eq!(day(d), "2026-03-09");
        assert!(is_bookkeeping(VERSION) && is_bookkeeping(BUILT));
        assert!(ALL.iter().all(|m| !is_bookkeeping(m)));
    }
}
