//! Dashboards: who may read which area's, and the assembled table read from `area_rollup`
//! only (never households), cached in-process and checked against the province versions on
//! every read, so a write on any replica is seen by the next read.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{Datelike, Months, NaiveDate, Utc};
use entity::{area, area_rollup, enums::AreaLevel};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::table::{self, Amounts, AreaCells, Layout, Period, Row, Table, metric};
use crate::{
    auth::Scope,
    error::{ApiError, ApiResult},
};

/// Entries the cache keeps at most (least recently used go first).
pub const CACHE_ENTRIES: usize = 2048;

/// One area of a dashboard as shown: the cells, which are hidden, and the area's record.
#[derive(Debug, Clone)]
pub struct ShownArea {
    pub row: Row,
    /// Null for the country, or for a village the area table does not hold.
    pub area: Option<area::Model>,
}

/// A dashboard as the viewer may see it: the area first, then its children by code.
#[derive(Debug)]
pub struct Assembled {
    pub period: Period,
    pub k: i64,
    pub layout: Layout,
    pub areas: Vec<ShownArea>,
}

/// How the viewer's access shapes the numbers (part of the cache key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    /// Household access in the area (and so in all its children): nothing hidden.
    Exact,
    /// Suppressed except in areas under these prefixes (sorted; none for ANALYST).
    Suppressed(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    area: String,
    period: Period,
    shape: Shape,
}

struct Entry {
    versions: Vec<(String, i64)>,
    value: Arc<Assembled>,
    used: u64,
}

/// The in-process cache of assembled dashboards, bounded, validated per read.
#[derive(Default)]
pub struct DashboardCache {
    entries: Mutex<HashMap<Key, Entry>>,
    provinces: Mutex<Option<Arc<Vec<String>>>>,
    tick: AtomicU64,
}

impl DashboardCache {
    fn get(&self, key: &Key, versions: &[(String, i64)]) -> Option<Arc<Assembled>> {
        let mut entries = self.entries.lock().expect("dashboard cache");
        let entry = entries.get_mut(key)?;
        if entry.versions != versions {
            return None;
        }
        entry.used = self.tick.fetch_add(1, Ordering::Relaxed);
        Some(entry.value.clone())
    }

    fn put(&self, key: Key, versions: Vec<(String, i64)>, value: Arc<Assembled>) {
        let mut entries = self.entries.lock().expect("dashboard cache");
        if entries.len() >= CACHE_ENTRIES && !entries.contains_key(&key) {
            // Drop the least recently used eighth at once, so eviction stays rare.
            let mut ages: Vec<u64> = entries.values().map(|e| e.used).collect();
            ages.sort_unstable();
            let cut = ages[CACHE_ENTRIES / 8];
            entries.retain(|_, e| e.used > cut);
        }
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        entries.insert(
            key,
            Entry {
                versions,
                value,
                used,
            },
        );
    }

    /// How many dashboards are cached (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().expect("dashboard cache").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every province code (reference data: read once).
    async fn provinces(&self, db: &impl ConnectionTrait) -> ApiResult<Arc<Vec<String>>> {
        if let Some(p) = self.provinces.lock().expect("provinces").clone() {
            return Ok(p);
        }
        let codes: Vec<String> = area::Entity::find()
            .select_only()
            .column(area::Column::Code)
            .filter(area::Column::Level.eq(AreaLevel::Province))
            .order_by_asc(area::Column::Code)
            .into_tuple()
            .all(db)
            .await?;
        let codes = Arc::new(codes);
        *self.provinces.lock().expect("provinces") = Some(codes.clone());
        Ok(codes)
    }
}

/// What a dashboard request asks for, checked.
#[derive(Debug, Clone)]
pub struct Request {
    /// `""` for the whole country.
    pub area: String,
    pub period: Period,
}

