//! Exact, deterministic household ↔ technology matching (max-weight bipartite b-matching).
//!
//! # Problem
//!
//! `n` households, `m` technologies, technology `t` has `seats[t]` seats, and a sparse list of
//! eligible pairs `(h, t, benefit > 0)`. Choose pairs maximising the total benefit such that
//! every household gets at most one technology and technology `t` at most `seats[t]`
//! households; households may stay unassigned. As a min-cost flow: source → household
//! (capacity 1) → technology (cost −benefit) → sink (capacity `seats[t]`), plus a direct
//! household → sink edge of cost 0 meaning "stays unassigned", so that every household sends
//! exactly one unit. The constraint matrix is totally unimodular, so the LP optimum is integral
//! and LP duality applies:
//!
//! ```text
//! max Σ w(h,t)·x(h,t)            min Σ_h u(h) + Σ_t seats(t)·p(t)
//!     Σ_t x(h,t) ≤ 1                 u(h) ≥ w(h,t) − p(t)   for every eligible (h, t)
//!     Σ_h x(h,t) ≤ seats(t)          u(h) ≥ 0, p(t) ≥ 0
//! ```
//!
//! `p(t)` is the price of a seat of `t`, `u(h)` the household's utility.
//!
//! # Algorithm: successive shortest paths on the technology graph
//!
//! Households are added one at a time; each addition routes the new household's unit of flow
//! along a *shortest* path of the residual graph (the Hungarian method / successive shortest
//! paths with Johnson potentials). Because `m ≪ n`, the residual graph is contracted onto the
//! technologies: a household already seated at `t` is only ever used as the edge
//! "move it from `t` to `t'`". The contracted graph has `m` nodes plus the sink and edges
//!
//! * source (the new household `h`) → `t`: `h` takes a seat of `t`;
//! * `t → t'` (t full): the occupant of `t` whose move to `t'` loses least moves there;
//! * `t →` sink, *free*: `t` has a free seat;
//! * `t →` sink, *evict*: the occupant of `t` with the smallest benefit becomes unassigned;
//! * source → sink: `h` stays unassigned.
//!
//! The potentials are the seat prices `p(t)` (the sink's is pinned at 0), the reduced costs are
//! differences of *profits* `weight − price`, and their non-negativity is exactly dual
//! feasibility plus complementary slackness for the households added so far: every seated
//! household gets its best profit (so no move edge is negative), which is ≥ 0 (no evict edge is
//! negative), every unassigned one has profit ≤ 0 everywhere, and `p(t) > 0` only for full
//! technologies (`p(t) = 0` while `t` has free seats). One step is:
//!
//! 1. `u = max(0, max_t profit(h, t))`. If `u = 0`, staying unassigned is a shortest path:
//!    done in O(degree of h). If the best technology has a free seat, take it: also done.
//! 2. Otherwise Dijkstra from `h` over the technologies with labels
//!    `u − profit(h, t)` ≥ 0, stopping as soon as the cheapest way to the sink (free seat,
//!    eviction, or staying unassigned at cost `u`) is no longer beaten by an unsettled label.
//! 3. Prices of the settled technologies rise by `D − label(t)` (`D` = distance to the sink):
//!    the usual potential update, which keeps every reduced cost ≥ 0 and makes the path tight.
//!    Prices never decrease, and a technology, once full, stays full.
//! 4. Apply the path: `h` takes a seat, each occupant on the path moves one technology on, and
//!    the last technology either fills its free seat or evicts its cheapest occupant.
//!
//! A move edge needs `max over occupants y of t of benefit(y, t') − benefit(y, t)`. It is kept
//! per *full* technology in a `Block`: a column-major `seats × m` table of these differences
//! (`i32`) with the per-column maximum and arg-max, plus the cheapest occupant for evictions.
//! A free technology ends every Dijkstra run that settles it, so it never needs a block. A move
//! in or out of a technology rewrites one slot (O(m + degree)) and rescans only the columns whose
//! maximum left (O(seats) each).
//!
//! Households are processed by decreasing best benefit (which merely makes the search cheap:
//! strong households are seated first, later ones rarely displace them; any order gives an
//! optimum — on the benchmark, index order is 2.5× slower, increasing order 3.5×).
//!
//! # Why it is exact
//!
//! * All arithmetic is integer (`i64`; the certificate check in [`verify`] uses `i128`). No
//!   floating point, no ε.
//! * Each step finds an exact shortest path with non-negative reduced costs, so by the standard
//!   successive-shortest-path argument the flow stays min-cost for the households added so far
//!   (reduced-cost optimality is preserved by the potential update, including when Dijkstra is
//!   stopped early: unsettled nodes keep their potential, which is valid because their
//!   distance is ≥ `D`). After the last household the assignment is optimal. An evicted
//!   household never comes back: its profit is ≤ 0 and prices only rise.
//! * Magnitudes: weights `W ≤ 2⁶⁰`; prices stay in `[0, W]` (a full technology's price is at
//!   most its occupants' weights), Dijkstra labels stay below `3W < 2⁶²`: no overflow.
//! * The prices are returned as [`Duals`]; [`verify`] recomputes the utilities and checks dual
//!   feasibility and complementary slackness, proving optimality independently of this code
//!   (the benchmark does so on the 50 M-pair instance; the tests also compare with brute force).
//!
//! # Tie-breaking and determinism
//!
//! Among assignments of maximum total benefit, `solve` returns one that **serves the most
//! households**: internally it maximises `weight = scale · benefit + 1` with
//! `scale = min(n, Σ seats) + 1`, so the `+1` per assigned household can never outweigh one unit
//! of benefit. (If `scale · max benefit` would exceed 2⁶⁰ — only for absurdly large instances —
//! this secondary rule is dropped and `weight = benefit`; the optimum is still exact.) Remaining
//! ties are broken by fixed rules: the canonical pair order (sorted by household, then
//! technology; see [`Problem::normalize`]), the household order above (ties: lower id first),
//! lowest technology id among equal profits or equal Dijkstra labels, stopping at the first
//! sink candidate on equal distances, first occupant slot among equal moves/evictions. There is
//! no hashing, randomness or threading, and the canonical form depends only on the *set* of
//! pairs, so the same instance gives the same assignment on every run and for every order of
//! the `add` calls.
//!
//! # Complexity (`P` pairs, `S` = Σ seats, `d` = pairs per household)
//!
//! * Memory: 8 bytes per pair (CSR: `u32` technology + `u32` benefit) + O(n + m), plus the
//!   blocks: at most `4·m` bytes per *seated* household, i.e. ≤ `4·m·min(n, S)`. Measured on
//!   100,000 × 500 with all 50 M pairs and 53,674 seats: 106 MiB on top of the 384 MiB
//!   instance.
//! * Time: O(P + n log n) for ordering and the cheap steps; a Dijkstra run costs O(k·m) with
//!   `k` ≤ m settled technologies; applying a path of length `L` costs O(L·(m + d + r·seats))
//!   where `r` is the number of columns that lose their maximum. Worst case
//!   O(n·m² + n·m·(m + d + m·seats)), independent of the benefit magnitudes (unlike auction
//!   algorithms), but in practice far less: on the benchmark ~38,500 of the 100,000
//!   households need a Dijkstra run, settling ~90 technologies each, with paths of ~6 moves;
//!   ≈ 5 s single-threaded at 50 M pairs (see `bench/MATCHING.md`).
//!
//! Alternatives considered: plain min-cost flow over the 50 M-edge graph needs one Dijkstra
//! over all pairs per seated household (~10¹² operations); an ε-scaling auction (Bertsekas) is
//! exact only once ε < 1/(n+1) on scaled benefits, needs reverse iterations for the
//! "seats may stay empty / households may stay unassigned" asymmetric case, and its running time
//! depends on price wars between near-equal bidders; the contracted shortest-path method is
//! exact by construction, yields the dual certificate for free, and exploits `m ≪ n`.
//!
//! # Input rules
//!
//! [`Problem::add`] rejects (does not store, returns [`InputError`]): household or technology
//! ids out of range (and the reserved id `u32::MAX`), benefits ≤ 0 (never useful: staying
//! unassigned is worth 0 — callers may ignore this error), benefits > [`MAX_BENEFIT`].
//! Duplicate pairs keep the largest benefit. Technologies with 0 seats are allowed (they take
//! nobody).
//!
//! # Limits
//!
//! Benefits ≤ `i32::MAX`; single-threaded; memory of the blocks grows with `m · min(n, S)`
//! (≈ 120 MB for 500 technologies × 60,000 seats), so instances with, say, 10⁴ technologies
//! and 10⁶ seats would need a sparse block representation.

