//! Assessment rules.
//!
//! **Ladder** (per capital and overall): a score in 1.00–4.00 falls in one of four equal bands
//! of 0.75: below 1.75 STRUGGLING (อยู่ลำบาก), below 2.50 DIFFICULT (อยู่ยาก), below 3.25
//! MANAGEABLE (อยู่พอได้), 3.25 and above WELL (อยู่ดี). The overall score is the mean of the
//! five capitals, rounded half up to hundredths, banded the same way.
//!
//! **Income level**: income per person per month, in whole baht (satang dropped), against the
//! poverty lines of the assessment's Buddhist-era year (or the latest earlier year on file):
//! at or below the poverty line (2563: 2,762) BELOW_POVERTY_LINE; at or below the poorest-40%
//! cut (5,346) BELOW_POOREST_40; at or below the median (6,531) BELOW_MEDIAN; above it
//! ABOVE_MEDIAN.
use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    assessment,
    enums::{
        AssessmentStatus, AuditAction, HouseholdStatus, IncomeLevel, JsonDocument, LadderLevel,
    },
    poverty_line,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Select, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::Scope,
    error::{ApiError, ApiResult},
    household::{
        service::{find_household, in_visible_household},
        validate::text,
    },
    idempotency::{self, IdemKey},
    money,
};

/// The five scores in hundredths: human, physical, financial, natural, social.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Scores {
    pub human: i32,
    pub physical: i32,
    pub financial: i32,
    pub natural: i32,
    pub social: i32,
}

impl Scores {
    pub fn all(&self) -> [(entity::enums::Capital, i32); 5] {
        use entity::enums::Capital::*;
        [
            (Human, self.human),
            (Physical, self.physical),
            (Financial, self.financial),
            (Natural, self.natural),
            (Social, self.social),
        ]
    }

    /// Mean of the five, rounded half up.
    pub fn overall(&self) -> i32 {
        let sum: i32 = self.all().iter().map(|(_, s)| s).sum();
        (sum * 2 + 5) / 10
    }

    pub fn of(a: &assessment::Model) -> Scores {
        Scores {
            human: a.human,
            physical: a.physical,
            financial: a.financial,
            natural: a.natural,
            social: a.social,
        }
    }
}

/// A score given as a decimal (e.g. 2.35) in hundredths, checked to lie in 1.00–4.00.
pub fn score_hundredths(value: f64, field: &str) -> ApiResult<i32> {
    if !value.is_finite() || !(1.0..=4.0).contains(&value) {
        return Err(ApiError::bad_input(
            field,
            "a capital score lies between 1.00 and 4.00",
        ));
    }
    Ok((value * 100.0).round() as i32)
}

pub fn income_level(income_satang: i64, line: &poverty_line::Model) -> IncomeLevel {
    let baht = income_satang / 100;
    if baht <= line.poverty_line as i64 {
        IncomeLevel::BelowPovertyLine
    } else if baht <= line.poorest40_cut as i64 {
        IncomeLevel::BelowPoorest40
    } else if baht <= line.median as i64 {
        IncomeLevel::BelowMedian
    } else {
        IncomeLevel::AboveMedian
    }
}

/// Buddhist-era year of a date.
pub fn year_be(date: NaiveDate) -> i32 {
    date.year() + 543
}

/// The poverty lines for a Buddhist-era year: that year's, else the latest earlier one, else
/// the earliest on file.
pub async fn poverty_line_for(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<poverty_line::Model> {
    if let Some(line) = poverty_line::Entity::find()
        .filter(poverty_line::Column::YearBe.lte(year))
        .order_by_desc(poverty_line::Column::YearBe)
        .one(db)
        .await?
    {
        return Ok(line);
    }
    poverty_line::Entity::find()
        .order_by_asc(poverty_line::Column::YearBe)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal("no poverty lines on file"))
}

/// The poverty-line table, oldest year first.
pub async fn poverty_lines(db: &impl ConnectionTrait) -> ApiResult<Vec<poverty_line::Model>> {
    Ok(poverty_line::Entity::find()
        .order_by_asc(poverty_line::Column::YearBe)
        .all(db)
        .await?)
}

