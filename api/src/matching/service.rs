//! Matches: recommendations for one household, area-wide matching runs, and the match
//! lifecycle (SUGGESTED → OFFERED → ACCEPTED → IN_TRAINING → ADOPTED → SUSTAINED, or
//! DECLINED / DROPPED), every change recorded with who, when and why.
use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use entity::{
    assessment,
    enums::{
        AssessmentStatus, AuditAction, HouseholdStatus, JsonDocument, MatchStatus, OutcomeEvidence,
        Reasons,
    },
    household, r#match as matches, match_event, matching_run, membership, person, service as svc,
    technology,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Set, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    fitness::{CatalogueCache, Fitness, Scorable, capitals},
    recommend::{
        Fit, Offer, Profile, TrackRecords, score_service, score_technology, suits, working_age,
    },
    solver,
};
use crate::{
    assessment::service::{Scores, poverty_line_for, year_be},
    audit::service::{Actor, AuditEntry, record},
    auth::{Scope, Viewer, policy},
    config::{MatchWeights, MeasurementSettings},
    error::{ApiError, ApiResult},
    household::{
        service::{find_household, in_visible_household, visible_households},
        validate::text,
    },
    mobility::evidence::EvidenceCache,
    state::Services,
};

/// Profiles of households (id, village code) that have an ACTIVE assessment, by id.
pub async fn profiles(
    db: &impl ConnectionTrait,
    households: &[(Uuid, String)],
) -> ApiResult<HashMap<Uuid, Profile>> {
    let ids: Vec<Uuid> = households.iter().map(|(id, _)| *id).collect();
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let today = Utc::now().date_naive();
    // The poverty line, the assessments and the members' birth dates are independent reads:
    // issue them together rather than one round trip after the other.
    let rows = async {
        let mut active: HashMap<Uuid, assessment::Model> = HashMap::new();
        let mut working: HashMap<Uuid, i32> = HashMap::new();
        for chunk in ids.chunks(5000) {
            let assessments = assessment::Entity::find()
                .filter(assessment::Column::HouseholdId.is_in(chunk.iter().copied()))
                .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
                .all(db);
            let members = membership::Entity::find()
                .select_only()
                .column(membership::Column::HouseholdId)
                .column(person::Column::BirthDate)
                .join(
                    sea_orm::JoinType::InnerJoin,
                    membership::Relation::Person.def(),
                )
                .filter(membership::Column::HouseholdId.is_in(chunk.iter().copied()))
                .filter(membership::Column::EndDate.is_null())
                .into_tuple::<(Uuid, Option<chrono::NaiveDate>)>()
                .all(db);
            let (assessments, members) = tokio::try_join!(assessments, members)?;
            for a in assessments {
                active.insert(a.household_id, a);
            }
            let mut births: HashMap<Uuid, Vec<Option<chrono::NaiveDate>>> = HashMap::new();
            for (h, b) in members {
                births.entry(h).or_default().push(b);
            }
            for (h, b) in births {
                working.insert(h, working_age(b, today));
            }
        }
        Ok::<_, ApiError>((active, working))
    };
    let (line, (mut active, working)) =
        tokio::try_join!(poverty_line_for(db, year_be(today)), rows)?;
    for (id, village_code) in households {
        if let Some(a) = active.remove(id) {
            out.insert(
                *id,
                Profile {
                    scores: Scores::of(&a),
                    household_size: a.household_size,
                    income_per_person_satang: a.income_per_person_satang,
                    has_land: a.has_land,
                    working_age_members: working.get(id).copied().unwrap_or(0),
                    village_code: village_code.clone(),
                    poverty_line: line.poverty_line,
                },
            );
        }
    }
    Ok(out)
}

/// What scoring reads besides the household and the catalogue: the weights, the measurement
/// settings, and the technologies' measured effects (cached per province).
#[derive(Clone, Copy)]
pub struct Scoring<'a> {
    pub weights: &'a MatchWeights,
    pub measurement: &'a MeasurementSettings,
    pub evidence: &'a EvidenceCache,
}

