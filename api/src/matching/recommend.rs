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
//! - *track record*: the technology's measured effect in the household's province over the
//!   last 24 months (docs/mobility.md, `mobility::service::province_evidence`): the share of
//!   its adopters that moved up the ladder against the share of comparable households (same
//!   starting overall level, never matched to it; standardised to the adopters' levels). The
//!   factor is clamp(0.5 + (adopters' rate − comparison's rate), 0, 1): 0.5 for no
//!   difference, 1 for a technology whose adopters moved up 50 points more often. When either
//!   group has fewer than `APP_EVIDENCE_MIN_SAMPLE` households the reason says "not enough
//!   evidence yet" and the factor is 0. The reason carries the numbers (`evidence`).
//!
//! Weights come from `APP_MATCH_WEIGHTS` (default capital 0.35, income 0.30, affordability
//! 0.15, area 0.10, track record 0.10). The score in thousandths is the exact sum of the
//! weighted terms, rounded half up and clamped to 0–1000; each reason carries its contribution
//! in thousandths, apportioned by largest remainder (`apportion`) so that the reasons add up
//! to the score exactly. Rounding each term on its own could not promise both: three terms of
//! 116.67 round to 117 each, and a household that maxes every factor scored 1001.
use std::collections::HashMap;

use entity::enums::{Capital, OutcomeEvidence, Reason, ServiceCategory};
use uuid::Uuid;

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
    /// The technology's measured effect in the household's province.
    pub track: OutcomeEvidence,
}

/// The measured effect of every technology with adopters in one province, and what a
/// technology without any gets.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRecords {
    pub by_technology: HashMap<Uuid, OutcomeEvidence>,
    pub since: chrono::NaiveDate,
    pub min_sample: u32,
}

impl TrackRecords {
    pub fn of(&self, technology: Uuid) -> OutcomeEvidence {
        self.by_technology
            .get(&technology)
            .copied()
            .unwrap_or_else(|| OutcomeEvidence::none(self.since, self.min_sample))
    }
}

/// The track-record factor in [0, 1]: clamp(0.5 + (adopters' up rate − comparison's), 0, 1)
/// with enough evidence, else 0.
pub fn track_factor(e: &OutcomeEvidence) -> f64 {
    match (e.is_enough(), e.adopter_up_rate, e.comparison_up_rate) {
        (true, Some(a), Some(c)) => (0.5 + (a - c)).clamp(0.0, 1.0),
        _ => 0.0,
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.0}%", r * 100.0))
}

fn baht_change(satang: Option<f64>) -> String {
    satang.map_or("-".into(), |s| format!("{:+.0}", s / 100.0))
}

