//! Explainable recommendations: how well a technology (or service) fits a household.
//!
//! **Hard filters** (a technology that fails one is not recommended at all): every minimum
//! capital score is met; land if the technology needs it (`hasLand` of the assessment);
//! enough working-age members (15–64, from the members' birth dates).
//!
//! **Score** in [0, 1] = Σ weight × factor, each factor in [0, 1]:
//! - *capital*: the share of the household's weakness the technology addresses. Weakness of a
//!   capital is (4 − score) / 3; squared, so the weakest capitals weigh most; the factor is
//!   Σ over raised capitals of weakness² ÷ Σ over all five (0 for a household with no weakness).
//! - *income*: expected monthly gain against the household's monthly gap to just above the
//!   poverty line ((line + 1 − income per person) × size); with no gap, against a quarter of
//!   the household's income. Capped at 1.
//! - *affordability*: what six months of saving could pay, against the unit cost. Saving
//!   capacity is the household's monthly income × (financial score − 1) / 3. Free is 1.
//! - *area*: 1 when the technology suits the household's area (no list, or a listed prefix),
//!   else 0.
//! - *track record*: adoption rate of the technology in the same province among households
//!   that took it up (adopted or sustained, against dropped), smoothed: (adopted + 1) /
//!   (took up + 2), so with no history it is 0.5.
//!
//! Weights come from `APP_MATCH_WEIGHTS` (default capital 0.35, income 0.30, affordability
//! 0.15, area 0.10, track record 0.10). Each reason carries its contribution in thousandths;
//! the score is their sum, so the reasons add up to the score exactly.
use entity::enums::{Capital, Reason, ServiceCategory};

use crate::{assessment::service::Scores, config::MatchWeights};

/// What scoring needs to know about a household.
#[derive(Debug, Clone)]
pub struct Profile {
    pub scores: Scores,
    pub household_size: i32,
    pub income_per_person_satang: i64,
    pub has_land: Option<bool>,
    pub working_age_members: i32,
    pub village_code: String,
    /// Poverty line, baht per person per month.
    pub poverty_line: i32,
}

impl Profile {
    fn score_of(&self, c: Capital) -> i32 {
        match c {
            Capital::Human => self.scores.human,
            Capital::Physical => self.scores.physical,
            Capital::Financial => self.scores.financial,
            Capital::Natural => self.scores.natural,
            Capital::Social => self.scores.social,
        }
    }

    fn weakness(&self, c: Capital) -> f64 {
        (400 - self.score_of(c)).max(0) as f64 / 300.0
    }

    fn monthly_income(&self) -> f64 {
        self.income_per_person_satang as f64 / 100.0 * self.household_size as f64
    }
}

/// What scoring needs to know about a technology.
#[derive(Debug, Clone)]
pub struct Offer<'a> {
    pub capitals: &'a [Capital],
    pub min_scores: [(Capital, Option<i32>); 5],
    pub requires_land: bool,
    pub min_working_age_members: i32,
    pub suitable_areas: &'a [String],
    pub unit_cost_baht: i32,
    pub monthly_income_gain_baht: i32,
    /// (adopted, tried) in the household's province.
    pub track: (u32, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    /// Fails a hard filter; the strings say which.
    Excluded(Vec<String>),
    /// Score in thousandths and the reasons that add up to it.
    Scored {
        score_millis: i32,
        reasons: Vec<Reason>,
    },
}

fn label(c: Capital) -> &'static str {
    match c {
        Capital::Human => "human",
        Capital::Physical => "physical",
        Capital::Financial => "financial",
        Capital::Natural => "natural",
        Capital::Social => "social",
    }
}

fn millis(x: f64) -> i32 {
    (x * 1000.0).round() as i32
}

fn reason(factor: &str, detail: String, contribution: f64) -> Reason {
    Reason {
        factor: factor.to_string(),
        detail,
        contribution_millis: millis(contribution),
    }
}