use std::fmt;

/// Largest accepted benefit of one (household, technology) pair: `i32::MAX` (≈ 2.1 · 10⁹).
///
/// Benefits are stored as 32-bit integers (memory: 8 bytes per eligible pair), and the
/// difference of two benefits always fits an `i32`.
pub const MAX_BENEFIT: i64 = i32::MAX as i64;

/// Sentinel for "no household / no technology" in the solver's `u32` arrays. Because of it the
/// id `u32::MAX` is reserved and rejected by [`Problem::add`].
const NONE: u32 = u32::MAX;
/// Sentinel for "not eligible" in the benefit-difference tables.
const NEG: i32 = i32::MIN;
/// Infinite Dijkstra label.
const INF: i64 = i64::MAX;
/// Internal weights (`scale · benefit + bonus`) are kept below this bound so that every
/// Dijkstra label and price (at most ≈ 4 × the largest weight) fits an `i64` with room to spare.
const WEIGHT_LIMIT: i128 = 1 << 60;

/// Why [`Problem::add`] rejected a pair. A rejected pair is not stored; the problem stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// `household` is not below the household count given to [`Problem::new`] (or is the
    /// reserved id `u32::MAX`).
    HouseholdOutOfRange { household: u32, households: usize },
    /// `technology` is not below the number of technologies (`seats.len()`) (or is the reserved
    /// id `u32::MAX`).
    TechnologyOutOfRange {
        technology: u32,
        technologies: usize,
    },
    /// The benefit is zero or negative. Such a pair can never improve an assignment (staying
    /// unassigned is worth 0), so callers may safely ignore this error.
    NonPositiveBenefit {
        household: u32,
        technology: u32,
        benefit: i64,
    },
    /// The benefit exceeds [`MAX_BENEFIT`].
    BenefitTooLarge {
        household: u32,
        technology: u32,
        benefit: i64,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::HouseholdOutOfRange {
                household,
                households,
            } => {
                write!(
                    f,
                    "household {household} out of range (households: {households})"
                )
            }
            Self::TechnologyOutOfRange {
                technology,
                technologies,
            } => {
                write!(
                    f,
                    "technology {technology} out of range (technologies: {technologies})"
                )
            }
            Self::NonPositiveBenefit {
                household,
                technology,
                benefit,
            } => write!(
                f,
                "benefit {benefit} of household {household} for technology {technology} is not positive"
            ),
            Self::BenefitTooLarge {
                household,
                technology,
                benefit,
            } => write!(
                f,
                "benefit {benefit} of household {household} for technology {technology} exceeds {MAX_BENEFIT}"
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// A matching instance: `households` households, `seats[t]` seats of technology `t`, and the
/// sparse list of eligible (household, technology, benefit) pairs.
///
/// Pairs are stored in compressed-sparse-row form grouped by household (8 bytes per pair).
/// Adding pairs in increasing (household, technology) order appends directly to that form;
/// pairs added out of order are parked and merged by [`Problem::normalize`] (which [`solve`]
/// and [`greedy`] run on a temporary copy if the caller has not — costing a second copy of the
/// pairs in memory, so large callers should add in order or call `normalize` first).
/// Duplicate (household, technology) pairs keep the largest benefit.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    households: usize,
    seats: Vec<u32>,
    /// `starts[h]` = index of household `h`'s first pair, for `h < starts.len()`; households at
    /// or beyond `starts.len()` have no pairs, the row of the last started household runs to
    /// the end of `techs`.
    starts: Vec<usize>,
    techs: Vec<u32>,
    benefits: Vec<u32>,
    /// The last pair appended to the CSR arrays.
    last: Option<(u32, u32)>,
    /// Pairs added out of order, as `[household, technology, benefit]`.
    parked: Vec<[u32; 3]>,
}

impl Problem {
    /// An instance with `households` households (ids `0..households`), technologies
    /// `0..seats.len()` with the given seat limits, and no eligible pairs yet.
    pub fn new(households: usize, seats: Vec<u32>) -> Self {
        Self {
            households,
            seats,
            ..Self::default()
        }
    }

    /// Number of households.
    pub fn households(&self) -> usize {
        self.households
    }

    /// Seat limit per technology.
    pub fn seats(&self) -> &[u32] {
        &self.seats
    }

    /// Number of technologies.
    pub fn technologies(&self) -> usize {
        self.seats.len()
    }

    /// Number of stored pairs (duplicates added out of order count until [`normalize`]d).
    ///
    /// [`normalize`]: Problem::normalize
    pub fn pairs(&self) -> usize {
        self.techs.len() + self.parked.len()
    }

    /// Reserves room for `additional` more in-order pairs.
    pub fn reserve(&mut self, additional: usize) {
        self.techs.reserve(additional);
        self.benefits.reserve(additional);
    }

    /// Declares household `household` eligible for technology `technology` with the given
    /// benefit (`1..=MAX_BENEFIT`). Adding the same pair twice keeps the larger benefit.
    /// Invalid pairs are rejected with an [`InputError`] and not stored.
    pub fn add(&mut self, household: u32, technology: u32, benefit: i64) -> Result<(), InputError> {
        if household == NONE || household as usize >= self.households {
            return Err(InputError::HouseholdOutOfRange {
                household,
                households: self.households,
            });
        }
        if technology == NONE || technology as usize >= self.seats.len() {
            return Err(InputError::TechnologyOutOfRange {
                technology,
                technologies: self.seats.len(),
            });
        }
        if benefit <= 0 {
            return Err(InputError::NonPositiveBenefit {
                household,
                technology,
                benefit,
            });
        }
        let Ok(b) = u32::try_from(benefit) else {
            return Err(InputError::BenefitTooLarge {
                household,
                technology,
                benefit,
            });
        };
        if benefit > MAX_BENEFIT {
            return Err(InputError::BenefitTooLarge {
                household,
                technology,
                benefit,
            });
        }
        self.push(household, technology, b);
        Ok(())
    }

    /// Appends a validated pair: to the CSR arrays when in order, else to the parking area.
    fn push(&mut self, household: u32, technology: u32, benefit: u32) {
        match self.last {
            Some(last) if (household, technology) == last => {
                if let Some(stored) = self.benefits.last_mut() {
                    *stored = (*stored).max(benefit);
                }
            }
            Some(last) if (household, technology) < last => {
                self.parked.push([household, technology, benefit]);
            }
            _ => {
                while self.starts.len() <= household as usize {
                    self.starts.push(self.techs.len());
                }
                self.techs.push(technology);
                self.benefits.push(benefit);
                self.last = Some((household, technology));
            }
        }
    }

    /// Whether all pairs are in canonical form (sorted, duplicates merged).
    pub fn is_normalized(&self) -> bool {
        self.parked.is_empty()
    }

    /// Brings the pairs into canonical form: grouped by household, sorted by technology,
    /// duplicates merged (largest benefit kept). The canonical form depends only on the *set*
    /// of pairs added, never on the order of the `add` calls. Uses 16 bytes per pair of
    /// temporary memory when pairs were added out of order; free otherwise.
    pub fn normalize(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let mut all: Vec<u128> = Vec::with_capacity(self.pairs());
        for h in 0..self.starts.len() {
            let (ts, bs) = self.row(h);
            for (&t, &b) in ts.iter().zip(bs) {
                all.push(pack(h as u32, t, b));
            }
        }
        for &[h, t, b] in &self.parked {
            all.push(pack(h, t, b));
        }
        self.starts = Vec::new();
        self.techs = Vec::new();
        self.benefits = Vec::new();
        self.parked = Vec::new();
        self.last = None;
        all.sort_unstable();
        self.reserve(all.len());
        for key in all {
            // Sorted ascending, so among duplicates the largest benefit comes last and wins.
            self.push((key >> 64) as u32, (key >> 32) as u32, key as u32);
        }
    }

    /// The pairs of household `h` (technologies ascending, benefits) in canonical form; pairs
    /// still parked are not included.
    fn row(&self, h: usize) -> (&[u32], &[u32]) {
        let len = self.techs.len();
        let start = self.starts.get(h).copied().unwrap_or(len);
        let end = self.starts.get(h + 1).copied().unwrap_or(len);
        (&self.techs[start..end], &self.benefits[start..end])
    }

    /// The benefit of pair (h, t), if eligible (canonical form only).
    fn benefit(&self, h: usize, t: u32) -> Option<u32> {
        let (ts, bs) = self.row(h);
        ts.binary_search(&t).ok().map(|i| bs[i])
    }

    /// Largest stored benefit (0 without pairs).
    fn max_benefit(&self) -> u32 {
        self.benefits.iter().copied().max().unwrap_or(0)
    }
}

fn pack(h: u32, t: u32, b: u32) -> u128 {
    (u128::from(h) << 64) | (u128::from(t) << 32) | u128::from(b)
}

/// Dual prices certifying optimality (see the module docs, "Certificate").
///
/// With `weight(h, t) = scale · benefit(h, t) + bonus` and
/// `utility(h) = max(0, max over eligible t of weight(h, t) − prices[t])`:
/// every price is ≥ 0, a technology with a positive price has all its seats taken, every
/// assigned household gets exactly its utility and every unassigned one has utility 0. By LP
/// duality the assignment then maximises the total weight, hence (since `scale` exceeds
/// `bonus` × the number of assignable households) the total benefit. `prices[t] / scale` is
/// the shadow price of a seat of `t` in benefit units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duals {
    pub scale: i64,
    pub bonus: i64,
    pub prices: Vec<i64>,
}

