//! The arithmetic of ladder movement (docs/mobility.md), with no database: which assessments
//! are a household's baseline and endline for a period, which way it moved, and the area
//! figures (transition matrices, by intervention kind, by technology) together with the
//! predicate behind every figure, so a drill-down lists exactly the households a figure counts.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{IncomeLevel, InterventionKind, LadderLevel};
use sea_orm::FromQueryResult;
use uuid::Uuid;

/// What movement reads of a counting assessment (ACTIVE or SUPERSEDED).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Snap {
    pub id: Uuid,
    pub household_id: Uuid,
    pub assessed_on: NaiveDate,
    pub activated_at: Option<DateTime<Utc>>,
    pub human: i32,
    pub physical: i32,
    pub financial: i32,
    pub natural: i32,
    pub social: i32,
    pub overall_score: i32,
    pub overall_level: LadderLevel,
    pub income_level: IncomeLevel,
    pub income_per_person_satang: i64,
}

impl From<&entity::assessment::Model> for Snap {
    fn from(a: &entity::assessment::Model) -> Self {
        Snap {
            id: a.id,
            household_id: a.household_id,
            assessed_on: a.assessed_on,
            activated_at: a.activated_at,
            human: a.human,
            physical: a.physical,
            financial: a.financial,
            natural: a.natural,
            social: a.social,
            overall_score: a.overall_score,
            overall_level: a.overall_level,
            income_level: a.income_level,
            income_per_person_satang: a.income_per_person_satang,
        }
    }
}

/// The order of a household's assessments in time: date, then activation (never activated
/// first), then id.
pub fn time_order(a: &Snap, b: &Snap) -> std::cmp::Ordering {
    (a.assessed_on, a.activated_at, a.id).cmp(&(b.assessed_on, b.activated_at, b.id))
}

/// A ladder: overall or one of the five capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    Overall,
    Human,
    Physical,
    Financial,
    Natural,
    Social,
}

impl Dim {
    pub const ALL: [Dim; 6] = [
        Dim::Overall,
        Dim::Human,
        Dim::Physical,
        Dim::Financial,
        Dim::Natural,
        Dim::Social,
    ];

    /// The score in hundredths.
    pub fn score(self, s: &Snap) -> i32 {
        match self {
            Dim::Overall => s.overall_score,
            Dim::Human => s.human,
            Dim::Physical => s.physical,
            Dim::Financial => s.financial,
            Dim::Natural => s.natural,
            Dim::Social => s.social,
        }
    }

    pub fn level(self, s: &Snap) -> LadderLevel {
        match self {
            Dim::Overall => s.overall_level,
            _ => LadderLevel::of_score(self.score(s)),
        }
    }
}

/// Which way a household went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Stayed,
    Fell,
}

impl Direction {
    pub fn of<T: Ord>(from: T, to: T) -> Direction {
        match to.cmp(&from) {
            std::cmp::Ordering::Greater => Direction::Up,
            std::cmp::Ordering::Equal => Direction::Stayed,
            std::cmp::Ordering::Less => Direction::Fell,
        }
    }
}

/// Position of an income level (BELOW_POVERTY_LINE < BELOW_POOREST_40 < BELOW_MEDIAN <
/// ABOVE_MEDIAN).
pub fn income_rank(level: IncomeLevel) -> u8 {
    crate::graduation::service::income_rank(level)
}

pub const LEVELS: [LadderLevel; 4] = [
    LadderLevel::Struggling,
    LadderLevel::Difficult,
    LadderLevel::Manageable,
    LadderLevel::Well,
];

pub const INCOME_LEVELS: [IncomeLevel; 4] = [
    IncomeLevel::BelowPovertyLine,
    IncomeLevel::BelowPoorest40,
    IncomeLevel::BelowMedian,
    IncomeLevel::AboveMedian,
];

pub fn level_index(l: LadderLevel) -> usize {
    match l {
        LadderLevel::Struggling => 0,
        LadderLevel::Difficult => 1,
        LadderLevel::Manageable => 2,
        LadderLevel::Well => 3,
    }
}

/// Baseline and endline of one household for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    pub baseline: Snap,
    pub endline: Snap,
}

impl Movement {
    /// Baseline and endline are different assessments.
    pub fn reassessed(&self) -> bool {
        self.baseline.id != self.endline.id
    }

    pub fn direction(&self, dim: Dim) -> Direction {
        Direction::of(dim.level(&self.baseline), dim.level(&self.endline))
    }

