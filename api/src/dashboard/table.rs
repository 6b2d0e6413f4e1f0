//! The dashboard table: one row per area (the area itself first, then its children by code),
//! one column per cell, built from `area_rollup` rows; and the suppression of a chain of such
//! tables from the country down to the requested area.
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use entity::enums::{
    HouseholdStatus, IncomeLevel, InterventionKind, LadderLevel, MatchStatus, ReferralStatus,
};
use sea_orm::{ActiveEnum, Iterable};
use uuid::Uuid;

use super::suppress::{Mode, suppress, table_groups};

/// `area_rollup.metric` values (the rollups' vocabulary).
pub use crate::rollup::metric;
/// The ladder breakdowns: overall and each capital, as the rollups name them.
pub use crate::rollup::metric::LADDERS;

/// One `area_rollup` row as read.
pub type RollupRow = entity::area_rollup::Model;

/// What a request counts: intervention, graduation and relapse months from `from_month` to
/// `to_month` (inclusive, `YYYY-MM`), referrals overdue when due before `today`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
}

impl Period {
    fn first_month(&self) -> String {
        self.from.format("%Y-%m").to_string()
    }
    fn last_month(&self) -> String {
        self.to.format("%Y-%m").to_string()
    }
}

fn db<T: ActiveEnum<Value = String>>(v: T) -> String {
    v.to_value()
}

/// The columns of a table: names (`households.ENROLLED`, `technology.<uuid>.adopted`, …) and
/// the row groups (columns that add up: a total and its parts).
#[derive(Debug, Clone)]
pub struct Layout {
    pub columns: Vec<String>,
    index: BTreeMap<String, usize>,
    pub row_groups: Vec<Vec<usize>>,
    pub technologies: Vec<Uuid>,
}

impl Layout {
    pub fn new(technologies: Vec<Uuid>) -> Self {
        let mut columns = Vec::new();
        let mut groups: Vec<Vec<String>> = Vec::new();
        let push_group =
            |columns: &mut Vec<String>, total: &str, parts: Vec<String>, new_total: bool| {
                if new_total {
                    columns.push(total.to_string());
                }
                columns.extend(parts.iter().cloned());
                let mut g = vec![total.to_string()];
                g.extend(parts);
                g
            };
        let statuses: Vec<String> = HouseholdStatus::iter()
            .map(|s| format!("households.{}", db(s)))
            .collect();
        groups.push(push_group(&mut columns, "households.total", statuses, true));
        columns.push("ladder.assessed".into());
        for ladder in LADDERS {
            let parts = LadderLevel::iter()
                .map(|l| format!("ladder.{ladder}.{}", db(l)))
                .collect();
            groups.push(push_group(&mut columns, "ladder.assessed", parts, false));
        }
        let incomes = IncomeLevel::iter()
            .map(|l| format!("income.{}", db(l)))
            .collect();
        groups.push(push_group(&mut columns, "ladder.assessed", incomes, false));
        let matches = MatchStatus::iter()
            .map(|s| format!("matches.{}", db(s)))
            .collect();
        groups.push(push_group(&mut columns, "matches.total", matches, true));
        let mut by_tech = vec!["matches.total".to_string()];
        let mut adopted = vec![
            format!("matches.{}", db(MatchStatus::Adopted)),
            format!("matches.{}", db(MatchStatus::Sustained)),
        ];
        for t in &technologies {
            columns.push(format!("technology.{t}.matches"));
            columns.push(format!("technology.{t}.adopted"));
            by_tech.push(format!("technology.{t}.matches"));
            adopted.push(format!("technology.{t}.adopted"));
        }
        groups.push(by_tech);
        // ADOPTED + SUSTAINED = the technologies' adopted: no single total, so the first cell
        // stands in for one (the small-sum check then errs towards hiding more).
        groups.push(adopted);
        let referrals = ReferralStatus::iter()
            .map(|s| format!("referrals.{}", db(s)))
            .collect();
        groups.push(push_group(&mut columns, "referrals.total", referrals, true));
        columns.push("referrals.overdue".into());
        let kinds = InterventionKind::iter()
            .map(|k| format!("interventions.{}", db(k)))
            .collect();
        groups.push(push_group(&mut columns, "interventions.total", kinds, true));
        columns.push("graduations".into());
        columns.push("relapses".into());
        columns.push("relapseRisks".into());
        let index: BTreeMap<String, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        let row_groups = groups
            .into_iter()
            .map(|g| g.iter().map(|c| index[c]).collect())
            .collect();
        Layout {
            columns,
            index,
            row_groups,
            technologies,
        }
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Intervention kinds in column order, then the total (`None`).
    pub fn delivery_keys() -> Vec<Option<InterventionKind>> {
        InterventionKind::iter().map(Some).chain([None]).collect()
    }
}

/// Quantity and cost (satang) delivered, per intervention kind and in total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amounts {
    pub quantity: f64,
    pub satang: i64,
}