/// An assignment of households to technologies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// Technology of each household, `None` when unassigned.
    pub assignment: Vec<Option<u32>>,
    /// Sum of the benefits of the chosen pairs.
    pub total_benefit: i64,
    /// Number of assigned households.
    pub assigned: usize,
    /// Optimality certificate (`solve` only; `None` from `greedy`).
    pub duals: Option<Duals>,
}

/// Outcome of a successful [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The assignment respects eligibility and seat limits and its total is right.
    Feasible,
    /// Feasible, and the dual certificate proves it optimal.
    Optimal,
}

/// Solves the instance exactly: an assignment of maximum total benefit (see the module docs for
/// the algorithm and the tie-breaking rule). Deterministic.
pub fn solve(problem: &Problem) -> Solution {
    if !problem.is_normalized() {
        let mut canonical = problem.clone();
        canonical.normalize();
        return solve(&canonical);
    }
    let mut solver = Solver::new(problem);
    solver.run();
    solver.into_solution()
}

/// Baseline heuristic: households in order of decreasing best benefit (ties: lower id first),
/// each takes its highest-benefit technology that still has a free seat (ties: lower id).
pub fn greedy(problem: &Problem) -> Solution {
    if !problem.is_normalized() {
        let mut canonical = problem.clone();
        canonical.normalize();
        return greedy(&canonical);
    }
    let mut free = problem.seats.clone();
    let mut assignment = vec![None; problem.households];
    let mut total: i64 = 0;
    let mut assigned = 0;
    for h in household_order(problem) {
        let (ts, bs) = problem.row(h as usize);
        let mut best: Option<(u32, u32)> = None;
        for (&t, &b) in ts.iter().zip(bs) {
            if free[t as usize] > 0 && best.is_none_or(|(_, bb)| b > bb) {
                best = Some((t, b));
            }
        }
        if let Some((t, b)) = best {
            free[t as usize] -= 1;
            assignment[h as usize] = Some(t);
            total = total.saturating_add(i64::from(b));
            assigned += 1;
        }
    }
    Solution {
        assignment,
        total_benefit: total,
        assigned,
        duals: None,
    }
}