    pub fn income_direction(&self) -> Direction {
        Direction::of(
            income_rank(self.baseline.income_level),
            income_rank(self.endline.income_level),
        )
    }

    /// Change in income per person per month, satang.
    pub fn income_change_satang(&self) -> i64 {
        self.endline.income_per_person_satang - self.baseline.income_per_person_satang
    }

    /// Whether a date lies in the window between the two assessments (both days included).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.baseline.assessed_on <= date && date <= self.endline.assessed_on
    }
}

/// Baseline and endline among one household's counting assessments (`sorted` by
/// `time_order`): the endline is the latest on or before `to` (without `to`, the latest); the
/// baseline the latest on or before `from`, else the first after it (up to the endline);
/// without `from`, the first. `None` when no counting assessment is on or before `to`.
pub fn movement(
    sorted: &[Snap],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Option<Movement> {
    let upto: Vec<&Snap> = sorted
        .iter()
        .filter(|s| to.is_none_or(|t| s.assessed_on <= t))
        .collect();
    let endline = *upto.last()?;
    let baseline = match from {
        None => upto[0],
        Some(f) => upto
            .iter()
            .rev()
            .find(|s| s.assessed_on <= f)
            .or_else(|| upto.iter().find(|s| s.assessed_on > f))
            .copied()
            .unwrap_or(endline),
    };
    Some(Movement {
        baseline: baseline.clone(),
        endline: endline.clone(),
    })
}

/// Everything the area figures read about one household.
#[derive(Debug, Clone)]
pub struct Facts {
    pub household_id: Uuid,
    pub movement: Movement,
    /// Intervention kinds delivered inside the movement's window.
    pub kinds: HashSet<InterventionKind>,
    /// Technologies whose match reached ADOPTED inside the window.
    pub adopted: HashSet<Uuid>,
    /// Technologies the household was ever matched to (any status).
    pub matched: HashSet<Uuid>,
}

/// The raw rows of an area and period.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Counting assessments on or before the end of the period, any order.
    pub assessments: Vec<Snap>,
    /// (household, kind, delivered on).
    pub interventions: Vec<(Uuid, InterventionKind, NaiveDate)>,
    /// (household, technology, match id) of every match.
    pub matches: Vec<(Uuid, Uuid, Uuid)>,
    /// (match id, when it became ADOPTED).
    pub adoptions: Vec<(Uuid, DateTime<Utc>)>,
}

/// The facts of every household with a counting assessment on or before `to`, by household id.
pub fn facts(inputs: Inputs, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<Facts> {
    let mut by_household: HashMap<Uuid, Vec<Snap>> = HashMap::new();
    for s in inputs.assessments {
        by_household.entry(s.household_id).or_default().push(s);
    }
    let mut out: HashMap<Uuid, Facts> = HashMap::new();
    for (h, mut list) in by_household {
        list.sort_by(time_order);
        if let Some(m) = movement(&list, from, to) {
            out.insert(
                h,
                Facts {
                    household_id: h,
                    movement: m,
                    kinds: HashSet::new(),
                    adopted: HashSet::new(),
                    matched: HashSet::new(),
                },
            );
        }
    }
    for (h, kind, on) in inputs.interventions {
        if let Some(f) = out.get_mut(&h)
            && f.movement.covers(on)
        {
            f.kinds.insert(kind);
        }
    }
    let mut match_of: HashMap<Uuid, (Uuid, Uuid)> = HashMap::new();
    for (h, t, m) in inputs.matches {
        if let Some(f) = out.get_mut(&h) {
            f.matched.insert(t);
        }
        match_of.insert(m, (h, t));
    }
    for (m, at) in inputs.adoptions {
        if let Some((h, t)) = match_of.get(&m)
            && let Some(f) = out.get_mut(h)
            && f.movement.covers(at.date_naive())
        {
            f.adopted.insert(*t);
        }
    }
    let mut list: Vec<Facts> = out.into_values().collect();
    list.sort_by_key(|f| f.household_id);
    list
}

/// Up, stayed, fell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moves {
    pub up: u64,
    pub stayed: u64,
    pub fell: u64,
}

impl Moves {
    fn add(&mut self, d: Direction) {
        match d {
            Direction::Up => self.up += 1,
            Direction::Stayed => self.stayed += 1,
            Direction::Fell => self.fell += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.up + self.stayed + self.fell
    }
}

/// One ladder's movement in an area: moves and the 4×4 matrix (`cells[from][to]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matrix {
    pub moves: Moves,
    pub cells: [[u64; 4]; 4],
}