impl<'a> Scoring<'a> {
    /// As configured for this server.
    pub fn of(services: &'a Services) -> Self {
        Self {
            weights: &services.settings.match_weights,
            measurement: &services.settings.measurement,
            evidence: &services.evidence,
        }
    }
}

/// The measured effect of every technology with adopters in `province` over the last 24
/// months (`mobility::service::province_evidence`: three statements, whatever the number of
/// technologies, or one when the province's evidence is cached), with the minimum sample
/// each group needs.
async fn track_records(
    db: &impl ConnectionTrait,
    scoring: Scoring<'_>,
    province: &str,
) -> ApiResult<TrackRecords> {
    let min_sample = scoring.measurement.evidence_min_sample;
    let refresh = Duration::from_secs(scoring.measurement.evidence_refresh_secs.into());
    let evidence = scoring.evidence.province(db, province, refresh).await?;
    let (since, stats) = (evidence.0, &evidence.1);
    let by_technology = stats
        .iter()
        .map(|(t, s)| {
            let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            (
                *t,
                OutcomeEvidence {
                    adopters: count(s.adopters()),
                    adopters_moved_up: count(s.adopters_up()),
                    comparison: count(s.comparison()),
                    comparison_moved_up: count(s.comparison_up()),
                    adopter_up_rate: s.adopter_up_rate(),
                    comparison_up_rate: s.comparison_up_rate(),
                    adopter_income_change_satang: s.adopter_income_change(),
                    comparison_income_change_satang: s.comparison_income_change(),
                    since,
                    min_sample,
                },
            )
        })
        .collect();
    Ok(TrackRecords {
        by_technology,
        since,
        min_sample,
    })
}

/// The profile of one household (in scope), which needs an ACTIVE assessment.
async fn profile_of(db: &DatabaseConnection, h: &household::Model) -> ApiResult<Profile> {
    profiles(db, &[(h.id, h.village_code.clone())])
        .await?
        .remove(&h.id)
        .ok_or_else(|| {
            ApiError::bad_input(
                "householdId",
                "this household has no ACTIVE assessment yet; record one first",
            )
        })
}

pub struct Recommended<T> {
    pub item: T,
    pub score_millis: i32,
    pub reasons: Vec<entity::enums::Reason>,
}