/// Checks a solution against its problem: one technology per household at most, only eligible
/// pairs, seat limits, `total_benefit` and `assigned` consistent; with duals present, also the
/// optimality certificate. Returns a description of the first violation found.
pub fn verify(problem: &Problem, solution: &Solution) -> Result<Verdict, String> {
    if !problem.is_normalized() {
        let mut canonical = problem.clone();
        canonical.normalize();
        return verify(&canonical, solution);
    }
    let m = problem.seats.len();
    if solution.assignment.len() != problem.households {
        return Err(format!(
            "assignment has {} entries for {} households",
            solution.assignment.len(),
            problem.households
        ));
    }
    let mut used = vec![0u64; m];
    let mut total: i128 = 0;
    let mut assigned = 0usize;
    for (h, a) in solution.assignment.iter().enumerate() {
        let Some(t) = *a else { continue };
        let Some(b) = problem.benefit(h, t) else {
            return Err(format!(
                "household {h} assigned to ineligible technology {t}"
            ));
        };
        used[t as usize] += 1;
        total += i128::from(b);
        assigned += 1;
    }
    for (t, (&u, &s)) in used.iter().zip(&problem.seats).enumerate() {
        if u > u64::from(s) {
            return Err(format!("technology {t} has {u} households for {s} seats"));
        }
    }
    if total != i128::from(solution.total_benefit) {
        return Err(format!(
            "total_benefit {} but pairs sum to {total}",
            solution.total_benefit
        ));
    }
    if assigned != solution.assigned {
        return Err(format!(
            "assigned {} but {assigned} households are",
            solution.assigned
        ));
    }
    let Some(duals) = &solution.duals else {
        return Ok(Verdict::Feasible);
    };
    if duals.prices.len() != m {
        return Err(format!(
            "{} prices for {m} technologies",
            duals.prices.len()
        ));
    }
    let (scale, bonus) = (i128::from(duals.scale), i128::from(duals.bonus));
    let max_count =
        i128::try_from(problem.households.min(total_seats(problem))).unwrap_or(i128::MAX);
    if scale <= 0 || bonus < 0 || bonus.saturating_mul(max_count) >= scale {
        return Err(format!("invalid scale {scale} / bonus {bonus}"));
    }
    for (t, &p) in duals.prices.iter().enumerate() {
        if p < 0 {
            return Err(format!("negative price {p} of technology {t}"));
        }
        if p > 0 && used[t] < u64::from(problem.seats[t]) {
            return Err(format!("technology {t} has price {p} but free seats"));
        }
    }
    for (h, a) in solution.assignment.iter().enumerate() {
        let (ts, bs) = problem.row(h);
        let mut utility: i128 = 0;
        let mut own: i128 = 0;
        for (&t, &b) in ts.iter().zip(bs) {
            let profit = scale * i128::from(b) + bonus - i128::from(duals.prices[t as usize]);
            utility = utility.max(profit);
            if *a == Some(t) {
                own = profit;
            }
        }
        if own != utility {
            return Err(format!(
                "household {h} ({a:?}) gets profit {own} but could get {utility}: not optimal"
            ));
        }
    }
    Ok(Verdict::Optimal)
}

/// Σ seats, saturating.
fn total_seats(problem: &Problem) -> usize {
    problem
        .seats
        .iter()
        .fold(0usize, |acc, &s| acc.saturating_add(s as usize))
}

/// Households having at least one eligible technology with seats, by decreasing best benefit
/// over those technologies, ties by increasing id.
fn household_order(problem: &Problem) -> Vec<u32> {
    let mut keys: Vec<u64> = Vec::new();
    for h in 0..problem.starts.len() {
        let (ts, bs) = problem.row(h);
        let best = ts
            .iter()
            .zip(bs)
            .filter(|&(&t, _)| problem.seats[t as usize] > 0)
            .map(|(_, &b)| b)
            .max()
            .unwrap_or(0);
        if best > 0 {
            keys.push((u64::from(u32::MAX - best) << 32) | h as u64);
        }
    }
    keys.sort_unstable();
    keys.into_iter().map(|k| k as u32).collect()
}

/// Label of a settled technology (see `Solver::add_household`).
const DONE: i64 = -1;

/// The unsettled technology with the smallest finite label (lowest id on ties), or `NONE`.
/// Settled labels (`DONE`) compare as `u64::MAX`, unreached ones (`INF`) as `i64::MAX`.
fn arg_min(label: &[i64]) -> (u32, i64) {
    let min = label.iter().map(|&l| l as u64).min().unwrap_or(u64::MAX);
    if min >= INF as u64 {
        return (NONE, INF);
    }
    let at = label.iter().position(|&l| l as u64 == min).unwrap_or(0);
    (at as u32, min as i64)
}

