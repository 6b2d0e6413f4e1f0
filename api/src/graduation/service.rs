//! Graduation and relapse (docs/graduation.md): the criteria, their evaluation, the writes
//! that go inside a household transition or an assessment's activation, and the conditions
//! of the households filter.
//!
//! **Criteria** (thresholds from `settings.measurement`): a household may graduate when
//! (a) it is ENROLLED; (b) its latest two *counting* assessments (ACTIVE or SUPERSEDED, never
//! DRAFT or CANCELLED; latest by `assessed_on`, then `activated_at`) both reach the minimum
//! overall ladder level; (c) both reach the minimum income level; (d) their assessment dates
//! lie at least the minimum gap apart. A value exactly at a threshold holds.
use std::collections::HashMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{
    assessment,
    enums::{
        AssessmentStatus, AuditAction, HouseholdStatus, IncomeLevel, JsonDocument, LadderLevel,
    },
    graduation, household,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, WindowStatement},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::Scope,
    config::MeasurementSettings,
    error::{ApiError, ApiResult},
    household::service::in_visible_household,
};

/// Assessment states that count towards graduation (DRAFT and CANCELLED never do).
pub const COUNTING: [AssessmentStatus; 2] =
    [AssessmentStatus::Active, AssessmentStatus::Superseded];

/// Position of an income level on the ladder of the poverty-line table
/// (BELOW_POVERTY_LINE < BELOW_POOREST_40 < BELOW_MEDIAN < ABOVE_MEDIAN).
pub fn income_rank(level: IncomeLevel) -> u8 {
    match level {
        IncomeLevel::BelowPovertyLine => 0,
        IncomeLevel::BelowPoorest40 => 1,
        IncomeLevel::BelowMedian => 2,
        IncomeLevel::AboveMedian => 3,
    }
}

/// The four graduation criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CriterionName {
    Enrolled,
    OverallLevel,
    IncomeLevel,
    AssessmentGap,
}

impl CriterionName {
    pub fn as_str(self) -> &'static str {
        match self {
            CriterionName::Enrolled => "ENROLLED",
            CriterionName::OverallLevel => "OVERALL_LEVEL",
            CriterionName::IncomeLevel => "INCOME_LEVEL",
            CriterionName::AssessmentGap => "ASSESSMENT_GAP",
        }
    }
}

/// One criterion as judged: whether it holds, its threshold, what was observed (latest
/// assessment first) and a sentence saying so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    pub name: CriterionName,
    pub holds: bool,
    pub threshold: String,
    pub observed: Vec<String>,
    pub detail: String,
}

/// Whether a household may graduate, with the assessments it was judged on (latest first).
#[derive(Debug, Clone)]
pub struct Readiness {
    pub criteria: Vec<Criterion>,
    pub assessments: Vec<assessment::Model>,
    pub gap_days: Option<i64>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.criteria.iter().all(|c| c.holds)
    }

    /// BAD_USER_INPUT on `to` listing every unmet criterion.
    pub fn refusal(&self) -> ApiError {
        let unmet: Vec<String> = self
            .criteria
            .iter()
            .filter(|c| !c.holds)
            .map(|c| format!("{} ({})", c.name.as_str(), c.detail))
            .collect();
        ApiError::bad_input(
            "to",
            format!(
                "the household does not meet the graduation criteria; unmet: {}",
                unmet.join("; ")
            ),
        )
    }
}

