//! Small-cell suppression as a pure function over a table of counts.
//!
//! A cell is one count (e.g. "ENROLLED households in district 5201"). A group is a set of
//! cells bound by one linear equation the reader knows (a breakdown and its total within one
//! area; the same cell over the children of an area and the area itself): when exactly one
//! cell of a group is hidden it can be solved for, so another one is hidden too.
//!
//! A group's first cell is its total, the others its parts.
//!
//! The rule (docs/dashboards.md): cells of `Free` areas with 0 < value < k are hidden
//! (primary suppression); then, until nothing changes, a group is made safe when it has
//! exactly one hidden cell (it could be solved for) or when its total is visible and its
//! hidden parts add up to 1..k (their sum is then a small count read by subtraction): its
//! smallest other `Free` visible non-zero cell is hidden (zeros only when no non-zero cell
//! is left: a hidden zero adds nothing to the hidden sum and structural zeros are guessable;
//! ties by position, so the same table always gives the same pattern). `Exact` cells (areas
//! where the viewer has household access) are never hidden; `Fixed` cells keep a state
//! decided in another table (the parent row, decided where it was a child), so linked tables
//! agree.

/// How one cell may be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Suppressed where small; may be hidden to protect another cell.
    Free,
    /// The viewer may see it exactly: never hidden.
    Exact,
    /// Hidden or not as decided elsewhere; never changed here.
    Fixed(bool),
}

