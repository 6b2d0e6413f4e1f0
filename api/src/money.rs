//! Money amounts in inputs: every one has a range for its kind, and every one is checked by
//! [`check`] before anything is written. Outside its range an amount is `BAD_USER_INPUT`
//! naming the field as the client sent it.
//!
//! | kind | inputs | range (baht) |
//! |---|---|---|
//! | [`MONTHLY_INCOME`] | `RecordAssessmentInput.incomePerPerson`, `TransitionMatchInput.followUpIncome` (per person per month), `LinkHouseholdToEnterpriseInput.monthlyIncome` (per household per month) | 0 – 10,000,000 |
//! | [`INCOME_GAIN`] | `TechnologyInput.monthlyIncomeGain` (per household per month) | 0 – 1,000,000 |
//! | [`UNIT_COST`] | `TechnologyInput.unitCost`, `TechnologyFilter.maxUnitCost` (per household) | 0 – 10,000,000 |
//! | [`DELIVERY_COST`] | `RecordInterventionInput.cost` (what delivering one intervention cost) | 0 – 10,000,000 |
//! | [`POVERTY_LINE`] | `SetPovertyLineInput.povertyLine`, `.poorest40Cut`, `.median` (per person per month) | 1 – 1,000,000 |
//!
//! The bounds are far above any real value (the 2563 median is 6,531 baht per person per
//! month) and far below where arithmetic breaks: `1e300` baht once reached the database as
//! `i64::MAX` satang (9.2 × 10¹⁶ baht) through a saturating conversion. Float amounts are
//! rounded to satang first and the rounded value is checked, so every path agrees on the
//! edges. NaN and infinities cannot arrive through GraphQL, and are refused anyway.
use crate::error::{ApiError, ApiResult};

/// The allowed range of one kind of amount, in whole baht (both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min_baht: i64,
    pub max_baht: i64,
    /// What the amount is, for the error message ("an income per month").
    pub what: &'static str,
}

/// Incomes per month: of a person (assessments, match follow-ups) or of a household through
/// an enterprise.
pub const MONTHLY_INCOME: Range = Range {
    min_baht: 0,
    max_baht: 10_000_000,
    what: "an income per month",
};

/// A technology's expected income gain per household per month.
pub const INCOME_GAIN: Range = Range {
    min_baht: 0,
    max_baht: 1_000_000,
    what: "an expected income gain per month",
};

/// A technology's cost per household (and the cost filter of the catalogue).
pub const UNIT_COST: Range = Range {
    min_baht: 0,
    max_baht: 10_000_000,
    what: "a cost per household",
};

/// What delivering one intervention cost.
pub const DELIVERY_COST: Range = Range {
    min_baht: 0,
    max_baht: 10_000_000,
    what: "a delivery cost",
};

/// Poverty-line values, per person per month: positive.
pub const POVERTY_LINE: Range = Range {
    min_baht: 1,
    max_baht: 1_000_000,
    what: "a poverty-line value",
};

/// The one check of a money amount in baht: a finite number within `range`.
pub fn check(field: &str, baht: f64, range: Range) -> ApiResult<()> {
    if baht.is_finite() && baht >= range.min_baht as f64 && baht <= range.max_baht as f64 {
        return Ok(());
    }
    Err(ApiError::bad_input(
        field,
        format!(
            "{} lies between {} and {} baht",
            range.what,
            grouped(range.min_baht),
            grouped(range.max_baht)
        ),
    ))
}

/// A Float amount in baht as satang (rounded to the nearest satang), checked.
pub fn satang(field: &str, baht: f64, range: Range) -> ApiResult<i64> {
    let rounded = (baht * 100.0).round();
    check(field, rounded / 100.0, range)?;
    Ok(rounded as i64)
}

/// An amount already converted to satang (a saturated conversion stays out of range), checked.
pub fn check_satang(field: &str, satang: i64, range: Range) -> ApiResult<i64> {
    check(field, satang as f64 / 100.0, range)?;
    Ok(satang)
}

/// A whole-baht Int amount, checked.
pub fn whole_baht(field: &str, baht: i32, range: Range) -> ApiResult<i32> {
    check(field, baht as f64, range)?;
    Ok(baht)
}

/// 10000000 → "10,000,000".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: ApiResult<i64>) -> Option<String> {
        match r {
            Err(ApiError::BadUserInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn amounts_outside_their_range_name_the_field_and_the_edges_pass() {
        let f = "incomePerPerson";
        for bad in [
            1e300,
            -1e300,
            -1.0,
            -0.01,
            10_000_000.01,
            10_000_001.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(
                field_of(satang(f, bad, MONTHLY_INCOME)).as_deref(),
                Some(f),
                "{bad}"
            );
        }
        assert_eq!(satang(f, 0.0, MONTHLY_INCOME).ok(), Some(0));
        assert_eq!(
            satang(f, 10_000_000.0, MONTHLY_INCOME).ok(),
            Some(1_000_000_000)
        );
        // Rounded to satang first: what is stored is what is checked.
        assert_eq!(
            satang(f, 10_000_000.004, MONTHLY_INCOME).ok(),
            Some(1_000_000_000)
        );
        assert_eq!(satang(f, -0.004, MONTHLY_INCOME).ok(), Some(0));
        assert!(check_satang(f, i64::MAX, MONTHLY_INCOME).is_err());
        assert!(check_satang(f, i64::MIN, MONTHLY_INCOME).is_err());
        assert!(whole_baht("povertyLine", 0, POVERTY_LINE).is_err());
        assert!(whole_baht("povertyLine", 1_000_000, POVERTY_LINE).is_ok());
        assert!(whole_baht("unitCost", i32::MAX, UNIT_COST).is_err());
    }

    #[test]
    fn the_message_gives_the_range_with_thousands_separators() {
        match check("unitCost", -1.0, UNIT_COST) {
            Err(e) => assert_eq!(
                e.message(),
                "a cost per household lies between 0 and 10,000,000 baht"
            ),
            Ok(()) => panic!("accepted"),
        }
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(999), "999");
    }
}