/// Active technologies ranked for one household (best first; ties by id); hard filters drop
/// a technology entirely. The whole catalogue is scored numerically from the columns scoring
/// reads; reasons and full rows are built only for the `first` returned.
pub async fn recommend_technologies(
    db: &DatabaseConnection,
    cache: &CatalogueCache,
    scope: &Scope,
    scoring: Scoring<'_>,
    household_id: Uuid,
    first: usize,
) -> ApiResult<Vec<Recommended<technology::Model>>> {
    let h = find_household(db, scope, household_id).await?;
    let (profile, track, catalogue) = tokio::try_join!(
        profile_of(db, &h),
        track_records(db, scoring, &h.village_code[..2]),
        cache.active(db)
    )?;
    let mut ranked: Vec<(i32, &Scorable)> = catalogue
        .iter()
        .filter_map(|t| {
            super::recommend::score_millis(&profile, &t.offer(&track), scoring.weights)
                .map(|s| (s, t))
        })
        .collect();
    let by_rank =
        |a: &(i32, &Scorable), b: &(i32, &Scorable)| b.0.cmp(&a.0).then(a.1.id().cmp(&b.1.id()));
    if ranked.len() > first {
        ranked.select_nth_unstable_by(first, by_rank);
        ranked.truncate(first);
    }
    ranked.sort_by(by_rank);
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: HashMap<Uuid, technology::Model> = technology::Entity::find()
        .filter(technology::Column::Id.is_in(ranked.iter().map(|(_, t)| t.id())))
        .filter(technology::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut out = Vec::with_capacity(ranked.len());
    for (_, t) in ranked {
        // Explained with the same numbers it was ranked by (a row changed in between is
        // shown as read now, scored as ranked).
        let (
            Some(item),
            Fit::Scored {
                score_millis,
                reasons,
            },
        ) = (
            rows.remove(&t.id()),
            score_technology(&profile, &t.offer(&track), scoring.weights),
        )
        else {
            continue;
        };
        out.push(Recommended {
            item,
            score_millis,
            reasons,
        });
    }
    Ok(out)
}

/// Active services covering the household's area, ranked.
pub async fn recommend_services(
    db: &DatabaseConnection,
    scope: &Scope,
    household_id: Uuid,
    first: usize,
) -> ApiResult<Vec<Recommended<svc::Model>>> {
    let h = find_household(db, scope, household_id).await?;
    let profile = profile_of(db, &h).await?;
    let services = svc::Entity::find()
        .filter(svc::Column::Active.eq(true))
        .order_by_asc(svc::Column::Id)
        .all(db)
        .await?;
    let mut out: Vec<Recommended<svc::Model>> = services
        .into_iter()
        .filter(|s| suits(&s.coverage.0, &h.village_code))
        .map(|s| {
            let (score_millis, reasons) =
                score_service(&profile, &capitals(&s.target_capitals.0), s.category);
            Recommended {
                item: s,
                score_millis,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score_millis
            .cmp(&a.score_millis)
            .then(a.item.id.cmp(&b.item.id))
    });
    out.truncate(first);
    Ok(out)
}

/// Matches the viewer may see: of visible households for area-scoped roles; for AGENCY
/// staff, the matches their agency delivers (the household itself only opens to them with
/// consent, see `consent::gate`).
pub fn visible_matches(scope: &Scope) -> Select<matches::Entity> {
    match scope {
        Scope::Agency(agency) => {
            matches::Entity::find().filter(matches::Column::DeliveringAgencyId.eq(*agency))
        }
        _ => matches::Entity::find()
            .filter(in_visible_household(scope, matches::Column::HouseholdId)),
    }
}

/// Matching runs in the viewer's areas.
pub fn visible_runs(scope: &Scope) -> Select<matching_run::Entity> {
    matching_run::Entity::find().filter(scope.condition(matching_run::Column::AreaCode, None))
}

/// Which matches `matches` lists (within what the viewer may see).
#[derive(Debug, Default)]
pub struct MatchListFilter {
    /// Households under this DOPA prefix.
    pub area_code: Option<String>,
    /// Only these states (none: all).
    pub status: Vec<MatchStatus>,
    pub technology_id: Option<Uuid>,
    pub household_id: Option<Uuid>,
}

/// The visible matches a filter selects (unordered, unpaged).
pub fn list_matches(scope: &Scope, f: MatchListFilter) -> ApiResult<Select<matches::Entity>> {
    let mut select = visible_matches(scope);
    if !f.status.is_empty() {
        select = select.filter(matches::Column::Status.is_in(f.status));
    }
    if let Some(t) = f.technology_id {
        select = select.filter(matches::Column::TechnologyId.eq(t));
    }
    if let Some(h) = f.household_id {
        select = select.filter(matches::Column::HouseholdId.eq(h));
    }
    if let Some(code) = f.area_code.as_deref() {
        let prefix = crate::area::prefix::DopaPrefix::parse(code, "filter.areaCode")?;
        let in_area = household::Entity::find()
            .select_only()
            .column(household::Column::Id)
            .filter(household::Column::VillageCode.like(prefix.pattern()))
            .into_query();
        select = select.filter(matches::Column::HouseholdId.in_subquery(in_area));
    }
    Ok(select)
}

async fn record_match_event(
    conn: &impl ConnectionTrait,
    match_id: Uuid,
    from: Option<MatchStatus>,
    to: MatchStatus,
    reason: Option<String>,
    actor: &Actor,
) -> ApiResult<()> {
    match_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        match_id: Set(match_id),
        from_status: Set(from),
        to_status: Set(to),
        reason: Set(reason),
        actor_id: Set(actor.id),
        occurred_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Suggests one technology for one household (COORDINATOR), scored and explained as in
/// `recommendTechnologies`. A household has at most one open match: CONFLICT when it has one.
pub async fn suggest_match(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    scoring: Scoring<'_>,
    household_id: Uuid,
    technology_id: Uuid,
) -> ApiResult<matches::Model> {
    let h = find_household(db, scope, household_id).await?;
    let profile = profile_of(db, &h).await?;
    let t = technology::Entity::find_by_id(technology_id)
        .one(db)
        .await?
        .filter(|t| t.active)
        .ok_or_else(|| ApiError::bad_input("technologyId", "no active technology has this id"))?;
    let has_open = || {
        ApiError::Conflict(
            "this household has an open match already; close it (DECLINED or DROPPED) first".into(),
        )
    };
    if any_open_match(db, &[household_id]).await? {
        return Err(has_open());
    }
    let track = track_records(db, scoring, &h.village_code[..2]).await?;
    let scorable = Scorable::new(Fitness::from(&t));
    let (score_millis, reasons) =
        match score_technology(&profile, &scorable.offer(&track), scoring.weights) {
            Fit::Scored {
                score_millis,
                reasons,
            } => (score_millis, reasons),
            Fit::Excluded(why) => {
                return Err(ApiError::bad_input(
                    "technologyId",
                    format!("not suitable: {}", why.join("; ")),
                ));
            }
        };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    matches::ActiveModel {
        id: Set(id),
        household_id: Set(household_id),
        technology_id: Set(technology_id),
        run_id: Set(None),
        status: Set(MatchStatus::Suggested),
        score_millis: Set(score_millis),
        reasons: Set(Reasons(reasons)),
        delivering_agency_id: Set(t.agency_id),
        baseline_income_satang: Set(None),
        follow_up_income_satang: Set(None),
        version: Set(1),
        created_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Another suggestion or a run got there between the check and this insert.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => has_open(),
        _ => e.into(),
    })?;
    record_match_event(&txn, id, None, MatchStatus::Suggested, None, actor).await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Match", id)
            .fields(["household", "technology"]),
    )
    .await?;
    crate::rollup::touch(&txn, &[household_id]).await?;
    txn.commit().await?;
    matches::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("match"))
}

