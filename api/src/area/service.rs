//! Reference data: every province, district and subdistrict ships with the service
//! (`api/data/areas.csv`, from kongvut/thai-province-data, MIT) and is loaded on first start.
//! Villages and corrections come in through `import_areas` (same CSV format, idempotent).
use std::{collections::HashSet, io::Read};

use chrono::Utc;
use entity::{area, enums::AreaLevel};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Select, Set, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use serde::Deserialize;

use crate::{
    audit::service::{Actor, AuditEntry, record},
    error::{ApiError, ApiResult},
    graphql::search::contains,
};

/// The reference file compiled into the binary, so the service runs anywhere.
pub const REFERENCE_AREAS_CSV: &str = include_str!("../../data/areas.csv");

/// The 7 Strategic Research Area provinces.
pub const SRA_PROVINCES: [&str; 7] = ["52", "46", "49", "45", "93", "94", "95"];

const COLUMNS: [&str; 9] = [
    "code",
    "level",
    "parent_code",
    "name_th",
    "name_en",
    "postal_code",
    "lat",
    "lng",
    "region",
];

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    level: String,
    parent_code: Option<String>,
    name_th: String,
    name_en: String,
    postal_code: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    region: Option<String>,
}

/// What an import did, row by row.
#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// (line number, reason)
    pub rejected: Vec<(u64, String)>,
}

/// Loads the shipped reference areas when the table is empty (first start).
pub async fn ensure_reference_data(db: &DatabaseConnection) -> ApiResult<bool> {
    if area::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let report = import_areas(db, REFERENCE_AREAS_CSV.as_bytes()).await?;
    if !report.rejected.is_empty() {
        return Err(ApiError::internal(format!(
            "the shipped area file has {} bad rows",
            report.rejected.len()
        )));
    }
    tracing::info!(areas = report.created, "reference areas loaded");
    Ok(true)
}

fn parse_level(raw: &str) -> Option<AreaLevel> {
    match raw.trim() {
        "PROVINCE" => Some(AreaLevel::Province),
        "DISTRICT" => Some(AreaLevel::District),
        "SUBDISTRICT" => Some(AreaLevel::Subdistrict),
        "VILLAGE" => Some(AreaLevel::Village),
        _ => None,
    }
}

/// A validated CSV row.
#[derive(Debug, Clone, PartialEq)]
struct AreaRow {
    code: String,
    level: AreaLevel,
    parent_code: Option<String>,
    name_th: String,
    name_en: String,
    postal_code: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    region: Option<String>,
}

impl AreaRow {
    fn matches(&self, old: &area::Model) -> bool {
        self.level == old.level
            && self.parent_code == old.parent_code
            && self.name_th == old.name_th
            && self.name_en == old.name_en
            && self.postal_code == old.postal_code
            && self.lat == old.lat
            && self.lng == old.lng
            && self.region == old.region
    }