/// The poverty lines of a new year, baht per person per month.
#[derive(Debug, Clone)]
pub struct NewPovertyLine {
    pub year_be: i32,
    pub poverty_line: i32,
    pub poorest40_cut: i32,
    pub median: i32,
}

/// Adds the poverty lines of a year not on file yet (years on file stay: assessments were
/// derived with them), with its audit event.
pub async fn add_poverty_line(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewPovertyLine,
) -> ApiResult<poverty_line::Model> {
    if !(2500..=2700).contains(&input.year_be) {
        return Err(ApiError::bad_input(
            "yearBe",
            "a Buddhist-era year, e.g. 2567",
        ));
    }
    for (field, baht) in [
        ("povertyLine", input.poverty_line),
        ("poorest40Cut", input.poorest40_cut),
        ("median", input.median),
    ] {
        money::whole_baht(field, baht, money::POVERTY_LINE)?;
    }
    if input.poorest40_cut <= input.poverty_line {
        return Err(ApiError::bad_input(
            "poorest40Cut",
            "must be above the poverty line",
        ));
    }
    if input.median <= input.poorest40_cut {
        return Err(ApiError::bad_input(
            "median",
            "must be above the poorest-40% cut",
        ));
    }
    if poverty_line::Entity::find_by_id(input.year_be)
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "the lines of {} are on file already",
            input.year_be
        )));
    }
    let txn = db.begin().await?;
    let model = poverty_line::ActiveModel {
        year_be: Set(input.year_be),
        poverty_line: Set(input.poverty_line),
        poorest40_cut: Set(input.poorest40_cut),
        median: Set(input.median),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("PovertyLine", input.year_be)
            .fields(["povertyLine", "poorest40Cut", "median"]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewAssessment {
    pub household_id: Uuid,
    pub assessed_on: NaiveDate,
    pub scores: Scores,
    pub household_size: i32,
    pub income_per_person_satang: i64,
    pub has_land: Option<bool>,
    pub indicators: Option<serde_json::Value>,
    pub notes: Option<String>,
    /// ACTIVE at once (superseding the current one) rather than DRAFT.
    pub activate: bool,
    pub client_uuid: Option<Uuid>,
}

/// An assessment that passed every check, ready to be written.
pub struct CheckedAssessment {
    row: assessment::ActiveModel,
    pub id: Uuid,
    household_id: Uuid,
    activate: bool,
}

/// Checks a new assessment (household visible and not merged, date, size, income, notes,
/// indicators) without writing anything.
pub async fn check_assessment(
    db: &impl ConnectionTrait,
    scope: &Scope,
    actor: &Actor,
    input: &NewAssessment,
) -> ApiResult<CheckedAssessment> {
    let household = find_household(db, scope, input.household_id).await?;
    if household.status == HouseholdStatus::Duplicate {
        return Err(ApiError::bad_input(
            "householdId",
            "this household was merged into another; assess that one",
        ));
    }
    if input.assessed_on > Utc::now().date_naive() {
        return Err(ApiError::bad_input(
            "assessedOn",
            "the date is in the future",
        ));
    }
    if !(1..=100).contains(&input.household_size) {
        return Err(ApiError::bad_input(
            "householdSize",
            "a household has 1 to 100 people",
        ));
    }
    money::check_satang(
        "incomePerPerson",
        input.income_per_person_satang,
        money::MONTHLY_INCOME,
    )?;
    let notes = text(input.notes.as_deref(), "notes", 4000)?;
    if let Some(ind) = &input.indicators
        && serde_json::to_vec(ind).map(|v| v.len()).unwrap_or(0) > 32 * 1024
    {
        return Err(ApiError::bad_input(
            "indicators",
            "at most 32 KiB of indicator answers",
        ));
    }
    let line = poverty_line_for(db, year_be(input.assessed_on)).await?;
    let overall = input.scores.overall();
    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = assessment::ActiveModel {
        id: Set(id),
        household_id: Set(input.household_id),
        status: Set(if input.activate {
            AssessmentStatus::Active
        } else {
            AssessmentStatus::Draft
        }),
        assessed_on: Set(input.assessed_on),
        human: Set(input.scores.human),
        physical: Set(input.scores.physical),
        financial: Set(input.scores.financial),
        natural: Set(input.scores.natural),
        social: Set(input.scores.social),
        overall_score: Set(overall),
        overall_level: Set(LadderLevel::of_score(overall)),
        household_size: Set(input.household_size),
        income_per_person_satang: Set(input.income_per_person_satang),
        income_level: Set(income_level(input.income_per_person_satang, &line)),
        poverty_line_year: Set(line.year_be),
        has_land: Set(input.has_land),
        indicators: Set(input.indicators.clone().map(JsonDocument)),
        notes: Set(notes),
        collector_id: Set(actor.id),
        client_uuid: Set(input.client_uuid),
        created_at: Set(now),
        activated_at: Set(input.activate.then_some(now)),
        closed_at: Set(None),
    };
    Ok(CheckedAssessment {
        row,
        id,
        household_id: input.household_id,
        activate: input.activate,
    })
}

/// Writes a checked assessment inside the caller's transaction: with `activate`, the
/// household's ACTIVE assessment becomes SUPERSEDED first; the CREATE audit event goes in the
/// same transaction.
pub async fn write_assessment(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    checked: CheckedAssessment,
) -> ApiResult<Uuid> {
    if checked.activate {
        supersede_active(conn, checked.household_id, Utc::now()).await?;
    }
    let written = checked.row.insert(conn).await?;
    record(
        conn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Assessment", checked.id)
            .fields(["scores", "householdSize", "incomePerPerson", "status"]),
    )
    .await?;
    if checked.activate {
        crate::graduation::service::watch_activation(conn, actor, &written).await?;
    }
    Ok(checked.id)
}

/// Records an assessment; with `activate`, the household's ACTIVE assessment becomes
/// SUPERSEDED in the same transaction.
pub async fn record_assessment(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewAssessment,
    idem: Option<IdemKey>,
) -> ApiResult<assessment::Model> {
    let id = idempotency::run(db, idem.as_ref(), || async {
        let checked = check_assessment(db, scope, actor, &input).await?;
        let household_id = checked.household_id;
        let txn = db.begin().await?;
        let id = write_assessment(&txn, actor, checked).await?;
        crate::rollup::touch(&txn, &[household_id]).await?;
        if let Some(key) = &idem {
            idempotency::remember(&txn, key, &id.to_string()).await?;
        }
        txn.commit().await?;
        Ok(id.to_string())
    })
    .await?;
    find(db, Uuid::parse_str(&id).map_err(ApiError::internal)?).await
}

async fn supersede_active(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
    now: chrono::DateTime<Utc>,
) -> ApiResult<()> {
    assessment::Entity::update_many()
        .col_expr(
            assessment::Column::Status,
            Expr::value(AssessmentStatus::Superseded),
        )
        .col_expr(assessment::Column::ClosedAt, Expr::value(now))
        .filter(assessment::Column::HouseholdId.eq(household_id))
        .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
        .exec(conn)
        .await?;
    Ok(())
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<assessment::Model> {
    assessment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("assessment"))
}

/// Assessments of households the scope may see.
pub fn visible_assessments(scope: &Scope) -> Select<assessment::Entity> {
    assessment::Entity::find().filter(in_visible_household(scope, assessment::Column::HouseholdId))
}

/// An assessment of a household the scope may see.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<assessment::Model> {
    visible_assessments(scope)
        .filter(assessment::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("assessment"))
}

/// DRAFT → ACTIVE (the current ACTIVE one becomes SUPERSEDED); DRAFT or ACTIVE → CANCELLED.
pub async fn change_status(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    to: AssessmentStatus,
    reason: Option<String>,
) -> ApiResult<assessment::Model> {
    let current = find_visible(db, scope, id).await?;
    let allowed = matches!(
        (current.status, to),
        (AssessmentStatus::Draft, AssessmentStatus::Active)
            | (AssessmentStatus::Draft, AssessmentStatus::Cancelled)
            | (AssessmentStatus::Active, AssessmentStatus::Cancelled)
    );
    if !allowed {
        return Err(ApiError::bad_input(
            "id",
            format!(
                "a {} assessment cannot become {}",
                current.status.to_value(),
                to.to_value()
            ),
        ));
    }
    let reason = text(reason.as_deref(), "reason", 1000)?;
    if to == AssessmentStatus::Cancelled && reason.is_none() {
        return Err(ApiError::bad_input("reason", "say why it is cancelled"));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    if to == AssessmentStatus::Active {
        supersede_active(&txn, current.household_id, now).await?;
    }
    let mut update =
        assessment::Entity::update_many().col_expr(assessment::Column::Status, Expr::value(to));
    update = if to == AssessmentStatus::Active {
        update.col_expr(assessment::Column::ActivatedAt, Expr::value(now))
    } else {
        update.col_expr(assessment::Column::ClosedAt, Expr::value(now))
    };
    let res = update
        .filter(assessment::Column::Id.eq(id))
        .filter(assessment::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ApiError::stale("assessment"));
    }
    let mut entry = AuditEntry::by(actor, AuditAction::Transition)
        .entity("Assessment", id)
        .fields(["status"]);
    if let Some(r) = reason {
        entry = entry.reason(r);
    }
    record(&txn, entry).await?;
    if to == AssessmentStatus::Active {
        crate::graduation::service::watch_activation(&txn, actor, &current).await?;
    }
    crate::rollup::touch(&txn, &[current.household_id]).await?;
    txn.commit().await?;
    find(db, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> poverty_line::Model {
        poverty_line::Model {
            year_be: 2563,
            poverty_line: 2762,
            poorest40_cut: 5346,
            median: 6531,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn ladder_bands_cut_at_1_75_2_50_and_3_25() {
        use LadderLevel::*;
        for (score, level) in [
            (100, Struggling),
            (174, Struggling),
            (175, Difficult),
            (249, Difficult),
            (250, Manageable),
            (324, Manageable),
            (325, Well),
            (400, Well),
        ] {
            assert_eq!(LadderLevel::of_score(score), level, "{score}");
        }
    }

    #[test]
    fn income_levels_cut_at_the_2563_lines_in_whole_baht() {
        use IncomeLevel::*;
        for (baht_satang, level) in [
            (0, BelowPovertyLine),
            (2762 * 100 + 99, BelowPovertyLine),
            (2763 * 100, BelowPoorest40),
            (5346 * 100, BelowPoorest40),
            (5347 * 100, BelowMedian),
            (6531 * 100, BelowMedian),
            (6532 * 100, AboveMedian),
        ] {
            assert_eq!(income_level(baht_satang, &line()), level, "{baht_satang}");
        }
    }

    #[test]
    fn scores_outside_1_to_4_are_refused_and_the_overall_rounds_half_up() {
        assert!(score_hundredths(0.99, "scores.human").is_err());
        assert!(score_hundredths(4.01, "scores.human").is_err());
        assert!(score_hundredths(f64::NAN, "scores.human").is_err());
        assert_eq!(score_hundredths(2.345, "s").unwrap(), 235);
        let s = Scores {
            human: 100,
            physical: 100,
            financial: 100,
            natural: 100,
            social: 102,
        };
        assert_eq!(s.overall(), 100); // 100.4
        let s = Scores {
            human: 100,
            physical: 100,
            financial: 100,
            natural: 101,
            social: 102,
        };
        assert_eq!(s.overall(), 101); // 100.6
    }

    #[test]
    fn buddhist_era_years_are_543_ahead() {
        assert_eq!(year_be(NaiveDate::from_ymd_opt(2020, 6, 1).unwrap()), 2563);
    }
}