/// Relaxes the edges out of the settled full technology `from` (label − price = `base`):
/// moving its best occupant to `t2` costs `price[t2] − price[from] − scale · best[t2]` (reduced).
fn relax(
    block: &Block,
    from: u32,
    base: i64,
    scale: i64,
    price: &[i64],
    label: &mut [i64],
    pred: &mut [u32],
) {
    let edges = block.best.iter().zip(price);
    for ((&g, &pr), (l, p)) in edges.zip(label.iter_mut().zip(pred.iter_mut())) {
        // Wrapping arithmetic: the value is discarded when `g == NEG` (no edge).
        let cand = base
            .wrapping_add(pr)
            .wrapping_sub(scale.wrapping_mul(i64::from(g)));
        let cand = if g == NEG { INF } else { cand };
        let better = cand < *l;
        *l = if better { cand } else { *l };
        *p = if better { from } else { *p };
    }
}

/// Per full technology: the occupants' benefit differences, for the compressed graph's edges.
struct Block {
    /// Seat limit (= number of occupants whenever the block is not being updated).
    cap: usize,
    /// Column-major `diff[t2 * cap + slot] = benefit(occupant, t2) − benefit(occupant, t)`,
    /// `NEG` when the occupant is not eligible for `t2` (or `t2` has no seats, or `t2 == t`).
    diff: Vec<i32>,
    /// `best[t2]` = max over occupants of `diff[t2][·]` (`NEG` if none): the cheapest move to t2.
    best: Vec<i32>,
    /// The occupant attaining `best[t2]` (`NONE` if none); first slot on ties.
    arg: Vec<u32>,
    /// Smallest own benefit among the occupants (`u32::MAX` if none): the cheapest eviction.
    evict_benefit: u32,
    /// The occupant attaining `evict_benefit`; first slot on ties.
    evict_arg: u32,
}

/// How the shortest path reaches the sink.
#[derive(Clone, Copy)]
enum Via {
    /// The new household stays unassigned.
    Stay,
    /// Through a technology with a free seat.
    Free(u32),
    /// Through a full technology whose cheapest occupant becomes unassigned.
    Evict(u32),
}

struct Solver<'a> {
    problem: &'a Problem,
    m: usize,
    scale: i64,
    bonus: i64,
    /// Dual price per technology (in weight units).
    price: Vec<i64>,
    /// Technology per household (`NONE`: unassigned).
    tech_of: Vec<u32>,
    /// Position of each assigned household in its technology's occupant list.
    slot_of: Vec<u32>,
    /// Per technology: (household, own benefit) of the occupants.
    occupants: Vec<Vec<(u32, u32)>>,
    /// Per technology: its block, built when it becomes full (it then stays full).
    blocks: Vec<Option<Block>>,
    // Dijkstra scratch space.
    label: Vec<i64>,
    pred: Vec<u32>,
    settled: Vec<(u32, i64)>,
    path: Vec<u32>,
    movers: Vec<u32>,
}

impl<'a> Solver<'a> {
    fn new(problem: &'a Problem) -> Self {
        let m = problem.seats.len();
        let n = problem.households;
        // scale = (max assignable households) + 1 and bonus = 1 make "more households
        // served" the secondary objective; dropped if the weights would get too large.
        let count = n.min(total_seats(problem)) as u128;
        let max_b = u128::from(problem.max_benefit());
        let (scale, bonus) = match i64::try_from(count + 1) {
            Ok(s) if ((count + 1) * max_b + 1) < WEIGHT_LIMIT as u128 => (s, 1),
            _ => (1, 0),
        };
        Self {
            problem,
            m,
            scale,
            bonus,
            price: vec![0; m],
            tech_of: vec![NONE; n.min(problem.starts.len())],
            slot_of: vec![NONE; n.min(problem.starts.len())],
            occupants: vec![Vec::new(); m],
            blocks: (0..m).map(|_| None).collect(),
            label: vec![INF; m],
            pred: vec![NONE; m],
            settled: Vec::new(),
            path: Vec::new(),
            movers: Vec::new(),
        }
    }

    fn weight(&self, benefit: u32) -> i64 {
        self.scale * i64::from(benefit) + self.bonus
    }

    fn run(&mut self) {
        for h in household_order(self.problem) {
            self.add_household(h);
        }
    }

    /// One successive-shortest-path step: routes household `h`'s unit of flow to the sink
    /// along a shortest path of the compressed residual graph, then updates the prices.
    fn add_household(&mut self, h: u32) {
        let p = self.problem;
        let (ts, bs) = p.row(h as usize);
        let mut utility = 0i64;
        let mut best_t = NONE;
        for (&t, &b) in ts.iter().zip(bs) {
            if p.seats[t as usize] == 0 {
                continue;
            }
            let profit = self.weight(b) - self.price[t as usize];
            if profit > utility {
                utility = profit;
                best_t = t;
            }
        }
        if best_t == NONE {
            return; // no positive profit anywhere: staying unassigned is a shortest path
        }
        if self.occupants[best_t as usize].len() < p.seats[best_t as usize] as usize {
            self.insert(h, best_t); // distance 0 to the sink: nothing can be shorter
            return;
        }

        // Dijkstra over technologies with reduced costs: labels are ≥ 0; a settled technology's
        // label moves to `settled` and is replaced by `DONE` (never improved, since reduced costs
        // are ≥ 0, and never selected again, since `DONE as u64` is the largest key).
        self.label.fill(INF);
        self.settled.clear();
        for (&t, &b) in ts.iter().zip(bs) {
            if p.seats[t as usize] == 0 {
                continue;
            }
            self.label[t as usize] = utility - (self.weight(b) - self.price[t as usize]);
            self.pred[t as usize] = NONE;
        }
        let (mut sel, mut sel_label) = arg_min(&self.label);
        let mut dist = utility; // the "stay unassigned" edge
        let mut via = Via::Stay;
        while sel != NONE && sel_label < dist {
            let s = sel as usize;
            self.label[s] = DONE;
            self.settled.push((sel, sel_label));
            if self.occupants[s].len() < p.seats[s] as usize {
                debug_assert_eq!(self.price[s], 0, "a technology with free seats has price 0");
                dist = sel_label;
                via = Via::Free(sel);
                break;
            }
            if let Some(block) = &self.blocks[s] {
                if block.evict_arg != NONE {
                    let cost = sel_label + self.scale * i64::from(block.evict_benefit) + self.bonus
                        - self.price[s];
                    debug_assert!(cost >= sel_label, "negative reduced eviction cost");
                    if cost < dist {
                        dist = cost;
                        via = Via::Evict(sel);
                    }
                }
                relax(
                    block,
                    sel,
                    sel_label - self.price[s],
                    self.scale,
                    &self.price,
                    &mut self.label,
                    &mut self.pred,
                );
            } else {
                debug_assert!(false, "full technology {s} without block");
            }
            (sel, sel_label) = arg_min(&self.label);
        }
        for &(t, label) in &self.settled {
            self.price[t as usize] += dist - label;
        }
        let (end, evict) = match via {
            Via::Stay => return,
            Via::Free(t) => (t, false),
            Via::Evict(t) => (t, true),
        };
        self.augment(h, end, evict);
    }