/// Judges the criteria for a household in `status` whose latest counting assessments are
/// `latest` (latest first; only the first two are looked at).
pub fn evaluate(
    status: HouseholdStatus,
    latest: &[assessment::Model],
    m: &MeasurementSettings,
) -> Readiness {
    let latest: Vec<assessment::Model> = latest.iter().take(2).cloned().collect();
    let min_level = m.graduation_min_level.to_value();
    let min_income = m.graduation_min_income_level.to_value();
    let mut criteria = Vec::with_capacity(4);

    criteria.push(Criterion {
        name: CriterionName::Enrolled,
        holds: status == HouseholdStatus::Enrolled,
        threshold: "ENROLLED".into(),
        observed: vec![status.to_value()],
        detail: if status == HouseholdStatus::Enrolled {
            "the household is ENROLLED".into()
        } else {
            format!(
                "the household is {}; only an ENROLLED household graduates",
                status.to_value()
            )
        },
    });

    let two = latest.len() == 2;
    let missing = || {
        format!(
            "two counting assessments (ACTIVE or SUPERSEDED) are needed; the household has {}",
            latest.len()
        )
    };
    let levels: Vec<String> = latest.iter().map(|a| a.overall_level.to_value()).collect();
    let below_level: Vec<&assessment::Model> = latest
        .iter()
        .filter(|a| a.overall_level < m.graduation_min_level)
        .collect();
    criteria.push(Criterion {
        name: CriterionName::OverallLevel,
        holds: two && below_level.is_empty(),
        threshold: min_level.clone(),
        observed: levels,
        detail: if !two {
            missing()
        } else if below_level.is_empty() {
            format!("both latest assessments are at least {min_level}")
        } else {
            format!(
                "{} below {min_level}",
                below_level
                    .iter()
                    .map(|a| format!(
                        "the assessment of {} is {}",
                        a.assessed_on,
                        a.overall_level.to_value()
                    ))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        },
    });

    let incomes: Vec<String> = latest.iter().map(|a| a.income_level.to_value()).collect();
    let below_income: Vec<&assessment::Model> = latest
        .iter()
        .filter(|a| income_rank(a.income_level) < income_rank(m.graduation_min_income_level))
        .collect();
    criteria.push(Criterion {
        name: CriterionName::IncomeLevel,
        holds: two && below_income.is_empty(),
        threshold: min_income.clone(),
        observed: incomes,
        detail: if !two {
            missing()
        } else if below_income.is_empty() {
            format!("both latest assessments have an income level of at least {min_income}")
        } else {
            format!(
                "{} below {min_income}",
                below_income
                    .iter()
                    .map(|a| format!(
                        "the income of {} is {}",
                        a.assessed_on,
                        a.income_level.to_value()
                    ))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        },
    });

    let gap_days = two.then(|| (latest[0].assessed_on - latest[1].assessed_on).num_days());
    let min_gap = i64::from(m.graduation_min_gap_days);
    criteria.push(Criterion {
        name: CriterionName::AssessmentGap,
        holds: gap_days.is_some_and(|g| g >= min_gap),
        threshold: min_gap.to_string(),
        observed: gap_days.iter().map(|g| g.to_string()).collect(),
        detail: match gap_days {
            None => missing(),
            Some(g) if g >= min_gap => {
                format!("the latest two assessments are {g} days apart (at least {min_gap})")
            }
            Some(g) => format!(
                "the latest two assessments are {g} days apart; at least {min_gap} are needed"
            ),
        },
    });

    Readiness {
        criteria,
        assessments: latest,
        gap_days,
    }
}

/// The latest two counting assessments of each household (latest first), among `select`
/// (the caller's visibility), in one windowed statement.
pub async fn latest_counting_assessments(
    db: &impl ConnectionTrait,
    select: Select<assessment::Entity>,
    household_ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, Vec<assessment::Model>>> {
    if household_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut inner = select
        .filter(assessment::Column::HouseholdId.is_in(household_ids))
        .filter(assessment::Column::Status.is_in(COUNTING))
        .into_query();
    inner.expr_window_as(
        Func::cust(Alias::new("ROW_NUMBER")),
        WindowStatement::partition_by(assessment::Column::HouseholdId)
            .order_by(assessment::Column::AssessedOn, Order::Desc)
            .order_by(assessment::Column::ActivatedAt, Order::Desc)
            .order_by(assessment::Column::Id, Order::Desc)
            .to_owned(),
        Alias::new("graduation_row"),
    );
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("numbered"))
        .and_where(Expr::col(Alias::new("graduation_row")).lte(2))
        .order_by(Alias::new("graduation_row"), Order::Asc)
        .to_owned();
    let stmt = db.get_database_backend().build(&outer);
    let mut out: HashMap<Uuid, Vec<assessment::Model>> = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let a = assessment::Model::from_query_result(&row, "")?;
        out.entry(a.household_id).or_default().push(a);
    }
    Ok(out)
}

/// Readiness of one household, read on `conn` (inside a write's transaction or not).
pub async fn readiness_of(
    conn: &impl ConnectionTrait,
    household: &household::Model,
    m: &MeasurementSettings,
) -> ApiResult<Readiness> {
    let latest = latest_counting_assessments(conn, assessment::Entity::find(), vec![household.id])
        .await?
        .remove(&household.id)
        .unwrap_or_default();
    Ok(evaluate(household.status, &latest, m))
}

/// BAD_USER_INPUT on `to`, listing the unmet criteria, unless the household may graduate.
pub async fn check_ready(
    conn: &impl ConnectionTrait,
    household: &household::Model,
    m: &MeasurementSettings,
) -> ApiResult<()> {
    let readiness = readiness_of(conn, household, m).await?;
    if readiness.ready() {
        Ok(())
    } else {
        Err(readiness.refusal())
    }
}

/// One assessment as the snapshot keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotAssessment {
    pub id: Uuid,
    pub assessed_on: NaiveDate,
    pub activated_at: Option<DateTime<Utc>>,
    pub status: String,
    pub overall_level: String,
    /// Hundredths (325 = 3.25).
    pub overall_score: i32,
    pub income_level: String,
    pub income_per_person_satang: i64,
    pub poverty_line_year: i32,
}