/// Which cells to hide. `values`, `modes` have one entry per cell; `groups` name cells by
/// index. Returns one flag per cell (true = hidden).
pub fn suppress(values: &[i64], modes: &[Mode], groups: &[Vec<usize>], k: i64) -> Vec<bool> {
    assert_eq!(values.len(), modes.len());
    let mut hidden: Vec<bool> = values
        .iter()
        .zip(modes)
        .map(|(&v, m)| match m {
            Mode::Free => v > 0 && v < k,
            Mode::Exact => false,
            Mode::Fixed(h) => *h,
        })
        .collect();
    loop {
        let mut changed = false;
        for group in groups {
            if group.len() < 2 {
                continue;
            }
            if is_safe(group, values, &hidden, k) {
                continue;
            }
            let candidate = group
                .iter()
                .copied()
                .filter(|&c| !hidden[c] && modes[c] == Mode::Free)
                .min_by_key(|&c| (values[c] == 0, values[c], c));
            if let Some(c) = candidate {
                hidden[c] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

/// Whether a group (total first) gives no hidden cell away: not exactly one hidden cell, and
/// when the total is visible, its hidden parts do not add up to a small count.
fn is_safe(group: &[usize], values: &[i64], hidden: &[bool], k: i64) -> bool {
    let hidden_count = group.iter().filter(|&&c| hidden[c]).count();
    if hidden_count == 1 {
        return false;
    }
    let (total, parts) = (group[0], &group[1..]);
    if hidden[total] {
        return true;
    }
    let hidden_sum: i64 = parts
        .iter()
        .filter(|&&c| hidden[c])
        .map(|&c| values[c])
        .sum();
    !(hidden_sum > 0 && hidden_sum < k)
}

/// The groups of a table of `rows` areas (row 0 the parent, the others its children) by
/// `cols` columns, cells numbered row-major: each row group (column indices) in every row,
/// and every column over all rows (when there are children).
pub fn table_groups(rows: usize, cols: usize, row_groups: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut groups = Vec::new();
    for r in 0..rows {
        for g in row_groups {
            groups.push(g.iter().map(|&c| r * cols + c).collect());
        }
    }
    if rows > 1 {
        for c in 0..cols {
            groups.push((0..rows).map(|r| r * cols + c).collect());
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    const K: i64 = 5;

    /// A random table: a parent and children whose cells add up to the parent's, with row
    /// groups "total = sum of parts" over random column ranges.
    fn random_table(rng: &mut StdRng) -> (usize, usize, Vec<i64>, Vec<Vec<usize>>) {
        let children = rng.random_range(0..6usize);
        let parts = rng.random_range(1..6usize);
        let breakdowns = rng.random_range(1..4usize);
        let cols = breakdowns * (parts + 1);
        let rows = children + 1;
        let mut values = vec![0i64; rows * cols];
        let child_rows: Vec<usize> = if children == 0 {
            vec![0]
        } else {
            (1..rows).collect()
        };
        for &r in &child_rows {
            for b in 0..breakdowns {
                let base = b * (parts + 1);
                let mut total = 0;
                for p in 0..parts {
                    let v = match rng.random_range(0..4) {
                        0 => 0,
                        1 => rng.random_range(1..K),
                        _ => rng.random_range(0..40),
                    };
                    values[r * cols + base + 1 + p] = v;
                    total += v;
                }
                values[r * cols + base] = total;
            }
        }
        if children > 0 {
            for c in 0..cols {
                values[c] = (1..rows).map(|r| values[r * cols + c]).sum();
            }
        }
        let row_groups = (0..breakdowns)
            .map(|b| (b * (parts + 1)..(b + 1) * (parts + 1)).collect())
            .collect();
        (rows, cols, values, row_groups)
    }

    fn assert_safe(values: &[i64], modes: &[Mode], groups: &[Vec<usize>], hidden: &[bool]) {
        for (i, (&v, &h)) in values.iter().zip(hidden).enumerate() {
            if modes[i] == Mode::Free && !h {
                assert!(!(v > 0 && v < K), "cell {i} = {v} is visible");
            }
            if modes[i] == Mode::Exact {
                assert!(!h, "exact cell {i} hidden");
            }
        }
        for g in groups.iter().filter(|g| g.len() > 1) {
            let n = g.iter().filter(|&&c| hidden[c]).count();
            assert_ne!(
                n, 1,
                "group {g:?} has one hidden cell: {values:?} {hidden:?}"
            );
            // Where every cell of the group may be hidden, a visible total never gives away
            // a small sum of hidden parts.
            if g.iter().all(|&c| modes[c] == Mode::Free) && !hidden[g[0]] {
                let sum: i64 = g[1..]
                    .iter()
                    .filter(|&&c| hidden[c])
                    .map(|&c| values[c])
                    .sum();
                assert!(
                    !(sum > 0 && sum < K),
                    "group {g:?}: hidden parts add up to {sum}: {values:?} {hidden:?}"
                );
            }
        }
    }

    #[test]
    fn random_tables_leave_no_small_cell_visible_and_no_group_with_one_hidden_cell() {
        let mut rng = StdRng::seed_from_u64(10);
        for _ in 0..3000 {
            let (rows, cols, values, row_groups) = random_table(&mut rng);
            let groups = table_groups(rows, cols, &row_groups);
            let modes = vec![Mode::Free; values.len()];
            let hidden = suppress(&values, &modes, &groups, K);
            assert_safe(&values, &modes, &groups, &hidden);
            // The same table gives the same pattern.
            assert_eq!(hidden, suppress(&values, &modes, &groups, K));
        }
    }

    #[test]
    fn a_fixed_parent_row_is_kept_and_the_children_are_made_safe_around_it() {
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..3000 {
            let (rows, cols, values, row_groups) = random_table(&mut rng);
            if rows < 2 {
                continue;
            }
            // The parent's pattern as decided in the table above (any safe pattern of its row).
            let parent_groups = table_groups(1, cols, &row_groups);
            let parent_hidden =
                suppress(&values[..cols], &vec![Mode::Free; cols], &parent_groups, K);
            let mut modes = vec![Mode::Free; values.len()];
            for c in 0..cols {
                modes[c] = Mode::Fixed(parent_hidden[c]);
            }
            let groups = table_groups(rows, cols, &row_groups);
            let hidden = suppress(&values, &modes, &groups, K);
            assert_eq!(&hidden[..cols], &parent_hidden[..]);
            assert_safe(&values, &modes, &groups, &hidden);
        }
    }

    #[test]
    fn exact_areas_are_never_hidden_and_the_others_still_protect_each_other() {
        // Parent 52 (suppressed), 5201 exact, 5202 and 5203 suppressed; one column.
        let values = vec![20, 15, 3, 2];
        let modes = vec![Mode::Free, Mode::Exact, Mode::Free, Mode::Free];
        let groups = table_groups(4, 1, &[]);
        let hidden = suppress(&values, &modes, &groups, K);
        assert_eq!(hidden, vec![false, false, true, true]);
        // One small child beside a zero: the parent goes too (the exact sibling cannot, and a
        // hidden zero would leave 18 - 15 = 3 readable).
        let values = vec![18, 15, 3, 0];
        let hidden = suppress(&values, &modes, &groups, K);
        assert_eq!(hidden, vec![true, false, true, false]);
        let modes = vec![Mode::Free, Mode::Exact, Mode::Free];
        let hidden = suppress(&[18, 15, 3], &modes, &table_groups(3, 1, &[]), K);
        assert_eq!(hidden, vec![true, false, true]);
    }

    #[test]
    fn a_worked_example() {
        // Households by status in one area: total 12 = 9 + 3 + 0. The 3 is hidden, then the
        // smallest other non-zero cell (the 9): hiding the zero would leave "the hidden cells
        // add up to 3" readable from the total.
        let values = vec![12, 9, 3, 0];
        let hidden = suppress(&values, &[Mode::Free; 4], &[vec![0, 1, 2, 3]], K);
        assert_eq!(hidden, vec![false, true, true, false]);
        // Two small parts that together reach k protect each other.
        let values = vec![30, 22, 3, 2, 3];
        let hidden = suppress(&values, &[Mode::Free; 5], &[vec![0, 1, 2, 3, 4]], K);
        assert_eq!(hidden, vec![false, false, true, true, true]);
        // Two small parts that together stay below k take a third with them.
        let values = vec![30, 26, 2, 2, 0];
        let hidden = suppress(&values, &[Mode::Free; 5], &[vec![0, 1, 2, 3, 4]], K);
        assert_eq!(hidden, vec![false, true, true, true, false]);
    }
}