/// The cells of one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaCells {
    pub code: String,
    pub values: Vec<i64>,
    /// Per `Layout::delivery_keys()`.
    pub amounts: Vec<Amounts>,
}

impl AreaCells {
    fn zero(code: &str, layout: &Layout) -> Self {
        AreaCells {
            code: code.to_string(),
            values: vec![0; layout.columns.len()],
            amounts: vec![Amounts::default(); Layout::delivery_keys().len()],
        }
    }

    fn add(&mut self, layout: &Layout, period: &Period, row: &RollupRow) {
        // Counts the row in `part`; in `total` too, but only when `part` is a known part.
        let mut count = |part: &str, total: Option<&str>| {
            let Some(c) = layout.col(part) else {
                return false;
            };
            self.values[c] += row.n;
            if let Some(t) = total.and_then(|t| layout.col(t)) {
                self.values[t] += row.n;
            }
            true
        };
        let in_period = |month: &str| {
            month >= period.first_month().as_str() && month <= period.last_month().as_str()
        };
        match row.metric.as_str() {
            metric::HOUSEHOLDS => {
                count(
                    &format!("households.{}", row.bucket),
                    Some("households.total"),
                );
            }
            metric::LADDER => {
                count(
                    &format!("ladder.{}", row.bucket),
                    row.bucket
                        .starts_with("OVERALL.")
                        .then_some("ladder.assessed"),
                );
            }
            metric::INCOME => {
                count(&format!("income.{}", row.bucket), None);
            }
            metric::MATCHES => {
                count(&format!("matches.{}", row.bucket), Some("matches.total"));
            }
            metric::MATCH_TECHNOLOGY => {
                count(&format!("technology.{}.matches", row.bucket), None);
            }
            metric::MATCH_TECHNOLOGY_ADOPTED => {
                count(&format!("technology.{}.adopted", row.bucket), None);
            }
            metric::REFERRALS => {
                count(
                    &format!("referrals.{}", row.bucket),
                    Some("referrals.total"),
                );
            }
            metric::REFERRALS_OPEN_DUE => {
                let due = NaiveDate::parse_from_str(&row.bucket, "%Y-%m-%d").ok();
                if due.is_some_and(|d| d < period.today) {
                    count("referrals.overdue", None);
                }
            }
            metric::INTERVENTIONS => {
                let Some((kind, month)) = row.bucket.split_once('.') else {
                    return;
                };
                if in_period(month)
                    && count(
                        &format!("interventions.{kind}"),
                        Some("interventions.total"),
                    )
                {
                    let keys = Layout::delivery_keys();
                    for (i, key) in keys.iter().enumerate() {
                        if key.is_none_or(|k| db(k) == kind) {
                            self.amounts[i].quantity += row.quantity;
                            self.amounts[i].satang += row.amount_satang;
                        }
                    }
                }
            }
            metric::GRADUATIONS if in_period(&row.bucket) => {
                count("graduations", None);
            }
            metric::RELAPSES if in_period(&row.bucket) => {
                count("relapses", None);
            }
            metric::RELAPSE_RISKS if in_period(&row.bucket) => {
                count("relapseRisks", None);
            }
            _ => {}
        }
    }
}