/// The hard filters.
pub fn excluded_by(p: &Profile, o: &Offer<'_>) -> Vec<String> {
    let mut why = Vec::new();
    for (c, min) in o.min_scores {
        if let Some(min) = min
            && p.score_of(c) < min
        {
            why.push(format!(
                "needs {} capital of at least {:.2} (has {:.2})",
                label(c),
                min as f64 / 100.0,
                p.score_of(c) as f64 / 100.0
            ));
        }
    }
    if o.requires_land && p.has_land != Some(true) {
        why.push("needs land".into());
    }
    if p.working_age_members < o.min_working_age_members {
        why.push(format!(
            "needs {} working-age members (has {})",
            o.min_working_age_members, p.working_age_members
        ));
    }
    why
}

/// Does an area list admit this village? (empty: everywhere)
pub fn suits(areas: &[String], village: &str) -> bool {
    areas.is_empty() || areas.iter().any(|a| village.starts_with(a.as_str()))
}

/// One weighted term of the score, before it is explained in words.
#[derive(Debug, Clone, Copy)]
enum Term {
    Capital(Capital),
    Income { gain: f64, gap: f64 },
    Affordability { cost: f64, saving: f64 },
    Area(bool),
    TrackRecord { adopted: u32, tried: u32 },
}

/// The weighted terms of a technology's fit, passed to `sink` with their contributions. The
/// same arithmetic serves the numeric score (matching runs over many pairs) and the
/// explained one (recommendations), so the two always agree.
fn terms(p: &Profile, o: &Offer<'_>, w: &MatchWeights, mut sink: impl FnMut(Term, f64)) {
    let all = [
        Capital::Human,
        Capital::Physical,
        Capital::Financial,
        Capital::Natural,
        Capital::Social,
    ];
    let total: f64 = all.iter().map(|c| p.weakness(*c).powi(2)).sum();
    // In the fixed order of `all`, each raised capital once (no allocation: this runs for
    // every pair of a matching run).
    for c in all.into_iter().filter(|c| o.capitals.contains(c)) {
        let share = if total > 0.0 {
            p.weakness(c).powi(2) / total
        } else {
            0.0
        };
        sink(Term::Capital(c), w.capital * share);
    }

    let size = p.household_size.max(1) as f64;
    let income_pp = p.income_per_person_satang as f64 / 100.0;
    let gap = ((p.poverty_line as f64 + 1.0 - income_pp).max(0.0)) * size;
    let gain = o.monthly_income_gain_baht.max(0) as f64;
    let income_factor = if gap > 0.0 {
        (gain / gap).min(1.0)
    } else {
        (gain / (p.monthly_income() * 0.25).max(1.0)).min(1.0)
    };
    sink(Term::Income { gain, gap }, w.income * income_factor);

    let saving = p.monthly_income() * ((p.scores.financial - 100).max(0) as f64 / 300.0) * 6.0;
    let cost = o.unit_cost_baht.max(0) as f64;
    let afford = if cost <= 0.0 {
        1.0
    } else {
        (saving / cost).min(1.0)
    };
    sink(
        Term::Affordability { cost, saving },
        w.affordability * afford,
    );

    let fits = suits(o.suitable_areas, &p.village_code);
    sink(Term::Area(fits), if fits { w.area } else { 0.0 });

    let (adopted, tried) = o.track;
    sink(
        Term::TrackRecord { adopted, tried },
        w.track_record * (adopted as f64 + 1.0) / (tried as f64 + 2.0),
    );
}

/// Whether a technology passes the hard filters (no allocation; see `excluded_by`).
pub fn passes(p: &Profile, o: &Offer<'_>) -> bool {
    o.min_scores
        .iter()
        .all(|(c, min)| min.is_none_or(|m| p.score_of(*c) >= m))
        && (!o.requires_land || p.has_land == Some(true))
        && p.working_age_members >= o.min_working_age_members
}

