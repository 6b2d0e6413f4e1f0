//! Reads for ladder movement: the rows of an area and period in a constant number of
//! statements (a count, the counting assessments, interventions, matches, adoptions), each
//! through the viewer's visibility (`visible_*`), then the figures in memory (`compute`).
use chrono::{Months, NaiveDate, Utc};
use entity::{
    assessment,
    enums::{InterventionKind, MatchStatus},
    household, intervention, r#match as matches, match_event,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, sea_query::SelectStatement,
};
use uuid::Uuid;

use super::compute::{self, Facts, Inputs, Snap};
use crate::{
    area::prefix::DopaPrefix,
    assessment::service::visible_assessments,
    auth::Scope,
    case::service::visible_interventions,
    error::{ApiError, ApiResult},
    graduation::service::COUNTING,
    graphql::pagination::{Page, PageArgs},
    household::service::visible_households,
    matching::service::visible_matches,
};

/// The most households one `mobility` request reads (its rows are held in memory).
pub const MAX_HOUSEHOLDS: u64 = 50_000;
/// The longest period, in years.
pub const MAX_PERIOD_YEARS: u32 = 20;
/// How far back a technology's measured effect looks (recommendations), in months.
pub const EVIDENCE_MONTHS: u32 = 24;

/// A checked area and period.
#[derive(Debug, Clone)]
pub struct Period {
    pub area: DopaPrefix,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Checks the arguments of `mobility` and `mobilityHouseholds`.
pub fn check_period(area_code: &str, from: NaiveDate, to: NaiveDate) -> ApiResult<Period> {
    let area = DopaPrefix::parse(area_code, "areaCode")?;
    if from > to {
        return Err(ApiError::bad_input("from", "from must not be after to"));
    }
    if from
        .checked_add_months(Months::new(12 * MAX_PERIOD_YEARS))
        .is_some_and(|limit| to > limit)
    {
        return Err(ApiError::bad_input(
            "to",
            format!("a period spans at most {MAX_PERIOD_YEARS} years"),
        ));
    }
    Ok(Period { area, from, to })
}

/// Ids of the households (of any visibility) under an area prefix.
fn in_area(area: &DopaPrefix) -> SelectStatement {
    household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .filter(household::Column::VillageCode.like(area.pattern()))
        .into_query()
}

/// The raw rows of the visible households of an area, for a period ending `to`; interventions
/// only when `with_interventions`. Statements: 3 or 4 (fewer when nothing is assessed).
pub async fn load_inputs(
    db: &impl ConnectionTrait,
    scope: &Scope,
    area: &DopaPrefix,
    to: NaiveDate,
    with_interventions: bool,
) -> ApiResult<Inputs> {
    let assessments: Vec<Snap> = visible_assessments(scope)
        .filter(assessment::Column::HouseholdId.in_subquery(in_area(area)))
        .filter(assessment::Column::Status.is_in(COUNTING))
        .filter(assessment::Column::AssessedOn.lte(to))
        .select_only()
        .columns([
            assessment::Column::Id,
            assessment::Column::HouseholdId,
            assessment::Column::AssessedOn,
            assessment::Column::ActivatedAt,
            assessment::Column::Human,
            assessment::Column::Physical,
            assessment::Column::Financial,
            assessment::Column::Natural,
            assessment::Column::Social,
            assessment::Column::OverallScore,
            assessment::Column::OverallLevel,
            assessment::Column::IncomeLevel,
            assessment::Column::IncomePerPersonSatang,
        ])
        .into_model::<Snap>()
        .all(db)
        .await?;
    let Some(earliest) = assessments.iter().map(|a| a.assessed_on).min() else {
        return Ok(Inputs::default());
    };
    let interventions = async {
        if !with_interventions {
            return Ok(Vec::new());
        }
        visible_interventions(scope)
            .filter(intervention::Column::HouseholdId.in_subquery(in_area(area)))
            .filter(intervention::Column::DeliveredOn.between(earliest, to))
            .select_only()
            .columns([
                intervention::Column::HouseholdId,
                intervention::Column::Kind,
                intervention::Column::DeliveredOn,
            ])
            .into_tuple::<(Uuid, InterventionKind, NaiveDate)>()
            .all(db)
            .await
    };
    let area_matches =
        || visible_matches(scope).filter(matches::Column::HouseholdId.in_subquery(in_area(area)));
    let matched = area_matches()
        .select_only()
        .columns([
            matches::Column::HouseholdId,
            matches::Column::TechnologyId,
            matches::Column::Id,
        ])
        .into_tuple::<(Uuid, Uuid, Uuid)>()
        .all(db);
    let adoptions = match_event::Entity::find()
        .filter(match_event::Column::ToStatus.eq(MatchStatus::Adopted))
        .filter(
            match_event::Column::MatchId.in_subquery(
                area_matches()
                    .select_only()
                    .column(matches::Column::Id)
                    .into_query(),
            ),
        )
        .select_only()
        .columns([
            match_event::Column::MatchId,
            match_event::Column::OccurredAt,
        ])
        .into_tuple::<(Uuid, chrono::DateTime<Utc>)>()
        .all(db);
    let (interventions, matches, adoptions) = tokio::try_join!(interventions, matched, adoptions)?;
    Ok(Inputs {
        assessments,
        interventions,
        matches,
        adoptions,
    })
}

/// The facts of every visible household of the area with a counting assessment on or before
/// the end of the period; BAD_USER_INPUT on `areaCode` above `MAX_HOUSEHOLDS`.
pub async fn area_facts(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: &Period,
) -> ApiResult<Vec<Facts>> {
    let households = visible_households(scope)
        .filter(household::Column::VillageCode.like(period.area.pattern()))
        .count(db)
        .await?;
    if households > MAX_HOUSEHOLDS {
        return Err(ApiError::bad_input(
            "areaCode",
            format!(
                "this area has {households} households in your scope, more than the {MAX_HOUSEHOLDS} one request measures; narrow it to a district or subdistrict"
            ),
        ));
    }
    let inputs = load_inputs(db, scope, &period.area, period.to, true).await?;
    Ok(compute::facts(inputs, Some(period.from), Some(period.to)))
}

/// The measured effect of every technology with adopters in a province over the last
/// `EVIDENCE_MONTHS` (all households of the province, whoever asks: the figures are
/// aggregates). Statements: 3.
pub async fn province_evidence(
    db: &impl ConnectionTrait,
    province: &str,
) -> ApiResult<(NaiveDate, Vec<(Uuid, compute::TechStats)>)> {
    let today = Utc::now().date_naive();
    let since = today
        .checked_sub_months(Months::new(EVIDENCE_MONTHS))
        .unwrap_or(today);
    let area = DopaPrefix::parse(province, "areaCode")?;
    let inputs = load_inputs(db, &Scope::All, &area, today, false).await?;
    let facts = compute::facts(inputs, Some(since), Some(today));
    Ok((since, compute::by_technology(&facts)))
}

/// The visible households behind a figure of `mobility` (`criteria` over the area's facts),
/// one page of them by ascending id, and how many there are in all.
pub async fn households_behind(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: &Period,
    criteria: &compute::Criteria,
    args: &PageArgs,
) -> ApiResult<(Page<household::Model>, u64)> {
    let facts = area_facts(db, scope, period).await?;
    let ids = compute::select(&facts, criteria);
    let total = ids.len() as u64;
    let (page_ids, has_next, has_previous) = page_of(&ids, args)?;
    let mut rows = if page_ids.is_empty() {
        Vec::new()
    } else {
        visible_households(scope)
            .filter(household::Column::Id.is_in(page_ids.iter().copied()))
            .all(db)
            .await?
    };
    rows.sort_by_key(|h| page_ids.iter().position(|id| *id == h.id));
    Ok((
        Page {
            items: rows,
            has_next,
            has_previous,
        },
        total,
    ))
}

/// One page of ascending ids, keyset on the id (as `fetch_page` pages a list).
fn page_of(ids: &[Uuid], args: &PageArgs) -> ApiResult<(Vec<Uuid>, bool, bool)> {
    let field = if args.backward { "before" } else { "after" };
    let cursor = args
        .cursor
        .as_deref()
        .map(|c| {
            Uuid::parse_str(c)
                .map_err(|_| ApiError::bad_input(field, format!("{field} is not a valid cursor")))
        })
        .transpose()?;
    let limit = args.limit as usize;
    if args.backward {
        let upto: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| cursor.is_none_or(|c| *id < c))
            .collect();
        let start = upto.len().saturating_sub(limit);
        Ok((upto[start..].to_vec(), cursor.is_some(), start > 0))
    } else {
        let after: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| cursor.is_none_or(|c| *id > c))
            .collect();
        let more = after.len() > limit;
        Ok((
            after.into_iter().take(limit).collect(),
            more,
            cursor.is_some(),
        ))
    }
}