    /// Applies the path ending at `end` found by the last Dijkstra run.
    fn augment(&mut self, h: u32, end: u32, evict: bool) {
        self.path.clear();
        let mut t = end;
        loop {
            self.path.push(t);
            let before = self.pred[t as usize];
            if before == NONE {
                break;
            }
            t = before;
        }
        self.path.reverse();
        self.movers.clear();
        for w in self.path.windows(2) {
            let mover = self.blocks[w[0] as usize]
                .as_ref()
                .map_or(NONE, |b| b.arg[w[1] as usize]);
            self.movers.push(mover);
        }
        let victim = if evict {
            self.blocks[end as usize]
                .as_ref()
                .map_or(NONE, |b| b.evict_arg)
        } else {
            NONE
        };
        // Identify everyone first, then remove the leavers, then insert the joiners.
        if victim != NONE {
            self.remove(victim);
        }
        for i in 0..self.movers.len() {
            self.remove(self.movers[i]);
        }
        self.insert(h, self.path[0]);
        for i in 0..self.movers.len() {
            self.insert(self.movers[i], self.path[i + 1]);
        }
    }

    /// Takes household `y` out of its technology (which is full, hence has a block).
    fn remove(&mut self, y: u32) {
        let p = self.problem;
        let yu = y as usize;
        let t = self.tech_of[yu] as usize;
        let s = self.slot_of[yu] as usize;
        let occ = &mut self.occupants[t];
        let last = occ.len() - 1;
        occ.swap_remove(s);
        if s != last {
            self.slot_of[occ[s].0 as usize] = s as u32;
        }
        self.tech_of[yu] = NONE;
        self.slot_of[yu] = NONE;
        let Some(block) = &mut self.blocks[t] else {
            debug_assert!(false, "removal from technology {t} without block");
            return;
        };
        let cap = block.cap;
        if s != last {
            for column in block.diff.chunks_exact_mut(cap) {
                column[s] = column[last];
            }
        }
        let (ts, _) = p.row(yu);
        for &t2 in ts {
            let t2 = t2 as usize;
            if block.arg[t2] == y {
                let column = &block.diff[t2 * cap..t2 * cap + last];
                let (mut best, mut arg) = (NEG, NONE);
                for (&v, &(who, _)) in column.iter().zip(occ.iter()) {
                    if v > best {
                        best = v;
                        arg = who;
                    }
                }
                block.best[t2] = best;
                block.arg[t2] = arg;
            }
        }
        if block.evict_arg == y {
            let (mut low, mut arg) = (u32::MAX, NONE);
            for &(who, b) in occ.iter() {
                if b < low {
                    low = b;
                    arg = who;
                }
            }
            block.evict_benefit = low;
            block.evict_arg = arg;
        }
    }

    /// Seats household `y` at technology `t` (which has a free seat).
    fn insert(&mut self, y: u32, t: u32) {
        let p = self.problem;
        let yu = y as usize;
        let tu = t as usize;
        let Some(own) = p.benefit(yu, t) else {
            debug_assert!(false, "household {y} is not eligible for technology {t}");
            return;
        };
        let occ = &mut self.occupants[tu];
        let s = occ.len();
        occ.push((y, own));
        self.tech_of[yu] = t;
        self.slot_of[yu] = s as u32;
        let (ts, bs) = p.row(yu);
        if let Some(block) = &mut self.blocks[tu] {
            let cap = block.cap;
            debug_assert!(s < cap, "technology {t} over capacity");
            for column in block.diff.chunks_exact_mut(cap) {
                column[s] = NEG;
            }
            for (&t2, &b2) in ts.iter().zip(bs) {
                let t2 = t2 as usize;
                if t2 == tu || p.seats[t2] == 0 {
                    continue;
                }
                let v = b2 as i32 - own as i32;
                block.diff[t2 * cap + s] = v;
                if v > block.best[t2] {
                    block.best[t2] = v;
                    block.arg[t2] = y;
                }
            }
            if own < block.evict_benefit {
                block.evict_benefit = own;
                block.evict_arg = y;
            }
        } else if occ.len() == p.seats[tu] as usize {
            self.blocks[tu] = Some(self.build_block(tu));
        }
    }

    /// The block of technology `t`, which has just become full.
    fn build_block(&self, t: usize) -> Block {
        let p = self.problem;
        let occ = &self.occupants[t];
        let cap = occ.len();
        let mut block = Block {
            cap,
            diff: vec![NEG; self.m * cap],
            best: vec![NEG; self.m],
            arg: vec![NONE; self.m],
            evict_benefit: u32::MAX,
            evict_arg: NONE,
        };
        for (s, &(y, own)) in occ.iter().enumerate() {
            let (ts, bs) = p.row(y as usize);
            for (&t2, &b2) in ts.iter().zip(bs) {
                let t2 = t2 as usize;
                if t2 == t || p.seats[t2] == 0 {
                    continue;
                }
                let v = b2 as i32 - own as i32;
                block.diff[t2 * cap + s] = v;
                if v > block.best[t2] {
                    block.best[t2] = v;
                    block.arg[t2] = y;
                }
            }
            if own < block.evict_benefit {
                block.evict_benefit = own;
                block.evict_arg = y;
            }
        }
        block
    }