/// The score in thousandths, or `None` when a hard filter fails: what matching runs use for
/// every household–technology pair, without building the reasons.
pub fn score_millis(p: &Profile, o: &Offer<'_>, w: &MatchWeights) -> Option<i32> {
    if !passes(p, o) {
        return None;
    }
    let mut sum = 0;
    terms(p, o, w, |_, contribution| sum += millis(contribution));
    Some(sum)
}

/// The score with its reasons (or why the technology is excluded).
pub fn score_technology(p: &Profile, o: &Offer<'_>, w: &MatchWeights) -> Fit {
    let why = excluded_by(p, o);
    if !why.is_empty() {
        return Fit::Excluded(why);
    }
    let mut reasons = Vec::new();
    terms(p, o, w, |term, contribution| {
        let (factor, detail) = match term {
            Term::Capital(c) => (
                "CAPITAL",
                format!(
                    "raises {} capital (score {:.2})",
                    label(c),
                    p.score_of(c) as f64 / 100.0
                ),
            ),
            Term::Income { gain, gap } if gap > 0.0 => (
                "INCOME",
                format!(
                    "expected +{gain:.0} baht/month against a gap of {gap:.0} to the poverty line"
                ),
            ),
            Term::Income { gain, .. } => (
                "INCOME",
                format!("expected +{gain:.0} baht/month; already above the poverty line"),
            ),
            Term::Affordability { cost, saving } => (
                "AFFORDABILITY",
                format!("costs {cost:.0} baht; six months of saving could pay {saving:.0}"),
            ),
            Term::Area(true) => ("AREA", "suits this area".to_string()),
            Term::Area(false) => ("AREA", "not listed for this area".to_string()),
            Term::TrackRecord { tried: 0, .. } => (
                "TRACK_RECORD",
                "no track record in this province yet".to_string(),
            ),
            Term::TrackRecord { adopted, tried } => (
                "TRACK_RECORD",
                format!(
                    "adopted by {adopted} of {tried} households in this province that took it up"
                ),
            ),
        };
        let r = reason(factor, detail, contribution);
        // A capital the household is not weak in adds nothing; leave it out of the list.
        if r.contribution_millis > 0 || factor != "CAPITAL" {
            reasons.push(r);
        }
    });
    let score_millis = reasons.iter().map(|r| r.contribution_millis).sum();
    Fit::Scored {
        score_millis,
        reasons,
    }
}

/// Services: no hard filters beyond coverage (checked by the caller). Score = 0.6 × capital
/// fit of the targeted capitals + 0.4 × need, where need depends on the category: relief and
/// finance follow the income gap, housing the physical weakness, health and education the
/// human weakness, market access and training the financial weakness.
pub fn score_service(
    p: &Profile,
    capitals: &[Capital],
    category: ServiceCategory,
) -> (i32, Vec<Reason>) {
    let all = [
        Capital::Human,
        Capital::Physical,
        Capital::Financial,
        Capital::Natural,
        Capital::Social,
    ];
    let total: f64 = all.iter().map(|c| p.weakness(*c).powi(2)).sum();
    let mut reasons = Vec::new();
    let mut targeted: Vec<Capital> = capitals.to_vec();
    targeted.sort();
    targeted.dedup();
    for c in targeted {
        let share = if total > 0.0 {
            p.weakness(c).powi(2) / total
        } else {
            0.0
        };
        reasons.push(reason(
            "CAPITAL",
            format!("targets {} capital", label(c)),
            0.6 * share,
        ));
    }
    let income_pp = p.income_per_person_satang as f64 / 100.0;
    let gap_ratio =
        ((p.poverty_line as f64 + 1.0 - income_pp) / (p.poverty_line as f64 + 1.0)).clamp(0.0, 1.0);
    let (need, detail) = match category {
        ServiceCategory::UrgentRelief | ServiceCategory::Finance => {
            (gap_ratio, "income below the poverty line")
        }
        ServiceCategory::Housing => (p.weakness(Capital::Physical), "weak physical capital"),
        ServiceCategory::Health | ServiceCategory::Education => {
            (p.weakness(Capital::Human), "weak human capital")
        }
        ServiceCategory::MarketAccess | ServiceCategory::OccupationTraining => {
            (p.weakness(Capital::Financial), "weak financial capital")
        }
    };
    reasons.push(reason("NEED", detail.to_string(), 0.4 * need));
    let score = reasons.iter().map(|r| r.contribution_millis).sum();
    (score, reasons)
}