    fn into_active(self) -> area::ActiveModel {
        let is_sra =
            self.level == AreaLevel::Province && SRA_PROVINCES.contains(&self.code.as_str());
        area::ActiveModel {
            code: Set(self.code),
            level: Set(self.level),
            parent_code: Set(self.parent_code),
            name_th: Set(self.name_th),
            name_en: Set(self.name_en),
            postal_code: Set(self.postal_code),
            lat: Set(self.lat),
            lng: Set(self.lng),
            region: Set(self.region),
            // The TARGET cohort is set by ADMIN and never overwritten by an import.
            is_target: Set(false),
            is_sra: Set(is_sra),
            updated_at: Set(Utc::now()),
        }
    }
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check_row(row: &Row, known: &HashSet<String>) -> Result<AreaRow, String> {
    let code = row.code.trim();
    let level = parse_level(&row.level).ok_or_else(|| {
        format!(
            "level: '{}' is not PROVINCE, DISTRICT, SUBDISTRICT or VILLAGE",
            row.level
        )
    })?;
    if !code.chars().all(|c| c.is_ascii_digit()) || code.len() != level.code_len() {
        return Err(format!(
            "code: a {} code has {} digits",
            row.level.trim(),
            level.code_len()
        ));
    }
    let parent = non_empty(&row.parent_code);
    match (level, parent.as_deref()) {
        (AreaLevel::Province, None) => {}
        (AreaLevel::Province, Some(_)) => {
            return Err("parent_code: a province has no parent".into());
        }
        (_, None) => return Err("parent_code: required below province level".into()),
        (_, Some(p)) => {
            if p.len() + 2 != code.len() || !code.starts_with(p) {
                return Err(format!("parent_code: '{p}' is not the parent of '{code}'"));
            }
            if !known.contains(p) {
                return Err(format!("parent_code: unknown area '{p}'"));
            }
        }
    }
    let name_th = row.name_th.trim();
    if name_th.is_empty() {
        return Err("name_th: required".into());
    }
    for (field, v, limit) in [("lat", row.lat, 90.0), ("lng", row.lng, 180.0)] {
        if let Some(v) = v
            && (!v.is_finite() || v.abs() > limit)
        {
            return Err(format!("{field}: out of range"));
        }
    }
    Ok(AreaRow {
        code: code.to_string(),
        level,
        parent_code: parent,
        name_th: name_th.to_string(),
        name_en: row.name_en.trim().to_string(),
        postal_code: non_empty(&row.postal_code),
        lat: row.lat,
        lng: row.lng,
        region: non_empty(&row.region),
    })
}

/// Imports areas from CSV (header `code,level,parent_code,name_th,name_en,postal_code,lat,lng,
/// region`). Valid rows are upserted in one transaction; invalid rows are reported with their
/// line number and skipped. Parents must exist already or come earlier in the file. Running the
/// same file twice changes nothing the second time.
pub async fn import_areas(db: &DatabaseConnection, input: impl Read) -> ApiResult<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_input("file", format!("line 1: cannot read the header: {e}")))?
        .clone();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_input(
            "file",
            format!("line 1: missing columns: {}", missing.join(", ")),
        ));
    }

    let existing: Vec<area::Model> = area::Entity::find().all(db).await?;
    let mut known: HashSet<String> = existing.iter().map(|a| a.code.clone()).collect();
    let before: std::collections::HashMap<String, area::Model> =
        existing.into_iter().map(|a| (a.code.clone(), a)).collect();

    let mut report = ImportReport::default();
    let mut valid = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.deserialize::<Row>().enumerate() {
        let line = i as u64 + 2;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                report
                    .rejected
                    .push((line, format!("cannot read the row: {e}")));
                continue;
            }
        };
        match check_row(&row, &known) {
            Ok(checked) => {
                let code = checked.code.clone();
                if !seen.insert(code.clone()) {
                    report
                        .rejected
                        .push((line, format!("code: '{code}' appears twice in the file")));
                    continue;
                }
                known.insert(code.clone());
                match before.get(&code) {
                    None => report.created += 1,
                    Some(old) if checked.matches(old) => {
                        report.unchanged += 1;
                        continue;
                    }
                    Some(_) => report.updated += 1,
                }
                valid.push(checked.into_active());
            }
            Err(reason) => report.rejected.push((line, reason)),
        }
    }

    let txn = db.begin().await?;
    for chunk in valid.chunks(500) {
        area::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(area::Column::Code)
                    .update_columns([
                        area::Column::Level,
                        area::Column::ParentCode,
                        area::Column::NameTh,
                        area::Column::NameEn,
                        area::Column::PostalCode,
                        area::Column::Lat,
                        area::Column::Lng,
                        area::Column::Region,
                        area::Column::IsSra,
                        area::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Checks area codes given as scopes or coverage: digits, a known area; returns them sorted
/// and without duplicates. `field` names the input in the error.
pub async fn check_codes_exist(
    db: &impl ConnectionTrait,
    codes: &[String],
    field: &str,
) -> ApiResult<Vec<String>> {
    let mut wanted: Vec<String> = codes.iter().map(|c| c.trim().to_string()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.len() > 500 {
        return Err(ApiError::bad_input(field, "at most 500 areas"));
    }
    for code in &wanted {
        if AreaLevel::from_code_len(code.len()).is_none()
            || !code.chars().all(|c| c.is_ascii_digit())
        {
            return Err(ApiError::bad_input(
                field,
                format!("'{code}' is not a DOPA area code (2, 4, 6 or 8 digits)"),
            ));
        }
    }
    if wanted.is_empty() {
        return Ok(wanted);
    }
    let found: HashSet<String> = area::Entity::find()
        .filter(area::Column::Code.is_in(wanted.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    if let Some(unknown) = wanted.iter().find(|c| !found.contains(*c)) {
        return Err(ApiError::bad_input(
            field,
            format!("unknown area code '{unknown}'"),
        ));
    }
    Ok(wanted)
}

/// A programme cohort an area can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    Target,
    Sra,
}

/// Which areas `areas` lists.
#[derive(Debug, Default)]
pub struct AreaListFilter {
    /// Only the areas directly inside this one.
    pub parent_code: Option<String>,
    pub level: Option<AreaLevel>,
    /// Part of the Thai or English name.
    pub search: Option<String>,
    pub cohort: Option<Cohort>,
}

/// The areas a filter selects (unordered, unpaged); with no filter, the provinces.
pub fn list(filter: AreaListFilter) -> ApiResult<Select<area::Entity>> {
    let mut select = area::Entity::find();
    match (&filter.parent_code, filter.level) {
        (Some(parent), _) => {
            let parent = parent.trim();
            if parent.is_empty() || parent.len() > 6 || !parent.chars().all(|c| c.is_ascii_digit())
            {
                return Err(ApiError::bad_input("parentCode", "not a DOPA code"));
            }
            select = select.filter(area::Column::ParentCode.eq(parent));
        }
        (None, None) if filter.search.is_none() && filter.cohort.is_none() => {
            select = select.filter(area::Column::Level.eq(AreaLevel::Province));
        }
        _ => {}
    }
    if let Some(level) = filter.level {
        select = select.filter(area::Column::Level.eq(level));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        select = select.filter(contains(
            [area::Column::NameTh, area::Column::NameEn],
            search,
        ));
    }
    match filter.cohort {
        Some(Cohort::Target) => select = select.filter(area::Column::IsTarget.eq(true)),
        Some(Cohort::Sra) => select = select.filter(area::Column::IsSra.eq(true)),
        None => {}
    }
    Ok(select)
}

/// Puts areas into (`target`) or takes them out of the TARGET cohort, one audit event per
/// area; returns the areas after the change.
pub async fn set_target_cohort(
    db: &DatabaseConnection,
    actor: &Actor,
    codes: &[String],
    target: bool,
) -> ApiResult<Vec<area::Model>> {
    if codes.is_empty() || codes.len() > 100 {
        return Err(ApiError::bad_input("codes", "give 1 to 100 area codes"));
    }
    let codes = check_codes_exist(db, codes, "codes").await?;
    let txn = db.begin().await?;
    area::Entity::update_many()
        .col_expr(area::Column::IsTarget, Expr::value(target))
        .col_expr(area::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(area::Column::Code.is_in(codes.iter().cloned()))
        .exec(&txn)
        .await?;
    for code in &codes {
        record(
            &txn,
            AuditEntry::by(actor, entity::enums::AuditAction::Update)
                .entity("Area", code)
                .fields(["cohorts"]),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(area::Entity::find()
        .filter(area::Column::Code.is_in(codes))
        .all(db)
        .await?)
}