/// Counts of one intervention kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindStats {
    pub moves: Moves,
    pub income_change_sum: i64,
}

/// One starting level of a technology's comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelGroups {
    pub adopters: u64,
    pub adopters_up: u64,
    pub adopters_income_sum: i64,
    pub comparison: u64,
    pub comparison_up: u64,
    pub comparison_income_sum: i64,
}

/// A technology's adopters against comparable households, by starting overall level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TechStats {
    pub by_level: [LevelGroups; 4],
}

impl TechStats {
    /// Levels where the technology has adopters (the comparison is drawn from these only).
    pub fn adopter_levels(&self) -> [bool; 4] {
        self.by_level.map(|g| g.adopters > 0)
    }

    pub fn adopters(&self) -> u64 {
        self.by_level.iter().map(|g| g.adopters).sum()
    }

    pub fn adopters_up(&self) -> u64 {
        self.by_level.iter().map(|g| g.adopters_up).sum()
    }

    /// Comparison households of the starting levels that have adopters.
    pub fn comparison(&self) -> u64 {
        self.by_level
            .iter()
            .filter(|g| g.adopters > 0)
            .map(|g| g.comparison)
            .sum()
    }

    pub fn comparison_up(&self) -> u64 {
        self.by_level
            .iter()
            .filter(|g| g.adopters > 0)
            .map(|g| g.comparison_up)
            .sum()
    }

    /// Share of adopters that moved up.
    pub fn adopter_up_rate(&self) -> Option<f64> {
        let n = self.adopters();
        (n > 0).then(|| self.adopters_up() as f64 / n as f64)
    }

    /// Mean income change of adopters, satang per person per month.
    pub fn adopter_income_change(&self) -> Option<f64> {
        let n = self.adopters();
        (n > 0).then(|| {
            self.by_level
                .iter()
                .map(|g| g.adopters_income_sum)
                .sum::<i64>() as f64
                / n as f64
        })
    }

    /// The comparison's rate of moving up, standardised to the adopters' starting levels:
    /// each level's comparison rate weighted by that level's share of the adopters (levels
    /// without comparison households are left out and the weights renormalised).
    pub fn comparison_up_rate(&self) -> Option<f64> {
        self.standardised(|g| g.comparison_up as f64 / g.comparison as f64)
    }

    /// Mean income change of the comparison, standardised like `comparison_up_rate`.
    pub fn comparison_income_change(&self) -> Option<f64> {
        self.standardised(|g| g.comparison_income_sum as f64 / g.comparison as f64)
    }

    fn standardised(&self, per_level: impl Fn(&LevelGroups) -> f64) -> Option<f64> {
        let usable: Vec<&LevelGroups> = self
            .by_level
            .iter()
            .filter(|g| g.adopters > 0 && g.comparison > 0)
            .collect();
        let weight: u64 = usable.iter().map(|g| g.adopters).sum();
        (weight > 0).then(|| {
            usable
                .iter()
                .map(|g| g.adopters as f64 * per_level(g))
                .sum::<f64>()
                / weight as f64
        })
    }
}

/// The area figures of a period.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub considered: u64,
    pub reassessed: u64,
    /// By `Dim::ALL` order.
    pub ladders: Vec<(Dim, Matrix)>,
    /// Income levels, `cells[from][to]` by `INCOME_LEVELS` order.
    pub income: Matrix,
    pub income_change_sum: i64,
    pub by_kind: Vec<(InterventionKind, KindStats)>,
    pub by_technology: Vec<(Uuid, TechStats)>,
}

/// Whether a household counts as an adopter of `t` (reassessed, adopted inside its window).
pub fn is_adopter(f: &Facts, t: Uuid) -> bool {
    f.movement.reassessed() && f.adopted.contains(&t)
}

/// Whether a household counts in the comparison of `t` at its starting overall level: reassessed,
/// never matched to `t`, starting at a level where `t` has adopters.
pub fn is_comparison(f: &Facts, t: Uuid, adopter_levels: &[bool; 4]) -> bool {
    f.movement.reassessed()
        && !f.matched.contains(&t)
        && adopter_levels[level_index(f.movement.baseline.overall_level)]
}