/// Working-age (15–64) members, from birth dates (members without one are not counted).
pub fn working_age(
    birth_dates: impl IntoIterator<Item = Option<chrono::NaiveDate>>,
    today: chrono::NaiveDate,
) -> i32 {
    birth_dates
        .into_iter()
        .flatten()
        .filter(|b| {
            let age = today.years_since(*b).unwrap_or(0);
            (15..=64).contains(&age)
        })
        .count() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            scores: Scores {
                human: 250,
                physical: 180,
                financial: 120,
                natural: 300,
                social: 350,
            },
            household_size: 4,
            income_per_person_satang: 2000 * 100,
            has_land: Some(true),
            working_age_members: 2,
            village_code: "52010101".into(),
            poverty_line: 2762,
        }
    }

    fn offer(capitals: &[Capital]) -> Offer<'_> {
        Offer {
            capitals,
            min_scores: [
                (Capital::Human, None),
                (Capital::Physical, None),
                (Capital::Financial, None),
                (Capital::Natural, None),
                (Capital::Social, None),
            ],
            requires_land: false,
            min_working_age_members: 0,
            suitable_areas: &[],
            unit_cost_baht: 5000,
            monthly_income_gain_baht: 1500,
            track: (0, 0),
        }
    }

    #[test]
    fn the_reasons_add_up_to_the_score() {
        let w = MatchWeights::default();
        for caps in [
            &[Capital::Financial][..],
            &[Capital::Physical, Capital::Financial],
            &[Capital::Social],
        ] {
            match score_technology(&profile(), &offer(caps), &w) {
                Fit::Scored {
                    score_millis,
                    reasons,
                } => {
                    assert_eq!(
                        score_millis,
                        reasons.iter().map(|r| r.contribution_millis).sum::<i32>()
                    );
                    assert!((0..=1000).contains(&score_millis));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn raising_the_weakest_capital_scores_higher_than_raising_a_strong_one() {
        let w = MatchWeights::default();
        let s = |caps: &[Capital]| match score_technology(&profile(), &offer(caps), &w) {
            Fit::Scored { score_millis, .. } => score_millis,
            other => panic!("{other:?}"),
        };
        assert!(s(&[Capital::Financial]) > s(&[Capital::Physical]));
        assert!(s(&[Capital::Physical]) > s(&[Capital::Social]));
    }

    #[test]
    fn the_numeric_score_matches_the_explained_one() {
        let w = MatchWeights::default();
        for caps in [
            &[Capital::Financial][..],
            &[Capital::Physical, Capital::Financial, Capital::Physical],
            &[Capital::Social],
        ] {
            let o = offer(caps);
            match score_technology(&profile(), &o, &w) {
                Fit::Scored {
                    score_millis: s, ..
                } => assert_eq!(score_millis(&profile(), &o, &w), Some(s)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn hard_filters_exclude_and_say_why() {
        let w = MatchWeights::default();
        let caps = [Capital::Natural];
        let mut o = offer(&caps);
        o.min_scores[2] = (Capital::Financial, Some(200));
        o.requires_land = true;
        o.min_working_age_members = 3;
        let mut p = profile();
        p.has_land = None;
        match score_technology(&p, &o, &w) {
            Fit::Excluded(why) => assert_eq!(why.len(), 3, "{why:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(score_millis(&p, &o, &w), None);
    }

    #[test]
    fn working_age_counts_15_to_64() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let d = |y, m, d| Some(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(
            working_age(
                [
                    d(2011, 11, 24),
                    d(2011, 11, 25),
                    d(1962, 11, 25),
                    d(1961, 11, 24),
                    None
                ],
                today
            ),
            2
        );
    }
}