/// The technologies any of these rows counts matches of, sorted.
pub fn technologies_of(rows: &[RollupRow]) -> Vec<Uuid> {
    rows.iter()
        .filter(|r| {
            r.metric == metric::MATCH_TECHNOLOGY || r.metric == metric::MATCH_TECHNOLOGY_ADOPTED
        })
        .filter_map(|r| Uuid::parse_str(&r.bucket).ok())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The cells of every area that has rows, by code.
pub fn cells_by_area(
    layout: &Layout,
    period: &Period,
    rows: &[RollupRow],
) -> BTreeMap<String, (String, AreaCells)> {
    let mut out: BTreeMap<String, (String, AreaCells)> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.metric != metric::VERSION) {
        let entry = out.entry(row.area_code.clone()).or_insert_with(|| {
            (
                row.parent_code.clone(),
                AreaCells::zero(&row.area_code, layout),
            )
        });
        entry.1.add(layout, period, row);
    }
    out
}

/// One area of a finished table: its cells and which of them are hidden.
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: AreaCells,
    pub hidden: Vec<bool>,
    /// Whether the viewer has household access here (nothing is hidden).
    pub exact: bool,
}

/// The table of `parent` and its children as the viewer may see it.
#[derive(Debug, Clone)]
pub struct Table {
    pub layout: Layout,
    /// The area first, then its children by code.
    pub rows: Vec<Row>,
}