/// Per technology with at least one adopter: its stats.
pub fn by_technology(facts: &[Facts]) -> Vec<(Uuid, TechStats)> {
    let mut stats: HashMap<Uuid, TechStats> = HashMap::new();
    for f in facts.iter().filter(|f| f.movement.reassessed()) {
        for t in &f.adopted {
            let g = &mut stats.entry(*t).or_default().by_level
                [level_index(f.movement.baseline.overall_level)];
            g.adopters += 1;
            if f.movement.direction(Dim::Overall) == Direction::Up {
                g.adopters_up += 1;
            }
            g.adopters_income_sum += f.movement.income_change_satang();
        }
    }
    // Comparison: every reassessed household never matched to the technology, at the
    // starting levels that have adopters (other levels have nothing to compare).
    let mut level_totals = [(0u64, 0u64, 0i64); 4];
    let mut matched_by_tech: HashMap<Uuid, [(u64, u64, i64); 4]> = HashMap::new();
    for f in facts.iter().filter(|f| f.movement.reassessed()) {
        let l = level_index(f.movement.baseline.overall_level);
        let up = (f.movement.direction(Dim::Overall) == Direction::Up) as u64;
        let change = f.movement.income_change_satang();
        level_totals[l].0 += 1;
        level_totals[l].1 += up;
        level_totals[l].2 += change;
        for t in &f.matched {
            if stats.contains_key(t) {
                let e = &mut matched_by_tech.entry(*t).or_default()[l];
                e.0 += 1;
                e.1 += up;
                e.2 += change;
            }
        }
    }
    for (t, s) in stats.iter_mut() {
        let matched = matched_by_tech.get(t).copied().unwrap_or_default();
        let levels = s.adopter_levels();
        for l in (0..4).filter(|l| levels[*l]) {
            s.by_level[l].comparison = level_totals[l].0 - matched[l].0;
            s.by_level[l].comparison_up = level_totals[l].1 - matched[l].1;
            s.by_level[l].comparison_income_sum = level_totals[l].2 - matched[l].2;
        }
    }
    let mut out: Vec<(Uuid, TechStats)> = stats.into_iter().collect();
    out.sort_by_key(|(t, _)| *t);
    out
}

pub const KINDS: [InterventionKind; 7] = [
    InterventionKind::TechnologyAdoption,
    InterventionKind::Training,
    InterventionKind::InKind,
    InterventionKind::Cash,
    InterventionKind::Service,
    InterventionKind::MarketLinkage,
    InterventionKind::HousingRepair,
];

pub fn summarise(facts: &[Facts]) -> Summary {
    let mut s = Summary {
        considered: facts.len() as u64,
        ladders: Dim::ALL.iter().map(|d| (*d, Matrix::default())).collect(),
        by_kind: KINDS.iter().map(|k| (*k, KindStats::default())).collect(),
        ..Default::default()
    };
    for f in facts.iter().filter(|f| f.movement.reassessed()) {
        let m = &f.movement;
        s.reassessed += 1;
        for (dim, matrix) in s.ladders.iter_mut() {
            matrix.moves.add(m.direction(*dim));
            matrix.cells[level_index(dim.level(&m.baseline))]
                [level_index(dim.level(&m.endline))] += 1;
        }
        s.income.moves.add(m.income_direction());
        s.income.cells[income_rank(m.baseline.income_level) as usize]
            [income_rank(m.endline.income_level) as usize] += 1;
        s.income_change_sum += m.income_change_satang();
        for (kind, stats) in s.by_kind.iter_mut() {
            if f.kinds.contains(kind) {
                stats.moves.add(m.direction(Dim::Overall));
                stats.income_change_sum += m.income_change_satang();
            }
        }
    }
    s.by_technology = by_technology(facts);
    s
}

/// Which households a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Population {
    /// Baseline and endline differ (every figure but `households` counts these).
    #[default]
    Reassessed,
    NotReassessed,
    /// Every household with a counting assessment on or before the end of the period.
    Considered,
}

/// Adopters of a technology or its comparison households.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Adopters,
    Comparison,
}

/// A drill-down: the households behind one figure.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    pub population: Population,
    /// The ladder `from_level`, `to_level` and `direction` read (overall by default).
    pub dim: Option<Dim>,
    pub from_level: Option<LadderLevel>,
    pub to_level: Option<LadderLevel>,
    pub direction: Option<Direction>,
    pub income_from: Option<IncomeLevel>,
    pub income_to: Option<IncomeLevel>,
    pub income_direction: Option<Direction>,
    pub kind: Option<InterventionKind>,
    pub technology: Option<(Uuid, Group)>,
}