/// Checks the arguments: an area code of 2, 4, 6 or 8 digits (or none: the country), and a
/// period (`from` ≤ `to`; default the last 12 months: the first day of the month 11 months
/// back to today).
pub fn request(
    area_code: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<Request> {
    let area = match area_code.map(str::trim) {
        None => String::new(),
        Some(code)
            if matches!(code.len(), 2 | 4 | 6 | 8) && code.chars().all(|c| c.is_ascii_digit()) =>
        {
            code.to_string()
        }
        Some(_) => {
            return Err(ApiError::bad_input(
                "areaCode",
                "not a DOPA area code (2, 4, 6 or 8 digits)",
            ));
        }
    };
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        let first = today.with_day(1).unwrap_or(today);
        first.checked_sub_months(Months::new(11)).unwrap_or(first)
    });
    if from > to {
        return Err(ApiError::bad_input("from", "from must not be after to"));
    }
    Ok(Request {
        area,
        period: Period { from, to, today },
    })
}

/// Today, as casework counts overdue referrals.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Whether the viewer has household access in an area (`""`: the whole country).
fn exact_in(scope: &Scope, code: &str) -> bool {
    match scope {
        Scope::All => true,
        Scope::Areas(prefixes) => prefixes.iter().any(|p| code.starts_with(p.as_str())),
        _ => false,
    }
}

/// May this scope read this area's dashboard? ANALYST with area scopes only inside them
/// (FORBIDDEN elsewhere: areas are public, their aggregates are not); partner agencies never.
pub fn check_access(scope: &Scope, area: &str) -> ApiResult<()> {
    match scope {
        Scope::Agency(_) => Err(ApiError::Forbidden),
        Scope::Aggregates(Some(prefixes))
            if !prefixes.iter().any(|p| area.starts_with(p.as_str())) =>
        {
            Err(ApiError::Forbidden)
        }
        _ => Ok(()),
    }
}

/// A dashboard as read, with what it was read from: the provinces whose rollups it depends
/// on and their versions at the time (equal versions later mean an equal dashboard).
pub struct Read {
    pub assembled: Arc<Assembled>,
    pub provinces: Vec<String>,
    pub versions: Vec<(String, i64)>,
}

/// The dashboard of `req.area` for this scope.
pub async fn dashboard(
    db: &impl ConnectionTrait,
    live: &crate::live::LiveBus,
    cache: &DashboardCache,
    scope: &Scope,
    k: u32,
    req: &Request,
) -> ApiResult<Read> {
    let target = req.area.as_str();
    let suppressing = !exact_in(scope, target);
    let shape = if suppressing {
        let mut prefixes = match scope {
            Scope::Areas(p) => p.clone(),
            _ => Vec::new(),
        };
        prefixes.sort();
        Shape::Suppressed(prefixes)
    } else {
        Shape::Exact
    };
    // The provinces whose changes can change this dashboard: with suppression, the pattern
    // starts at the country's table, so every province; otherwise the area's own.
    let watched: Vec<String> = if suppressing || target.is_empty() {
        cache.provinces(db).await?.as_ref().clone()
    } else {
        vec![target[..2].to_string()]
    };
    let versions = crate::rollup::kept::versions(db, live, &watched).await?;
    let key = Key {
        area: req.area.clone(),
        period: req.period.clone(),
        shape,
    };
    if let Some(assembled) = cache.get(&key, &versions) {
        check_access(scope, target)?;
        return Ok(Read {
            assembled,
            provinces: watched,
            versions,
        });
    }

    // The area and its children from the reference table (names; unknown code = bad input).
    let areas = area::Entity::find()
        .filter(if target.is_empty() {
            Condition::all().add(area::Column::Level.eq(AreaLevel::Province))
        } else {
            Condition::any()
                .add(area::Column::Code.eq(target))
                .add(area::Column::ParentCode.eq(target))
        })
        .order_by_asc(area::Column::Code)
        .all(db)
        .await?;
    let mut by_code: HashMap<String, area::Model> =
        areas.into_iter().map(|a| (a.code.clone(), a)).collect();
    let own = if target.is_empty() {
        None
    } else {
        Some(
            by_code
                .remove(target)
                .ok_or_else(|| ApiError::bad_input("areaCode", "no area has this code"))?,
        )
    };
    check_access(scope, target)?;

    // The rollup rows of the chain's tables (every child of "", the ancestors and the area)
    // or, without suppression, of the area and its children.
    let mut parents = vec![target.to_string()];
    if suppressing {
        parents = vec![String::new()];
        let mut len = 2;
        while len <= target.len() {
            parents.push(target[..len].to_string());
            len += 2;
        }
    }
    let mut cond = Condition::any().add(area_rollup::Column::ParentCode.is_in(parents));
    if !target.is_empty() {
        cond = cond.add(area_rollup::Column::AreaCode.eq(target));
    }
    let rows = area_rollup::Entity::find()
        .filter(cond)
        .filter(area_rollup::Column::Metric.ne(metric::VERSION))
        .all(db)
        .await?;
    let table = table::build(
        target,
        &rows,
        &req.period,
        i64::from(k),
        suppressing,
        &|code| exact_in(scope, code),
    );
    let assembled = Arc::new(assemble(table, own, by_code, &req.period, k, scope));
    cache.put(key, versions.clone(), assembled.clone());
    Ok(Read {
        assembled,
        provinces: watched,
        versions,
    })
}