/// Builds and suppresses the chain of tables from the country down to `target` (`""` for the
/// country): each table is an area (the country: the sum of the provinces) and its children;
/// each table below the first keeps its parent row exactly as the table above left it, so
/// that an area's cells read the same in its parent's dashboard and in its own. `rows` holds
/// the rollup rows of every child of the chain's areas. `exact(code)` says whether the viewer
/// has household access in an area (`""` the country); when `suppressing` is false nothing is
/// hidden and only the target table is built.
pub fn build(
    target: &str,
    rows: &[RollupRow],
    period: &Period,
    k: i64,
    suppressing: bool,
    exact: &dyn Fn(&str) -> bool,
) -> Table {
    let layout = Layout::new(technologies_of(rows));
    let cells = cells_by_area(&layout, period, rows);
    let cols = layout.columns.len();
    // The chain of parents: "", then each ancestor of the target, then the target.
    let mut chain = vec![String::new()];
    let mut len = 2;
    while len <= target.len() {
        chain.push(target[..len].to_string());
        len += 2;
    }
    if !suppressing {
        chain = vec![target.to_string()];
    }
    let children_of = |parent: &str| -> Vec<AreaCells> {
        cells
            .values()
            .filter(|(p, _)| p == parent)
            .map(|(_, c)| c.clone())
            .collect()
    };
    let mut parent_row: Option<Row> = None;
    let mut table_rows = Vec::new();
    for parent in &chain {
        let children = children_of(parent);
        let parent_cells = match &parent_row {
            Some(row) => row.cells.clone(),
            None if parent.is_empty() => {
                let mut sum = AreaCells::zero("", &layout);
                for c in &children {
                    for (s, v) in sum.values.iter_mut().zip(&c.values) {
                        *s += v;
                    }
                    for (s, a) in sum.amounts.iter_mut().zip(&c.amounts) {
                        s.quantity += a.quantity;
                        s.satang += a.satang;
                    }
                }
                sum
            }
            None => cells
                .get(parent)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| AreaCells::zero(parent, &layout)),
        };
        let mut all = vec![parent_cells];
        all.extend(children);
        let exact_flags: Vec<bool> = all.iter().map(|c| !suppressing || exact(&c.code)).collect();
        let mut values = Vec::with_capacity(all.len() * cols);
        let mut modes = Vec::with_capacity(all.len() * cols);
        for (r, area) in all.iter().enumerate() {
            values.extend_from_slice(&area.values);
            for c in 0..cols {
                modes.push(match (&parent_row, r) {
                    (Some(p), 0) => Mode::Fixed(p.hidden[c]),
                    _ if exact_flags[r] => Mode::Exact,
                    _ => Mode::Free,
                });
            }
        }
        let hidden = if suppressing {
            suppress(
                &values,
                &modes,
                &table_groups(all.len(), cols, &layout.row_groups),
                k,
            )
        } else {
            vec![false; values.len()]
        };
        table_rows = all
            .into_iter()
            .enumerate()
            .map(|(r, cells)| Row {
                hidden: hidden[r * cols..(r + 1) * cols].to_vec(),
                exact: exact_flags[r],
                cells,
            })
            .collect::<Vec<_>>();
        // The next parent is this table's child of that code (zeros when it has no rows).
        let next = chain.iter().skip_while(|c| *c != parent).nth(1).cloned();
        parent_row = next.map(|code| {
            table_rows
                .iter()
                .skip(1)
                .find(|r| r.cells.code == code)
                .cloned()
                .unwrap_or_else(|| Row {
                    cells: AreaCells::zero(&code, &layout),
                    hidden: vec![false; cols],
                    exact: !suppressing || exact(&code),
                })
        });
    }
    Table {
        layout,
        rows: table_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(area: &str, metric: &str, bucket: &str, n: i64) -> RollupRow {
        RollupRow {
            area_code: area.into(),
            parent_code: area[..area.len() - 2].into(),
            metric: metric.into(),
            bucket: bucket.into(),
            n,
            quantity: 0.0,
            amount_satang: 0,
        }
    }

    fn period() -> Period {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Period {
            from: d("2026-01-15"),
            to: d("2026-03-02"),
            today: d("2026-03-10"),
        }
    }

    /// Households in 52 (5201: 20 ENROLLED + 3 VERIFIED; 5202: 30 ENROLLED), as rollups
    /// hold them at every level.
    fn rows() -> Vec<RollupRow> {
        let mut rows = Vec::new();
        for (code, status, n) in [
            ("52", "ENROLLED", 50),
            ("52", "VERIFIED", 3),
            ("5201", "ENROLLED", 20),
            ("5201", "VERIFIED", 3),
            ("5202", "ENROLLED", 30),
            ("95", "ENROLLED", 40),
        ] {
            rows.push(row(code, metric::HOUSEHOLDS, status, n));
        }
        rows.push(row("52", metric::INTERVENTIONS, "TRAINING.2025-12", 7));
        rows.push(row("52", metric::INTERVENTIONS, "TRAINING.2026-01", 6));
        rows.push(row("52", metric::INTERVENTIONS, "TRAINING.2026-03", 1));
        rows.push(row("52", metric::REFERRALS_OPEN_DUE, "2026-03-09", 2));
        rows.push(row("52", metric::REFERRALS_OPEN_DUE, "2026-03-10", 4));
        rows
    }

    #[test]
    fn months_of_the_period_count_inclusive_and_overdue_is_before_today() {
        let t = build("52", &rows(), &period(), 5, false, &|_| true);
        let l = &t.layout;
        let p = &t.rows[0].cells.values;
        assert_eq!(p[l.col("interventions.TRAINING").unwrap()], 7);
        assert_eq!(p[l.col("interventions.total").unwrap()], 7);
        assert_eq!(p[l.col("referrals.overdue").unwrap()], 2);
        assert_eq!(p[l.col("households.total").unwrap()], 53);
        assert_eq!(t.rows.len(), 3);
    }

    #[test]
    fn a_small_child_cell_hides_a_sibling_or_the_parent_and_tables_agree_down_the_chain() {
        let k = 5;
        let province = build("52", &rows(), &period(), k, true, &|_| false);
        let l = &province.layout;
        let verified = l.col("households.VERIFIED").unwrap();
        // 5201's 3 VERIFIED is hidden, so is the province's (only 52 and 95 at the top).
        assert!(province.rows[1].hidden[verified]);
        let district = build("5201", &rows(), &period(), k, true, &|_| false);
        assert_eq!(district.rows[0].hidden, province.rows[1].hidden);
        // An exact viewer sees everything.
        let exact = build("52", &rows(), &period(), k, true, &|_| true);
        assert!(exact.rows.iter().all(|r| r.hidden.iter().all(|h| !h)));
    }
}