/// The households (ids, ascending) that `criteria` selects.
pub fn select(facts: &[Facts], c: &Criteria) -> Vec<Uuid> {
    let dim = c.dim.unwrap_or(Dim::Overall);
    let adopter_levels = c.technology.map(|(t, _)| {
        let mut levels = [false; 4];
        for f in facts.iter().filter(|f| is_adopter(f, t)) {
            levels[level_index(f.movement.baseline.overall_level)] = true;
        }
        levels
    });
    facts
        .iter()
        .filter(|f| {
            let m = &f.movement;
            let population = match c.population {
                Population::Reassessed => m.reassessed(),
                Population::NotReassessed => !m.reassessed(),
                Population::Considered => true,
            };
            population
                && c.from_level.is_none_or(|l| dim.level(&m.baseline) == l)
                && c.to_level.is_none_or(|l| dim.level(&m.endline) == l)
                && c.direction.is_none_or(|d| m.direction(dim) == d)
                && c.income_from.is_none_or(|l| m.baseline.income_level == l)
                && c.income_to.is_none_or(|l| m.endline.income_level == l)
                && c.income_direction.is_none_or(|d| m.income_direction() == d)
                && c.kind.is_none_or(|k| f.kinds.contains(&k))
                && c.technology.is_none_or(|(t, group)| match group {
                    Group::Adopters => is_adopter(f, t),
                    Group::Comparison => {
                        is_comparison(f, t, adopter_levels.as_ref().expect("set with technology"))
                    }
                })
        })
        .map(|f| f.household_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(h: Uuid, n: u128, on: &str, score: i32, income_baht: i64) -> Snap {
        Snap {
            id: Uuid::from_u128(n),
            household_id: h,
            assessed_on: on.parse().unwrap(),
            activated_at: None,
            human: score,
            physical: score,
            financial: score,
            natural: score,
            social: score,
            overall_score: score,
            overall_level: LadderLevel::of_score(score),
            income_level: if income_baht <= 2762 {
                IncomeLevel::BelowPovertyLine
            } else {
                IncomeLevel::BelowPoorest40
            },
            income_per_person_satang: income_baht * 100,
        }
    }

    fn d(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn baseline_is_the_level_at_from_or_the_first_after_and_endline_the_level_at_to() {
        let h = Uuid::from_u128(1);
        let list = vec![
            snap(h, 1, "2024-01-10", 150, 2000),
            snap(h, 2, "2024-06-10", 200, 3000),
            snap(h, 3, "2025-01-10", 300, 4000),
        ];
        let m = movement(&list, d("2024-03-01"), d("2024-12-31")).unwrap();
        assert_eq!((m.baseline.id, m.endline.id), (list[0].id, list[1].id));
        assert_eq!(m.direction(Dim::Overall), Direction::Up);
        assert_eq!(m.income_change_satang(), 100_000);
        // Nothing at `from`: the first after it.
        let m = movement(&list, d("2024-02-01"), None).unwrap();
        assert_eq!(m.baseline.id, list[0].id);
        let m = movement(&list, d("2024-05-01"), d("2024-07-01")).unwrap();
        assert_eq!((m.baseline.id, m.endline.id), (list[0].id, list[1].id));
        let m = movement(&list[1..], d("2024-01-01"), d("2024-07-01")).unwrap();
        assert!(!m.reassessed());
        assert!(movement(&list, None, d("2023-12-31")).is_none());
        let m = movement(&list, None, None).unwrap();
        assert_eq!((m.baseline.id, m.endline.id), (list[0].id, list[2].id));
    }

    #[test]
    fn the_comparison_rate_is_standardised_to_the_adopters_levels() {
        let mut s = TechStats::default();
        // Adopters: 3 STRUGGLING (2 up), 1 DIFFICULT (0 up).
        s.by_level[0] = LevelGroups {
            adopters: 3,
            adopters_up: 2,
            comparison: 10,
            comparison_up: 5,
            ..Default::default()
        };
        s.by_level[1] = LevelGroups {
            adopters: 1,
            comparison: 4,
            comparison_up: 1,
            ..Default::default()
        };
        s.by_level[2] = LevelGroups {
            comparison: 100,
            comparison_up: 100,
            ..Default::default()
        };
        assert_eq!(s.adopters(), 4);
        assert_eq!(s.comparison(), 14);
        assert_eq!(s.comparison_up(), 6);
        assert_eq!(s.adopter_up_rate(), Some(0.5));
        // 0.75 × 0.5 + 0.25 × 0.25
        assert!((s.comparison_up_rate().unwrap() - 0.4375).abs() < 1e-12);
    }
}