/// The table's rows with their area records, plus children the area table holds that have
/// no rollup rows yet (all zero).
fn assemble(
    table: Table,
    own: Option<area::Model>,
    mut children: HashMap<String, area::Model>,
    period: &Period,
    k: u32,
    scope: &Scope,
) -> Assembled {
    let cols = table.layout.columns.len();
    let mut rows = table.rows.into_iter();
    let mut areas = vec![ShownArea {
        row: rows.next().expect("the area's row"),
        area: own,
    }];
    let mut shown: Vec<ShownArea> = rows
        .map(|row| ShownArea {
            area: children.remove(&row.cells.code),
            row,
        })
        .collect();
    for (code, model) in children {
        shown.push(ShownArea {
            row: Row {
                cells: AreaCells {
                    code: code.clone(),
                    values: vec![0; cols],
                    amounts: vec![Amounts::default(); Layout::delivery_keys().len()],
                },
                hidden: vec![false; cols],
                exact: exact_in(scope, &code),
            },
            area: Some(model),
        });
    }
    shown.sort_by(|a, b| a.row.cells.code.cmp(&b.row.cells.code));
    areas.extend(shown);
    Assembled {
        period: period.clone(),
        k: i64::from(k),
        layout: table.layout,
        areas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_default_period_is_the_last_twelve_months_including_this_one() {
        let r = request(Some("52"), None, None, d("2026-03-10")).unwrap();
        assert_eq!(r.period.from, d("2025-04-01"));
        assert_eq!(r.period.to, d("2026-03-10"));
        assert_eq!(request(None, None, None, d("2026-03-10")).unwrap().area, "");
    }

    #[test]
    fn bad_codes_and_reversed_periods_name_the_argument() {
        for bad in ["5", "520", "52a1", "", "123456789"] {
            match request(Some(bad), None, None, d("2026-03-10")) {
                Err(ApiError::BadUserInput { field, .. }) => assert_eq!(field, "areaCode"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        match request(
            None,
            Some(d("2026-03-02")),
            Some(d("2026-03-01")),
            d("2026-03-10"),
        ) {
            Err(ApiError::BadUserInput { field, .. }) => assert_eq!(field, "from"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn analysts_with_areas_read_inside_them_only_and_agencies_never() {
        let analyst = Scope::Aggregates(Some(vec!["52".into()]));
        assert!(check_access(&analyst, "5201").is_ok());
        assert!(check_access(&analyst, "95").is_err());
        assert!(check_access(&analyst, "").is_err());
        assert!(check_access(&Scope::Aggregates(None), "").is_ok());
        assert!(check_access(&Scope::Agency(uuid::Uuid::nil()), "52").is_err());
    }
}