/// Where `transition_match` moves a match: the new state, why, and a follow-up income.
#[derive(Debug, Clone)]
pub struct MatchMove {
    pub to: MatchStatus,
    pub reason: Option<String>,
    pub follow_up_income_satang: Option<i64>,
}

/// Moves a match. COORDINATOR (household in scope) and the delivering agency's staff may; at
/// ACCEPTED the household's current income becomes the baseline; a follow-up income may be
/// recorded at ADOPTED and SUSTAINED. A retry with the same `key` gets the match the first
/// request moved (as the caller sees it now) instead of a version CONFLICT.
pub async fn transition_match(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    version: i32,
    change: MatchMove,
    key: Option<&crate::idempotency::IdemKey>,
) -> ApiResult<matches::Model> {
    let done = crate::idempotency::run(db, key, || async {
        let m = move_match(db, scope, actor, id, version, change, key).await?;
        Ok(m.id.to_string())
    })
    .await?;
    let done = Uuid::parse_str(&done)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored result id: {e}")))?;
    visible_matches(scope)
        .filter(matches::Column::Id.eq(done))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("match"))
}

async fn move_match(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    version: i32,
    change: MatchMove,
    key: Option<&crate::idempotency::IdemKey>,
) -> ApiResult<matches::Model> {
    let MatchMove {
        to,
        reason,
        follow_up_income_satang,
    } = change;
    let current = visible_matches(scope)
        .filter(matches::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("match"))?;
    if current.version != version {
        return Err(ApiError::stale("match"));
    }
    if !current.status.can_become(to) {
        return Err(ApiError::bad_input(
            "to",
            format!(
                "a {} match cannot become {}",
                sea_orm::ActiveEnum::to_value(&current.status),
                sea_orm::ActiveEnum::to_value(&to)
            ),
        ));
    }
    let reason = text(reason.as_deref(), "reason", 1000)?;
    if matches!(to, MatchStatus::Declined | MatchStatus::Dropped) && reason.is_none() {
        return Err(ApiError::bad_input("reason", "say why"));
    }
    if let Some(v) = follow_up_income_satang {
        crate::money::check_satang("followUpIncome", v, crate::money::MONTHLY_INCOME)?;
        if !matches!(to, MatchStatus::Adopted | MatchStatus::Sustained) {
            return Err(ApiError::bad_input(
                "followUpIncome",
                "record follow-up income at ADOPTED or SUSTAINED",
            ));
        }
    }
    let baseline = if to == MatchStatus::Accepted {
        assessment::Entity::find()
            .filter(assessment::Column::HouseholdId.eq(current.household_id))
            .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
            .one(db)
            .await?
            .map(|a| a.income_per_person_satang)
    } else {
        current.baseline_income_satang
    };
    let txn = db.begin().await?;
    let mut update = matches::Entity::update_many()
        .col_expr(matches::Column::Status, Expr::value(to))
        .col_expr(matches::Column::Version, Expr::value(version + 1))
        .col_expr(matches::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(matches::Column::BaselineIncomeSatang, Expr::value(baseline));
    if let Some(v) = follow_up_income_satang {
        update = update.col_expr(matches::Column::FollowUpIncomeSatang, Expr::value(v));
    }
    let res = update
        .filter(matches::Column::Id.eq(id))
        .filter(matches::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ApiError::stale("match"));
    }
    record_match_event(&txn, id, Some(current.status), to, reason.clone(), actor).await?;
    let mut entry = AuditEntry::by(actor, AuditAction::Transition)
        .entity("Match", id)
        .fields(["status"]);
    if let Some(r) = reason {
        entry = entry.reason(r);
    }
    record(&txn, entry).await?;
    crate::rollup::touch(&txn, &[current.household_id]).await?;
    if let Some(key) = key {
        crate::idempotency::remember(&txn, key, &id.to_string()).await?;
    }
    txn.commit().await?;
    matches::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("match"))
}

