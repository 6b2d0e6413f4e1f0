//! Benchmark of the exact household ↔ technology matching solver against the greedy baseline.
//!
//! Run: `cargo bench -p api --bench matching` (eligibility 200), or with another number of
//! eligible technologies per household: `cargo bench -p api --bench matching -- 500`.
//! Environment overrides: `MATCHING_HOUSEHOLDS` (100000), `MATCHING_TECHNOLOGIES` (500),
//! `MATCHING_ELIGIBILITY` (200), `MATCHING_SEED` (1).
//!
//! The instance is synthetic and deterministic (seeded xorshift): seats 20–200 per technology;
//! benefit = household poverty weight (1–1000, skewed towards low values) × technology fit
//! (1–1000: technology quality × match of household needs with the technology's profile, a
//! bonus when the technology serves the household's zone) + noise, clamped to 1..=1_000_000.
use std::time::Instant;

use api::matching::solver::{Problem, Solution, greedy, solve, verify};

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
        ((self.next() >> 32) * n) >> 32
    }
}

const ZONES: u64 = 20;

struct Technology {
    profile: [u64; 3],
    quality: u64,
    zone: u64,
}

fn build(households: usize, technologies: usize, eligibility: usize, seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let seats = (0..technologies)
        .map(|_| 20 + rng.below(181) as u32)
        .collect();
    let techs: Vec<Technology> = (0..technologies)
        .map(|_| Technology {
            profile: [rng.below(101), rng.below(101), rng.below(101)],
            quality: 50 + rng.below(101),
            zone: rng.below(ZONES),
        })
        .collect();
    let eligibility = eligibility.min(technologies);
    let mut problem = Problem::new(households, seats);
    problem.reserve(households * eligibility);
    // Largest raw fit: quality 150 × (3 · 100 · 100 + 2000), × 3/2 for the zone bonus.
    let max_fit = 150 * 32_000 * 3 / 2;
    for h in 0..households as u32 {
        let x = rng.below(1000);
        let poverty = 1 + x * x / 1000; // 1..=999, most households moderately poor
        let needs = [rng.below(101), rng.below(101), rng.below(101)];
        let zone = rng.below(ZONES);
        // Selection sampling: exactly `eligibility` technologies, in increasing order.
        let mut wanted = eligibility as u64;
        for (t, tech) in techs.iter().enumerate() {
            let remaining = (technologies - t) as u64;
            if rng.below(remaining) >= wanted {
                continue;
            }
            wanted -= 1;
            let dot: u64 = needs.iter().zip(&tech.profile).map(|(a, b)| a * b).sum();
            let mut raw = tech.quality * (dot + 2000);
            if tech.zone == zone {
                raw = raw * 3 / 2;
            }
            let fit = 1 + raw * 999 / max_fit;
            let benefit = (poverty * fit + rng.below(1000)).clamp(1, 1_000_000);
            if let Err(e) = problem.add(h, t as u32, benefit as i64) {
                panic!("generator produced an invalid pair: {e}");
            }
        }
    }
    problem
}

/// Peak resident set size (VmHWM) in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let positional = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok());
    let households = env_or("MATCHING_HOUSEHOLDS", 100_000);
    let technologies = env_or("MATCHING_TECHNOLOGIES", 500);
    let eligibility = positional.unwrap_or_else(|| env_or("MATCHING_ELIGIBILITY", 200));
    let seed = env_or("MATCHING_SEED", 1) as u64;

    let start = Instant::now();
    let problem = build(households, technologies, eligibility, seed);
    let build_time = start.elapsed();
    let rss_build = peak_rss_mib();
    let seats: u64 = problem.seats().iter().map(|&s| u64::from(s)).sum();
    println!(
        "instance: {households} households, {technologies} technologies, {} eligible pairs \
         ({eligibility} per household), {seats} seats, seed {seed}",
        problem.pairs()
    );
    println!(
        "build:   {:>8.2} s, peak RSS {rss_build:.0} MiB",
        build_time.as_secs_f64()
    );

    let start = Instant::now();
    let optimum = solve(&problem);
    let solve_time = start.elapsed();
    let rss_solve = peak_rss_mib();
    println!(
        "solve:   {:>8.2} s, peak RSS {rss_solve:.0} MiB (+{:.0} MiB over the instance)",
        solve_time.as_secs_f64(),
        rss_solve - rss_build
    );

    let start = Instant::now();
    let baseline = greedy(&problem);
    let greedy_time = start.elapsed();
    println!("greedy:  {:>8.2} s", greedy_time.as_secs_f64());

    let start = Instant::now();
    let verdicts = (verify(&problem, &optimum), verify(&problem, &baseline));
    println!(
        "verify:  {:>8.2} s: solve {:?}, greedy {:?}",
        start.elapsed().as_secs_f64(),
        verdicts.0,
        verdicts.1
    );

    report("optimum", &optimum, &optimum);
    report("greedy", &baseline, &optimum);
    println!("peak RSS (VmHWM, whole run): {:.0} MiB", peak_rss_mib());
}

fn report(name: &str, s: &Solution, optimum: &Solution) {
    let gap = if optimum.total_benefit > 0 {
        100.0 * (optimum.total_benefit - s.total_benefit) as f64 / optimum.total_benefit as f64
    } else {
        0.0
    };
    println!(
        "{name:>8}: total benefit {:>14}, households assigned {:>6}, gap to optimum {gap:.3} %",
        s.total_benefit, s.assigned
    );
}