/// What a graduation was judged on (the `criteria` JSON column): the thresholds in force, the
/// two assessments and every criterion as it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub min_level: String,
    pub min_income_level: String,
    pub min_gap_days: u32,
    pub monitor_months: u32,
    pub gap_days: Option<i64>,
    /// Latest first.
    pub assessments: Vec<SnapshotAssessment>,
    pub criteria: Vec<Criterion>,
}

impl Snapshot {
    pub fn of(readiness: &Readiness, m: &MeasurementSettings) -> Snapshot {
        Snapshot {
            min_level: m.graduation_min_level.to_value(),
            min_income_level: m.graduation_min_income_level.to_value(),
            min_gap_days: m.graduation_min_gap_days,
            monitor_months: m.monitor_months,
            gap_days: readiness.gap_days,
            assessments: readiness
                .assessments
                .iter()
                .map(|a| SnapshotAssessment {
                    id: a.id,
                    assessed_on: a.assessed_on,
                    activated_at: a.activated_at,
                    status: a.status.to_value(),
                    overall_level: a.overall_level.to_value(),
                    overall_score: a.overall_score,
                    income_level: a.income_level.to_value(),
                    income_per_person_satang: a.income_per_person_satang,
                    poverty_line_year: a.poverty_line_year,
                })
                .collect(),
            criteria: readiness.criteria.clone(),
        }
    }

    pub fn parse(g: &graduation::Model) -> ApiResult<Snapshot> {
        serde_json::from_value(g.criteria.0.clone()).map_err(ApiError::internal)
    }

    /// The thresholds a later assessment is held to during the monitoring window.
    pub fn thresholds(&self) -> ApiResult<(LadderLevel, IncomeLevel)> {
        let level = LadderLevel::try_from_value(&self.min_level).map_err(ApiError::internal)?;
        let income =
            IncomeLevel::try_from_value(&self.min_income_level).map_err(ApiError::internal)?;
        Ok((level, income))
    }
}