pub struct RunInput {
    pub area_code: String,
    pub seats: Vec<(Uuid, u32)>,
}

/// How often a run is computed again when, by the time it is stored, other matches in its
/// province took some of the households it chose.
const RUN_ATTEMPTS: usize = 3;

/// The statuses of an open match (`MatchStatus::is_open`); a household has at most one
/// (unique index `idx_match_one_open`).
const OPEN: [MatchStatus; 5] = [
    MatchStatus::Suggested,
    MatchStatus::Offered,
    MatchStatus::Accepted,
    MatchStatus::InTraining,
    MatchStatus::Adopted,
];

/// Matches households of an area to technologies, maximising the total ladder-weighted score
/// (STRUGGLING ×8, DIFFICULT ×4, MANAGEABLE ×2, WELL ×1) exactly, within each technology's seats and at most one
/// technology per household. Households considered: VERIFIED or ENROLLED, with an ACTIVE
/// assessment and no open match. Stored as a run with its matches (SUGGESTED).
///
/// Runs of one province are stored one at a time (see `store_run`): a run that finds, when
/// it stores, that a chosen household got an open match meanwhile (another run, a
/// suggestion) is computed again from the new state, so concurrent runs never match a
/// household twice; after `RUN_ATTEMPTS` such rounds it gives up with CONFLICT.
pub async fn run_matching(
    db: &DatabaseConnection,
    viewer: &Viewer,
    scope: &Scope,
    actor: &Actor,
    scoring: Scoring<'_>,
    input: RunInput,
) -> ApiResult<matching_run::Model> {
    policy::COORDINATORS.check(viewer)?;
    let area = input.area_code.trim().to_string();
    if !matches!(area.len(), 2 | 4 | 6 | 8) || !area.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_input("areaCode", "not a DOPA area code"));
    }
    if !scope.contains_area(&area) {
        return Err(ApiError::bad_input(
            "areaCode",
            "this area is outside your areas",
        ));
    }
    if input.seats.is_empty() {
        return Err(ApiError::bad_input(
            "seats",
            "give at least one technology with its seats",
        ));
    }
    let mut found: HashMap<Uuid, technology::Model> = HashMap::new();
    for chunk in input.seats.chunks(1000) {
        for t in technology::Entity::find()
            .filter(technology::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
            .filter(technology::Column::Active.eq(true))
            .all(db)
            .await?
        {
            found.insert(t.id, t);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut techs = Vec::new();
    for (i, (tid, seats)) in input.seats.iter().enumerate() {
        if !seen.insert(*tid) {
            return Err(ApiError::bad_input(
                format!("seats[{i}].technologyId"),
                "listed twice",
            ));
        }
        let t = found.remove(tid).ok_or_else(|| {
            ApiError::bad_input(
                format!("seats[{i}].technologyId"),
                "no active technology has this id",
            )
        })?;
        if *seats as i64 > t.seats_per_round as i64 {
            return Err(ApiError::bad_input(
                format!("seats[{i}].seats"),
                format!("{} has {} seats per round", t.name, t.seats_per_round),
            ));
        }
        techs.push((t, *seats));
    }
    techs.sort_by_key(|(t, _)| t.id);
    for _ in 0..RUN_ATTEMPTS {
        if let Some(run) = attempt_run(db, scope, actor, scoring, &area, &techs).await? {
            return Ok(run);
        }
        tracing::info!("matching run raced with other matches in its province; computing again");
    }
    Err(ApiError::Conflict(
        "other matches were being made in this province at the same time; run it again".into(),
    ))
}

/// One computation of a run and its storing; `None` when, by the time it is stored, some
/// household it chose has an open match (nothing is written then).
async fn attempt_run(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    scoring: Scoring<'_>,
    area: &str,
    techs: &[(technology::Model, u32)],
) -> ApiResult<Option<matching_run::Model>> {
    let started = std::time::Instant::now();
    let busy = matches::Entity::find()
        .select_only()
        .column(matches::Column::HouseholdId)
        .filter(matches::Column::Status.is_in(OPEN))
        .into_query();
    let households: Vec<(Uuid, String)> = visible_households(scope)
        .filter(household::Column::VillageCode.like(format!("{area}%")))
        .filter(
            household::Column::Status.is_in([HouseholdStatus::Verified, HouseholdStatus::Enrolled]),
        )
        .filter(household::Column::Id.not_in_subquery(busy))
        .select_only()
        .column(household::Column::Id)
        .column(household::Column::VillageCode)
        .order_by_asc(household::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let profiles = profiles(db, &households).await?;
    let considered: Vec<Uuid> = households
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| profiles.contains_key(id))
        .collect();
    let track = track_records(db, scoring, &area[..2]).await?;

    let loaded = started.elapsed();

    // Scoring every pair and solving is seconds of CPU for a province: run it on the
    // blocking pool so the server's request threads keep serving other requests meanwhile.
    let scorables: Vec<Scorable> = techs
        .iter()
        .map(|(t, _)| Scorable::new(Fitness::from(t)))
        .collect();
    let seats: Vec<u32> = techs.iter().map(|(_, s)| *s).collect();
    let w = *scoring.weights;
    let computed = tokio::task::spawn_blocking(move || {
        assign(&considered, &profiles, &scorables, &track, &w, seats)
    })
    .await
    .map_err(ApiError::internal)??;
    let solved = started.elapsed();

    let now = Utc::now();
    let run_id = Uuid::now_v7();
    let parameters = serde_json::json!({
        "areaCode": area,
        "seats": techs.iter().map(|(t, s)| serde_json::json!({ "technologyId": t.id, "seats": s })).collect::<Vec<_>>(),
        "weights": { "capital": w.capital, "income": w.income, "affordability": w.affordability, "area": w.area, "trackRecord": w.track_record },
    });
    let rows: Vec<matches::ActiveModel> = computed
        .chosen
        .into_iter()
        .map(|c| {
            let (t, _) = &techs[c.technology];
            matches::ActiveModel {
                id: Set(Uuid::now_v7()),
                household_id: Set(c.household),
                technology_id: Set(t.id),
                run_id: Set(Some(run_id)),
                status: Set(MatchStatus::Suggested),
                score_millis: Set(c.score_millis),
                reasons: Set(Reasons(c.reasons)),
                delivering_agency_id: Set(t.agency_id),
                baseline_income_satang: Set(None),
                follow_up_income_satang: Set(None),
                version: Set(1),
                created_by: Set(actor.id),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect();
    let chosen: Vec<Uuid> = rows.iter().map(|m| *m.household_id.as_ref()).collect();
    let txn = db.begin().await?;
    lock_province(&txn, area).await?;
    // On SQLite this first write takes the database's write lock, so the check below and the
    // inserts see every committed match and no other writer comes between them.
    let run = matching_run::ActiveModel {
        id: Set(run_id),
        area_code: Set(area.to_string()),
        parameters: Set(JsonDocument(parameters)),
        households_considered: Set(computed.households as i32),
        pairs_considered: Set(computed.pairs),
        matches_created: Set(rows.len() as i32),
        total_benefit: Set(computed.total_benefit),
        greedy_benefit: Set(computed.greedy_benefit),
        created_by: Set(actor.id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if any_open_match(&txn, &chosen).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    // 14 columns × 1,000 rows stays under SQLite's 32,766 and PostgreSQL's 65,535 bound
    // parameters per statement.
    let events: Vec<match_event::ActiveModel> = rows
        .iter()
        .map(|m| match_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            match_id: m.id.clone(),
            from_status: Set(None),
            to_status: Set(MatchStatus::Suggested),
            reason: Set(Some("matching run".into())),
            actor_id: Set(actor.id),
            occurred_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(1000) {
        // The unique index is the last word: a suggestion committed after our check (it does
        // not take the province lock) makes this the race it is.
        if let Err(e) = matches::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await
        {
            txn.rollback().await?;
            return match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Ok(None),
                _ => Err(e.into()),
            };
        }
    }
    if rows.len() >= 1000 && txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Each event's foreign key is checked with an index look-up on `match`. While the
        // table's statistics still say "empty" (a new province's first run), PostgreSQL may
        // pick any index for that look-up, including one it must scan whole, and the checks
        // turn quadratic (measured: 1.5–3 s per 1,000 events at 55,000 matches). Fresh
        // statistics, taken inside this transaction so they see its rows, prevent that.
        txn.execute_unprepared(r#"ANALYZE "match""#).await?;
    }
    for chunk in events.chunks(1000) {
        match_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("MatchingRun", run_id)
            .fields(["matches"]),
    )
    .await?;
    crate::rollup::touch(&txn, &chosen).await?;
    txn.commit().await?;
    tracing::info!(
        run = %run_id,
        households = computed.households,
        pairs = computed.pairs,
        matches = rows.len(),
        load_ms = loaded.as_millis() as u64,
        compute_ms = (solved - loaded).as_millis() as u64,
        score_ms = computed.score_ms,
        optimum_ms = computed.optimum_ms,
        store_ms = (started.elapsed() - solved).as_millis() as u64,
        "matching run stored"
    );
    Ok(Some(run))
}

/// Serialises the storing of runs in one province (nested area codes share households, so
/// the lock is on the province). PostgreSQL: a transaction-scoped advisory lock. SQLite needs
/// none: writes are serialised by the database, and a run's first statement is a write.
async fn lock_province(txn: &impl ConnectionTrait, area: &str) -> ApiResult<()> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    /// Namespace of the advisory locks of matching ("matc").
    const MATCHING_LOCKS: i32 = 0x6d61_7463;
    let province: i32 = area[..2].parse().map_err(ApiError::internal)?;
    txn.query_one_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, $2)",
        [MATCHING_LOCKS.into(), province.into()],
    ))
    .await?;
    Ok(())
}

/// Whether any of `households` has an open match.
async fn any_open_match(conn: &impl ConnectionTrait, households: &[Uuid]) -> ApiResult<bool> {
    for chunk in households.chunks(1000) {
        if matches::Entity::find()
            .select_only()
            .column(matches::Column::HouseholdId)
            .filter(matches::Column::HouseholdId.is_in(chunk.iter().copied()))
            .filter(matches::Column::Status.is_in(OPEN))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(conn)
            .await?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One chosen pair of a run, explained.
struct Chosen {
    household: Uuid,
    technology: usize,
    score_millis: i32,
    reasons: Vec<entity::enums::Reason>,
}

struct Assignment {
    households: usize,
    pairs: i64,
    total_benefit: i64,
    greedy_benefit: i64,
    chosen: Vec<Chosen>,
    /// Time spent scoring pairs and finding the optimum (for the log).
    score_ms: u64,
    optimum_ms: u64,
}

/// Scores every household–technology pair (numbers only), solves the assignment exactly,
/// computes the greedy baseline on the same problem, and explains the chosen pairs.
fn assign(
    considered: &[Uuid],
    profiles: &HashMap<Uuid, Profile>,
    scorables: &[Scorable],
    track: &TrackRecords,
    weights: &MatchWeights,
    seats: Vec<u32>,
) -> ApiResult<Assignment> {
    let t0 = std::time::Instant::now();
    let offers: Vec<Offer<'_>> = scorables.iter().map(|t| t.offer(track)).collect();
    let mut problem = solver::Problem::new(considered.len(), seats);
    let mut pairs: i64 = 0;
    // Scoring is embarrassingly parallel: score blocks of households on every core, then add
    // the pairs in household order (so the problem, and the run, are the same as scored on
    // one thread). Blocks bound the pairs held at once to a few tens of MB.
    const BLOCK: usize = 4096;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let score_block = |first: usize, block: &[Uuid]| -> Vec<(u32, u32, i64)> {
        let mut out = Vec::with_capacity(block.len() * offers.len() / 2);
        for (k, h) in block.iter().enumerate() {
            let p = &profiles[h];
            let priority = entity::enums::LadderLevel::of_score(p.scores.overall()).priority();
            for (ti, o) in offers.iter().enumerate() {
                if let Some(score) = super::recommend::score_millis(p, o, weights)
                    && score > 0
                {
                    out.push(((first + k) as u32, ti as u32, score as i64 * priority));
                }
            }
        }
        out
    };
    for (round, group) in considered.chunks(BLOCK * workers).enumerate() {
        let scored: Vec<Vec<(u32, u32, i64)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = group
                .chunks(BLOCK)
                .enumerate()
                .map(|(j, block)| {
                    let first = round * BLOCK * workers + j * BLOCK;
                    scope.spawn(move || score_block(first, block))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| ApiError::internal("scoring thread panicked"))
                })
                .collect::<ApiResult<_>>()
        })?;
        for (h, t, benefit) in scored.into_iter().flatten() {
            problem.add(h, t, benefit).map_err(ApiError::internal)?;
            pairs += 1;
        }
    }
    let t1 = std::time::Instant::now();
    let solution = solver::solve(&problem);
    let t2 = std::time::Instant::now();
    let greedy = solver::greedy(&problem);
    let mut chosen = Vec::new();
    for (hi, assigned) in solution.assignment.iter().enumerate() {
        let Some(ti) = assigned else { continue };
        let ti = *ti as usize;
        if let Fit::Scored {
            score_millis,
            reasons,
        } = score_technology(&profiles[&considered[hi]], &offers[ti], weights)
        {
            chosen.push(Chosen {
                household: considered[hi],
                technology: ti,
                score_millis,
                reasons,
            });
        }
    }
    Ok(Assignment {
        households: considered.len(),
        pairs,
        total_benefit: solution.total_benefit,
        greedy_benefit: greedy.total_benefit,
        chosen,
        score_ms: (t1 - t0).as_millis() as u64,
        optimum_ms: (t2 - t1).as_millis() as u64,
    })
}