    fn into_solution(self) -> Solution {
        let p = self.problem;
        let mut assignment = vec![None; p.households];
        let mut total: i64 = 0;
        let mut assigned = 0;
        for (t, occ) in self.occupants.iter().enumerate() {
            for &(y, b) in occ {
                assignment[y as usize] = Some(t as u32);
                total = total.saturating_add(i64::from(b));
                assigned += 1;
            }
        }
        // Technologies without seats never enter the graph; any price ≥ every weight makes
        // them unattractive in the certificate (and costs nothing: price × 0 seats).
        let top = self.weight(p.max_benefit());
        let prices = self
            .price
            .iter()
            .zip(&p.seats)
            .map(|(&pr, &s)| if s == 0 { top } else { pr })
            .collect();
        Solution {
            assignment,
            total_benefit: total,
            assigned,
            duals: Some(Duals {
                scale: self.scale,
                bonus: self.bonus,
                prices,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiny deterministic xorshift64* generator.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// All (h, t, b) pairs of a problem, canonical order.
    fn pairs_of(p: &Problem) -> Vec<(u32, u32, i64)> {
        let mut q = p.clone();
        q.normalize();
        let mut out = Vec::new();
        for h in 0..q.households {
            let (ts, bs) = q.row(h);
            for (&t, &b) in ts.iter().zip(bs) {
                out.push((h as u32, t, i64::from(b)));
            }
        }
        out
    }

    /// Exhaustive optimum: (best total, most households among best totals).
    fn brute_force(p: &Problem) -> (i64, usize) {
        fn go(
            p: &Problem,
            h: usize,
            free: &mut [u32],
            total: i64,
            count: usize,
            best: &mut (i64, usize),
        ) {
            if h == p.households {
                if total > best.0 || (total == best.0 && count > best.1) {
                    *best = (total, count);
                }
                return;
            }
            go(p, h + 1, free, total, count, best);
            let (ts, bs) = p.row(h);
            for (&t, &b) in ts.iter().zip(bs) {
                if free[t as usize] > 0 {
                    free[t as usize] -= 1;
                    go(p, h + 1, free, total + i64::from(b), count + 1, best);
                    free[t as usize] += 1;
                }
            }
        }
        let mut q = p.clone();
        q.normalize();
        let mut free = q.seats.clone();
        let mut best = (0, 0);
        go(&q, 0, &mut free, 0, 0, &mut best);
        best
    }

    fn random_problem(
        rng: &mut Rng,
        n: usize,
        m: usize,
        max_seats: u64,
        density: u64,
        max_b: u64,
    ) -> Problem {
        let seats = (0..m).map(|_| rng.below(max_seats + 1) as u32).collect();
        let mut p = Problem::new(n, seats);
        for h in 0..n as u32 {
            for t in 0..m as u32 {
                if rng.below(100) < density {
                    p.add(h, t, 1 + rng.below(max_b) as i64)
                        .expect("valid pair");
                }
            }
        }
        p
    }

    fn problem(n: usize, seats: &[u32], pairs: &[(u32, u32, i64)]) -> Problem {
        let mut p = Problem::new(n, seats.to_vec());
        for &(h, t, b) in pairs {
            p.add(h, t, b).expect("valid pair");
        }
        p
    }

    /// Feasibility and certificate of `solve`, plus its agreement with greedy's feasibility.
    fn check(p: &Problem) -> Solution {
        let s = solve(p);
        assert_eq!(verify(p, &s), Ok(Verdict::Optimal), "{s:?}");
        let g = greedy(p);
        assert_eq!(verify(p, &g), Ok(Verdict::Feasible));
        assert!(g.total_benefit <= s.total_benefit);
        s
    }

    #[test]
    fn matching_equals_brute_force_on_random_small_instances() {
        let mut rng = Rng::new(42);
        let mut greedy_worse = 0;
        for case in 0..600 {
            let n = 1 + rng.below(7) as usize;
            let m = 1 + rng.below(3) as usize;
            let max_b = if case % 2 == 0 { 5 } else { 1000 }; // small range: many ties
            let density = 30 + rng.below(71);
            let p = random_problem(&mut rng, n, m, 3, density, max_b);
            let s = check(&p);
            let (best, count) = brute_force(&p);
            assert_eq!(s.total_benefit, best, "case {case}: {:?}", pairs_of(&p));
            assert_eq!(
                s.assigned, count,
                "case {case}: most households among optima"
            );
            greedy_worse += usize::from(greedy(&p).total_benefit < best);
        }
        assert!(
            greedy_worse >= 30,
            "only {greedy_worse} instances where greedy is suboptimal"
        );
    }

    #[test]
    fn matching_certificate_on_random_medium_instances() {
        let mut rng = Rng::new(7);
        for case in 0..40 {
            let n = 50 + rng.below(400) as usize;
            let m = 1 + rng.below(25) as usize;
            let max_b = [3, 100, 1_000_000][case % 3];
            let density = 5 + rng.below(60);
            let p = random_problem(&mut rng, n, m, 20, density, max_b);
            check(&p);
        }
    }

    #[test]
    fn matching_beats_greedy_when_the_best_choice_blocks_another() {
        // A's best is T0, but B can only use T0 and T0 has one seat.
        let p = problem(2, &[1, 1], &[(0, 0, 10), (0, 1, 9), (1, 0, 8)]);
        let g = greedy(&p);
        assert_eq!(g.assignment, vec![Some(0), None]);
        assert_eq!(g.total_benefit, 10);
        let s = check(&p);
        assert_eq!(s.assignment, vec![Some(1), Some(0)]);
        assert_eq!(s.total_benefit, 17);

        // A chain: C (best 9) can only use T0, which A (best 10) takes first; the optimum moves
        // A to T1 and B on to T2.
        let p = problem(
            3,
            &[1, 1, 1],
            &[(0, 0, 10), (0, 1, 9), (1, 1, 8), (1, 2, 7), (2, 0, 9)],
        );
        let g = greedy(&p);
        assert_eq!(
            (g.assignment, g.total_benefit),
            (vec![Some(0), Some(1), None], 18)
        );
        let s = check(&p);
        assert_eq!(s.assignment, vec![Some(1), Some(2), Some(0)]);
        assert_eq!(s.total_benefit, 25);
        assert_eq!(s.total_benefit, brute_force(&p).0);

        // Evicting a weaker household is better than a detour.
        let p = problem(3, &[2], &[(0, 0, 5), (1, 0, 7), (2, 0, 6)]);
        let s = check(&p);
        assert_eq!(s.assignment, vec![None, Some(0), Some(0)]);
        assert_eq!(s.total_benefit, 13);
    }

    #[test]
    fn matching_prefers_more_households_among_equal_optima() {
        // {1→T0} and {0→T0, 1→T1} are both worth 3; the second serves two households.
        let p = problem(2, &[1, 1], &[(0, 0, 2), (1, 0, 3), (1, 1, 1)]);
        let s = check(&p);
        assert_eq!(s.total_benefit, 3);
        assert_eq!(s.assignment, vec![Some(0), Some(1)]);
    }

    #[test]
    fn matching_respects_seats_and_one_technology_per_household() {
        let mut rng = Rng::new(99);
        let p = random_problem(&mut rng, 300, 8, 10, 80, 50);
        let s = check(&p);
        let mut used = [0u32; 8];
        for t in s.assignment.iter().flatten() {
            used[*t as usize] += 1;
        }
        for (u, seats) in used.iter().zip(p.seats()) {
            assert!(u <= seats);
        }
        // Households compete for at most 80 seats: some stay unassigned.
        assert_eq!(s.assigned, used.iter().sum::<u32>() as usize);
        assert!(s.assigned <= p.seats().iter().sum::<u32>() as usize);
    }

    #[test]
    fn matching_zero_seats_and_households_without_pairs() {
        let p = problem(4, &[0, 2], &[(0, 0, 50), (1, 0, 40), (1, 1, 1), (3, 1, 2)]);
        let s = check(&p);
        assert_eq!(s.assignment, vec![None, Some(1), None, Some(1)]);
        assert_eq!(s.total_benefit, 3);

        let p = problem(3, &[0, 0], &[(0, 0, 5), (2, 1, 5)]);
        let s = check(&p);
        assert_eq!(s.assignment, vec![None; 3]);
        assert_eq!(s.total_benefit, 0);

        let p = Problem::new(0, vec![]);
        let s = check(&p);
        assert!(s.assignment.is_empty());
        let p = Problem::new(5, vec![]);
        assert_eq!(check(&p).assignment, vec![None; 5]);
    }

    #[test]
    fn matching_rejects_invalid_input() {
        let mut p = Problem::new(2, vec![1, 1]);
        assert_eq!(
            p.add(2, 0, 1),
            Err(InputError::HouseholdOutOfRange {
                household: 2,
                households: 2
            })
        );
        assert_eq!(
            p.add(0, 2, 1),
            Err(InputError::TechnologyOutOfRange {
                technology: 2,
                technologies: 2
            })
        );
        assert!(matches!(
            p.add(0, 0, 0),
            Err(InputError::NonPositiveBenefit { .. })
        ));
        assert!(matches!(
            p.add(0, 0, -5),
            Err(InputError::NonPositiveBenefit { .. })
        ));
        assert!(matches!(
            p.add(0, 0, MAX_BENEFIT + 1),
            Err(InputError::BenefitTooLarge { .. })
        ));
        assert!(matches!(
            p.add(0, 0, i64::MAX),
            Err(InputError::BenefitTooLarge { .. })
        ));
        let mut big = Problem::new(usize::MAX, vec![1]);
        assert!(matches!(
            big.add(u32::MAX, 0, 1),
            Err(InputError::HouseholdOutOfRange { .. })
        ));
        assert_eq!(p.pairs(), 0);
        assert!(
            !InputError::HouseholdOutOfRange {
                household: 2,
                households: 2
            }
            .to_string()
            .is_empty()
        );
        // Nothing was stored: the problem still solves to the empty assignment.
        assert_eq!(solve(&p).assignment, vec![None, None]);
    }

    #[test]
    fn matching_duplicates_keep_the_largest_benefit() {
        let mut p = Problem::new(2, vec![1]);
        for (h, t, b) in [(0, 0, 3), (0, 0, 9), (0, 0, 4), (1, 0, 8), (0, 0, 2)] {
            p.add(h, t, b).expect("valid");
        }
        assert_eq!(pairs_of(&p), vec![(0, 0, 9), (1, 0, 8)]);
        let s = check(&p);
        assert_eq!(
            (s.assignment.clone(), s.total_benefit),
            (vec![Some(0), None], 9)
        );
    }

    #[test]
    fn matching_large_benefits_are_exact() {
        let b = MAX_BENEFIT;
        let p = problem(
            3,
            &[1, 1],
            &[(0, 0, b), (0, 1, b - 1), (1, 0, b), (2, 1, b)],
        );
        let s = check(&p);
        assert_eq!(s.total_benefit, 2 * b);
        assert_eq!(s.total_benefit, brute_force(&p).0);
    }

    #[test]
    fn matching_is_deterministic_and_independent_of_input_order() {
        let mut rng = Rng::new(2024);
        for _ in 0..20 {
            let p = random_problem(&mut rng, 120, 6, 12, 60, 4); // benefits 1..=4: many ties
            let first = solve(&p);
            assert_eq!(solve(&p), first);
            let mut pairs = pairs_of(&p);
            for i in (1..pairs.len()).rev() {
                pairs.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut shuffled = Problem::new(p.households(), p.seats().to_vec());
            for &(h, t, b) in &pairs {
                shuffled.add(h, t, b).expect("valid");
                if rng.below(4) == 0 {
                    shuffled.add(h, t, 1).expect("valid"); // a smaller duplicate changes nothing
                }
            }
            assert!(!shuffled.is_normalized());
            assert_eq!(solve(&shuffled), first);
            assert_eq!(greedy(&shuffled), greedy(&p));
            shuffled.normalize();
            assert!(shuffled.is_normalized());
            assert_eq!(solve(&shuffled), first);
        }
    }

    #[test]
    fn matching_verify_detects_violations() {
        let p = problem(3, &[1, 1], &[(0, 0, 10), (0, 1, 9), (1, 0, 8), (2, 1, 1)]);
        let s = solve(&p);
        assert_eq!(verify(&p, &s), Ok(Verdict::Optimal));
        let mut bad = s.clone();
        bad.assignment[2] = Some(0);
        bad.total_benefit += 1; // ineligible pair
        assert!(verify(&p, &bad).is_err());
        let mut bad = s.clone();
        bad.assignment = vec![Some(0), Some(0), None];
        bad.total_benefit = 18; // two households on one seat
        assert!(verify(&p, &bad).is_err());
        let mut bad = s.clone();
        bad.total_benefit += 1;
        assert!(verify(&p, &bad).is_err());
        // A feasible but suboptimal assignment with the optimum's prices fails the certificate.
        let mut bad = s.clone();
        bad.assignment = vec![Some(0), None, Some(1)];
        bad.total_benefit = 11;
        bad.assigned = 2;
        assert!(verify(&p, &bad).is_err());
        let g = greedy(&p);
        assert_eq!(verify(&p, &g), Ok(Verdict::Feasible));
    }
}