/// Inside a household transition's transaction, after the status change: ENROLLED →
/// GRADUATED writes the graduation (criteria judged again inside the transaction, with their
/// snapshot and the monitoring window); GRADUATED → ENROLLED records the relapse on the
/// latest graduation. Other transitions do nothing here. The caller calls `rollup::touch`
/// for the household after this, before it commits (`transition_household` does), so the
/// graduation and relapse counts of the dashboards follow.
pub async fn on_transition(
    conn: &impl ConnectionTrait,
    before: &household::Model,
    to: HouseholdStatus,
    reason: Option<&str>,
    actor: &Actor,
    m: &MeasurementSettings,
) -> ApiResult<()> {
    match (before.status, to) {
        (HouseholdStatus::Enrolled, HouseholdStatus::Graduated) => {
            let readiness = readiness_of(conn, before, m).await?;
            if !readiness.ready() {
                return Err(readiness.refusal());
            }
            let now = Utc::now();
            let graduated_on = now.date_naive();
            let monitor_until = graduated_on
                .checked_add_months(Months::new(m.monitor_months))
                .ok_or_else(|| ApiError::internal("monitoring window out of range"))?;
            let snapshot =
                serde_json::to_value(Snapshot::of(&readiness, m)).map_err(ApiError::internal)?;
            graduation::ActiveModel {
                id: Set(Uuid::now_v7()),
                household_id: Set(before.id),
                graduated_on: Set(graduated_on),
                graduated_by: Set(actor.id),
                criteria: Set(JsonDocument(snapshot)),
                monitor_until: Set(monitor_until),
                relapse_risk_at: Set(None),
                relapse_risk_assessment_id: Set(None),
                relapsed_at: Set(None),
                relapse_reason: Set(None),
                created_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
        (HouseholdStatus::Graduated, HouseholdStatus::Enrolled) => {
            // Every earlier graduation was closed by its own relapse, so the open one is the
            // latest.
            graduation::Entity::update_many()
                .col_expr(graduation::Column::RelapsedAt, Expr::value(Utc::now()))
                .col_expr(
                    graduation::Column::RelapseReason,
                    Expr::value(reason.map(str::to_string)),
                )
                .filter(graduation::Column::HouseholdId.eq(before.id))
                .filter(graduation::Column::RelapsedAt.is_null())
                .exec(conn)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Inside the transaction that makes `a` ACTIVE: when its household is GRADUATED, its
/// latest graduation's monitoring window is still open (today ≤ `monitor_until`) and `a`
/// falls below the thresholds that graduation was judged on (overall level or income level),
/// flags the relapse risk (once: a flag already raised stays as it was). The flag is written
/// to the audit log as an UPDATE of the household naming `graduation.relapseRisk`. The caller
/// calls `rollup::touch` for the household after this, before it commits (every activation
/// does: `record_assessment`, `change_status`, `completeVisit`).
pub async fn watch_activation(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    a: &assessment::Model,
) -> ApiResult<()> {
    let today = Utc::now().date_naive();
    let graduated_households = household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .filter(household::Column::Id.eq(a.household_id))
        .filter(household::Column::Status.eq(HouseholdStatus::Graduated))
        .into_query();
    let Some(g) = graduation::Entity::find()
        .filter(graduation::Column::HouseholdId.in_subquery(graduated_households))
        .filter(graduation::Column::RelapsedAt.is_null())
        .filter(graduation::Column::RelapseRiskAt.is_null())
        .filter(graduation::Column::MonitorUntil.gte(today))
        .order_by_desc(graduation::Column::GraduatedOn)
        .order_by_desc(graduation::Column::Id)
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let (min_level, min_income) = Snapshot::parse(&g)?.thresholds()?;
    let below =
        a.overall_level < min_level || income_rank(a.income_level) < income_rank(min_income);
    if !below {
        return Ok(());
    }
    let res = graduation::Entity::update_many()
        .col_expr(graduation::Column::RelapseRiskAt, Expr::value(Utc::now()))
        .col_expr(
            graduation::Column::RelapseRiskAssessmentId,
            Expr::value(a.id),
        )
        .filter(graduation::Column::Id.eq(g.id))
        .filter(graduation::Column::RelapseRiskAt.is_null())
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        record(
            conn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", a.household_id)
                .fields(["graduation.relapseRisk"]),
        )
        .await?;
    }
    Ok(())
}

/// Graduations of households the scope may see.
pub fn visible_graduations(scope: &Scope) -> Select<graduation::Entity> {
    graduation::Entity::find().filter(in_visible_household(scope, graduation::Column::HouseholdId))
}

/// The latest graduation (by date, then creation) of each household, among `select`.
pub async fn latest_graduations(
    db: &impl ConnectionTrait,
    select: Select<graduation::Entity>,
    household_ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, graduation::Model>> {
    if household_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // A household graduates again only after a relapse, so it has few rows: one statement
    // for the whole batch, the latest picked here.
    let rows = select
        .filter(graduation::Column::HouseholdId.is_in(household_ids))
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, graduation::Model> = HashMap::new();
    for g in rows {
        match out.get(&g.household_id) {
            Some(cur) if (cur.graduated_on, cur.id) >= (g.graduated_on, g.id) => {}
            _ => {
                out.insert(g.household_id, g);
            }
        }
    }
    Ok(out)
}

/// The graduation filter of `households(filter:)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GraduationState {
    /// Status GRADUATED.
    Graduated,
    /// Status GRADUATED and its open (latest) graduation has a relapse risk flagged.
    AtRisk,
    /// Has a graduation with a recorded relapse (whatever the status now).
    Relapsed,
}

/// The SQL condition on the household table for a graduation state (EXISTS subqueries
/// correlated with the outer household row).
pub fn household_condition(state: GraduationState) -> Condition {
    let graduation_where = |cond: Condition| {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(graduation::Entity)
                .and_where(
                    Expr::col((graduation::Entity, graduation::Column::HouseholdId))
                        .equals((household::Entity, household::Column::Id)),
                )
                .cond_where(cond)
                .to_owned(),
        )
    };
    let graduated = household::Column::Status.eq(HouseholdStatus::Graduated);
    match state {
        GraduationState::Graduated => Condition::all().add(graduated),
        GraduationState::AtRisk => Condition::all().add(graduated).add(graduation_where(
            Condition::all()
                .add(Expr::col((graduation::Entity, graduation::Column::RelapsedAt)).is_null())
                .add(
                    Expr::col((graduation::Entity, graduation::Column::RelapseRiskAt))
                        .is_not_null(),
                ),
        )),
        GraduationState::Relapsed => Condition::all()
            .add(graduation_where(Condition::all().add(
                Expr::col((graduation::Entity, graduation::Column::RelapsedAt)).is_not_null(),
            ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(on: &str, level: LadderLevel, income: IncomeLevel) -> assessment::Model {
        assessment::Model {
            id: Uuid::now_v7(),
            household_id: Uuid::nil(),
            status: AssessmentStatus::Active,
            assessed_on: on.parse().unwrap(),
            human: 300,
            physical: 300,
            financial: 300,
            natural: 300,
            social: 300,
            overall_score: 300,
            overall_level: level,
            household_size: 3,
            income_per_person_satang: 400_000,
            income_level: income,
            poverty_line_year: 2563,
            has_land: None,
            indicators: None,
            notes: None,
            collector_id: None,
            client_uuid: None,
            created_at: Utc::now(),
            activated_at: Some(Utc::now()),
            closed_at: None,
        }
    }

    #[test]
    fn thresholds_hold_exactly_at_the_edge_and_fail_one_short() {
        use IncomeLevel::*;
        use LadderLevel::*;
        let m = MeasurementSettings::default();
        let ok = evaluate(
            HouseholdStatus::Enrolled,
            &[
                a("2026-04-01", Manageable, BelowPoorest40),
                a("2026-01-01", Manageable, BelowPoorest40),
            ],
            &m,
        );
        assert!(ok.ready(), "{:?}", ok.criteria);
        assert_eq!(ok.gap_days, Some(90));
        let short = evaluate(
            HouseholdStatus::Enrolled,
            &[
                a("2026-03-31", Well, AboveMedian),
                a("2026-01-01", Difficult, BelowPovertyLine),
            ],
            &m,
        );
        let failed: Vec<CriterionName> = short
            .criteria
            .iter()
            .filter(|c| !c.holds)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            failed,
            [
                CriterionName::OverallLevel,
                CriterionName::IncomeLevel,
                CriterionName::AssessmentGap
            ]
        );
    }

    #[test]
    fn one_assessment_or_another_status_is_not_ready() {
        let m = MeasurementSettings::default();
        let one = evaluate(
            HouseholdStatus::Enrolled,
            &[a("2026-04-01", LadderLevel::Well, IncomeLevel::AboveMedian)],
            &m,
        );
        assert!(!one.ready());
        assert!(one.criteria[0].holds);
        let verified = evaluate(HouseholdStatus::Verified, &[], &m);
        assert!(!verified.criteria[0].holds);
        assert!(verified.refusal().message().contains("ENROLLED"));
    }
}