/// The words of a track-record reason.
pub fn track_detail(e: &OutcomeEvidence) -> String {
    if !e.is_enough() {
        return format!(
            "not enough evidence yet ({} adopters, {} comparable households; need {} each)",
            e.adopters,
            e.comparison,
            e.min_sample.max(1)
        );
    }
    format!(
        "since {}: {} of {} adopters in this province moved up the ladder ({}) against {} of {} comparable households ({} at the adopters' starting levels); income {} vs {} baht/person/month",
        e.since,
        e.adopters_moved_up,
        e.adopters,
        percent(e.adopter_up_rate),
        e.comparison_moved_up,
        e.comparison,
        percent(e.comparison_up_rate),
        baht_change(e.adopter_income_change_satang),
        baht_change(e.comparison_income_change_satang),
    )
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

/// A score (a fraction, nominally in [0, 1]) in thousandths: rounded, and clamped to 0–1000
/// so that floating-point excess (weights that sum to 1.0000000000000002) cannot leave the
/// documented range.
fn total_millis(sum: f64) -> i32 {
    if sum.is_nan() {
        return 0;
    }
    ((sum * 1000.0).round() as i64).clamp(0, 1000) as i32
}

/// Whole thousandths for each term that add up to `total_millis` of their sum (largest
/// remainder: every term gets its floor, the units still missing go to the largest fractional
/// parts, earlier terms first on ties; if clamping left fewer units than the floors, the
/// smallest fractional parts give one back). A term of 0 stays 0.
pub fn apportion(terms: &[f64]) -> (i32, Vec<i32>) {
    let total = total_millis(terms.iter().sum());
    let scaled: Vec<f64> = terms
        .iter()
        .map(|t| {
            if t.is_finite() {
                (t * 1000.0).max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let mut parts: Vec<i32> = scaled
        .iter()
        .map(|x| x.floor().min(1000.0) as i32)
        .collect();
    let mut order: Vec<usize> = (0..terms.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (scaled[a] - scaled[a].floor(), scaled[b] - scaled[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let mut missing = total - parts.iter().sum::<i32>();
    while missing > 0 {
        for &i in &order {
            if missing == 0 {
                break;
            }
            if scaled[i] > 0.0 {
                parts[i] += 1;
                missing -= 1;
            }
        }
        if order.iter().all(|&i| scaled[i] <= 0.0) {
            break;
        }
    }
    while missing < 0 {
        for &i in order.iter().rev() {
            if missing == 0 {
                break;
            }
            if parts[i] > 0 {
                parts[i] -= 1;
                missing += 1;
            }
        }
    }
    (parts.iter().sum(), parts)
}

fn reason(factor: &str, detail: String, contribution_millis: i32) -> Reason {
    Reason {
        factor: factor.to_string(),
        detail,
        contribution_millis,
        evidence: None,
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
    TrackRecord(OutcomeEvidence),
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

    sink(
        Term::TrackRecord(o.track),
        w.track_record * track_factor(&o.track),
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
    // The same sum, in the same order, as `apportion` takes in `score_technology`.
    let mut sum = 0.0;
    terms(p, o, w, |_, contribution| sum += contribution);
    Some(total_millis(sum))
}

/// The score with its reasons (or why the technology is excluded).
pub fn score_technology(p: &Profile, o: &Offer<'_>, w: &MatchWeights) -> Fit {
    let why = excluded_by(p, o);
    if !why.is_empty() {
        return Fit::Excluded(why);
    }
    let mut explained = Vec::new();
    let mut contributions = Vec::new();
    let mut evidence = None;
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
            Term::TrackRecord(e) => {
                evidence = Some(e);
                ("TRACK_RECORD", track_detail(&e))
            }
        };
        explained.push((factor, detail));
        contributions.push(contribution);
    });
    let (score_millis, parts) = apportion(&contributions);
    let reasons = explained
        .into_iter()
        .zip(parts)
        // A capital the household is not weak in adds nothing; leave it out of the list.
        .filter(|((factor, _), millis)| *millis > 0 || *factor != "CAPITAL")
        .map(|((factor, detail), millis)| Reason {
            evidence: if factor == "TRACK_RECORD" {
                evidence
            } else {
                None
            },
            ..reason(factor, detail, millis)
        })
        .collect();
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
    let mut explained = Vec::new();
    let mut targeted: Vec<Capital> = capitals.to_vec();
    targeted.sort();
    targeted.dedup();
    for c in targeted {
        let share = if total > 0.0 {
            p.weakness(c).powi(2) / total
        } else {
            0.0
        };
        explained.push((
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
    explained.push(("NEED", detail.to_string(), 0.4 * need));
    let contributions: Vec<f64> = explained.iter().map(|(_, _, c)| *c).collect();
    let (score, parts) = apportion(&contributions);
    let reasons = explained
        .into_iter()
        .zip(parts)
        .map(|((factor, detail, _), millis)| reason(factor, detail, millis))
        .collect();
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
            track: OutcomeEvidence::none(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), 10),
        }
    }

    fn evidence(adopters: u32, up: u32, comparison: u32, comparison_up: u32) -> OutcomeEvidence {
        OutcomeEvidence {
            adopters,
            adopters_moved_up: up,
            comparison,
            comparison_moved_up: comparison_up,
            adopter_up_rate: (adopters > 0).then(|| up as f64 / adopters as f64),
            comparison_up_rate: (comparison > 0).then(|| comparison_up as f64 / comparison as f64),
            adopter_income_change_satang: Some(50_000.0),
            comparison_income_change_satang: Some(10_000.0),
            ..OutcomeEvidence::none(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), 10)
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
    fn a_household_that_maxes_every_factor_scores_at_most_one_and_its_reasons_add_up() {
        // Three equally weak capitals (each a third of 0.35: 116.67 thousandths), everything
        // else at its maximum: income gap covered, free, suits the area, every adopter moved up
        // and no comparable household did.
        let mut p = profile();
        p.scores = Scores {
            human: 100,
            physical: 100,
            financial: 400,
            natural: 100,
            social: 400,
        };
        let all = [
            Capital::Human,
            Capital::Physical,
            Capital::Financial,
            Capital::Natural,
            Capital::Social,
        ];
        let mut o = offer(&all);
        o.unit_cost_baht = 0;
        o.monthly_income_gain_baht = 1_000_000;
        o.track = evidence(998, 998, 998, 0);
        let w = MatchWeights::default();
        match score_technology(&p, &o, &w) {
            Fit::Scored {
                score_millis,
                reasons,
            } => {
                assert_eq!(score_millis, 1000, "{reasons:?}");
                assert_eq!(
                    reasons.iter().map(|r| r.contribution_millis).sum::<i32>(),
                    score_millis
                );
                let capital: Vec<i32> = reasons
                    .iter()
                    .filter(|r| r.factor == "CAPITAL")
                    .map(|r| r.contribution_millis)
                    .collect();
                assert_eq!(capital.iter().sum::<i32>(), 350, "{capital:?}");
                assert!(capital.iter().all(|c| (116..=117).contains(c)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(score_millis(&p, &o, &w), Some(1000));
    }

    #[test]
    fn apportioned_parts_add_up_to_the_rounded_clamped_sum_and_stay_next_to_their_terms() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 1..9 {
            for _ in 0..2000 {
                // Terms that sum to about 1 (as weighted factors do), sometimes a little over.
                let raw: Vec<f64> = (0..n).map(|_| next()).collect();
                let scale = 1.0 + (next() - 0.5) * 1e-3;
                let sum: f64 = raw.iter().sum();
                let terms: Vec<f64> = raw.iter().map(|t| t / sum * scale).collect();
                let (total, parts) = apportion(&terms);
                assert_eq!(parts.iter().sum::<i32>(), total);
                assert!((0..=1000).contains(&total), "{terms:?}");
                assert_eq!(
                    total,
                    ((terms.iter().sum::<f64>() * 1000.0).round() as i32).clamp(0, 1000)
                );
                for (t, p) in terms.iter().zip(&parts) {
                    assert!(
                        (*p as f64 - t * 1000.0).abs() < 1.0 + 1e-9,
                        "{terms:?} {parts:?}"
                    );
                }
            }
        }
        assert_eq!(apportion(&[0.0, 0.0]), (0, vec![0, 0]));
        assert_eq!(apportion(&[1.0 / 3.0; 3]), (1000, vec![334, 333, 333]));
    }

    #[test]
    fn the_documented_default_weights_string_scores_exactly_like_leaving_it_unset() {
        let documented = crate::config::Settings::from_lookup(|k| {
            (k == "APP_MATCH_WEIGHTS").then(|| {
                "capital=0.35,income=0.30,affordability=0.15,area=0.10,track_record=0.10".into()
            })
        })
        .unwrap()
        .match_weights;
        let unset = crate::config::Settings::from_lookup(|_| None)
            .unwrap()
            .match_weights;
        // 363 baht a person, 1,200 gained: 0.30 × 0.125 + 0.15 + 0.10 + 0.05 = 337.5
        // thousandths exactly, where weights off by one unit in the last place round apart.
        let caps = [Capital::Financial];
        let mut p = profile();
        p.income_per_person_satang = 363 * 100;
        p.scores.financial = 400;
        let mut o = offer(&caps);
        o.monthly_income_gain_baht = 1200;
        assert_eq!(
            score_technology(&p, &o, &documented),
            score_technology(&p, &o, &unset)
        );

        let caps = [Capital::Physical, Capital::Financial];
        for income in (0..8000).step_by(25) {
            for gain in (0..4000).step_by(125) {
                for financial in [100, 175, 250, 325, 400] {
                    let mut p = profile();
                    p.income_per_person_satang = income * 100;
                    p.scores.financial = financial;
                    let mut o = offer(&caps);
                    o.monthly_income_gain_baht = gain;
                    for track in [
                        evidence(0, 0, 0, 0),
                        evidence(10, 2, 20, 5),
                        evidence(30, 25, 40, 4),
                    ] {
                        o.track = track;
                        assert_eq!(
                            score_technology(&p, &o, &documented),
                            score_technology(&p, &o, &unset),
                            "income {income}, gain {gain}, financial {financial}"
                        );
                    }
                }
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

    fn track_reason(o: &Offer<'_>) -> Reason {
        match score_technology(&profile(), o, &MatchWeights::default()) {
            Fit::Scored {
                score_millis,
                reasons,
            } => {
                assert_eq!(
                    score_millis,
                    reasons.iter().map(|r| r.contribution_millis).sum::<i32>()
                );
                assert!(
                    reasons
                        .iter()
                        .all(|r| r.evidence.is_some() == (r.factor == "TRACK_RECORD"))
                );
                reasons
                    .into_iter()
                    .find(|r| r.factor == "TRACK_RECORD")
                    .expect("a track-record reason")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn below_the_minimum_sample_the_track_record_says_not_enough_evidence_and_adds_nothing() {
        let caps = [Capital::Financial];
        let mut o = offer(&caps);
        // 9 adopters, all moved up, against 50 comparison households: one adopter short.
        o.track = evidence(9, 9, 50, 0);
        let r = track_reason(&o);
        assert_eq!(r.contribution_millis, 0);
        assert_eq!(
            r.detail,
            "not enough evidence yet (9 adopters, 50 comparable households; need 10 each)"
        );
        assert_eq!(r.evidence, Some(o.track));
        o.track = evidence(50, 50, 9, 0);
        assert_eq!(track_reason(&o).contribution_millis, 0);
        o.track = evidence(0, 0, 0, 0);
        assert_eq!(track_factor(&o.track), 0.0);
        assert!(
            track_reason(&o)
                .detail
                .starts_with("not enough evidence yet (0 adopters")
        );
    }

    #[test]
    fn with_enough_evidence_the_factor_is_a_half_plus_the_difference_in_up_rates_clamped() {
        let f = |a, au, c, cu| track_factor(&evidence(a, au, c, cu));
        assert_eq!(f(10, 5, 10, 5), 0.5, "no difference");
        assert!((f(10, 6, 20, 6) - 0.8).abs() < 1e-12, "0.5 + 0.6 − 0.3");
        assert!(
            (f(10, 2, 10, 5) - 0.2).abs() < 1e-12,
            "worse than doing nothing"
        );
        assert_eq!(f(10, 10, 10, 0), 1.0, "clamped at 1");
        assert_eq!(f(10, 0, 10, 10), 0.0, "clamped at 0");
        // Weighted: 0.10 × 0.8 = 80 thousandths, carried with its numbers.
        let caps = [Capital::Financial];
        let mut o = offer(&caps);
        o.track = evidence(10, 6, 20, 6);
        let r = track_reason(&o);
        assert_eq!(r.contribution_millis, 80);
        assert!(r.detail.contains("6 of 10 adopters"), "{}", r.detail);
        assert!(
            r.detail.contains("6 of 20 comparable households"),
            "{}",
            r.detail
        );
        assert_eq!(r.evidence.unwrap().adopters_moved_up, 6);
    }

    #[test]
    fn stored_reasons_without_evidence_still_decode() {
        let old =
            r#"[{"factor":"TRACK_RECORD","detail":"adopted by 1 of 2","contribution_millis":50}]"#;
        let decoded: Vec<Reason> = serde_json::from_str(old).unwrap();
        assert_eq!(decoded[0].evidence, None);
        let encoded = serde_json::to_string(&decoded).unwrap();
        assert!(!encoded.contains("evidence"), "{encoded}");
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
