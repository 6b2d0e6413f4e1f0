use chrono::Utc;
use entity::{
    agency,
    enums::{
        AuditAction, Capital, CapitalMinimums, Role, ServiceCategory, StringList, TechnologySector,
    },
    service as svc, technology,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::{
    area::service::check_codes_exist,
    audit::service::{Actor, AuditEntry, record},
    auth::Viewer,
    error::{ApiError, ApiResult},
    household::validate::text,
    money,
};

/// The agency a catalogue write is for: ADMIN names one; AGENCY staff always write for their own.
pub async fn provider_for(
    db: &DatabaseConnection,
    viewer: &Viewer,
    requested: Option<Uuid>,
) -> ApiResult<Uuid> {
    let me = viewer.account()?;
    let id = match me.role {
        Role::Admin => {
            requested.ok_or_else(|| ApiError::bad_input("agencyId", "name the providing agency"))?
        }
        Role::Agency => {
            let own = me.agency_id.ok_or(ApiError::Forbidden)?;
            if requested.is_some_and(|r| r != own) {
                return Err(ApiError::bad_input(
                    "agencyId",
                    "you can only add your own agency's offers",
                ));
            }
            own
        }
        _ => return Err(ApiError::Forbidden),
    };
    if agency::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(ApiError::bad_input("agencyId", "no agency has this id"));
    }
    Ok(id)
}

/// May the viewer change an offer of `agency_id`?
pub fn check_owner(viewer: &Viewer, agency_id: Uuid) -> ApiResult<()> {
    let me = viewer.account()?;
    match me.role {
        Role::Admin => Ok(()),
        Role::Agency if me.agency_id == Some(agency_id) => Ok(()),
        Role::Agency => Err(ApiError::NotFound("technology")),
        _ => Err(ApiError::Forbidden),
    }
}

pub fn capital_names(capitals: &[Capital]) -> StringList {
    let mut names: Vec<String> = capitals.iter().map(|c| c.to_value()).collect();
    names.sort();
    names.dedup();
    StringList(names)
}

#[derive(Debug, Clone)]
pub struct TechnologyFields {
    pub name: String,
    pub description: Option<String>,
    pub sector: TechnologySector,
    pub capitals_raised: Vec<Capital>,
    pub min_scores: CapitalMinimums,
    pub requires_land: bool,
    pub min_working_age_members: i32,
    pub suitable_areas: Vec<String>,
    pub unit_cost_baht: i32,
    pub monthly_income_gain_baht: i32,
    pub training_days: i32,
    pub seats_per_round: i32,
    pub readiness_level: i32,
    pub active: bool,
}

async fn check_technology(
    db: &DatabaseConnection,
    f: &TechnologyFields,
) -> ApiResult<(String, Option<String>, Vec<String>)> {
    let name = text(Some(&f.name), "name", 200)?
        .ok_or_else(|| ApiError::bad_input("name", "a name is required"))?;
    let description = text(f.description.as_deref(), "description", 4000)?;
    if f.capitals_raised.is_empty() {
        return Err(ApiError::bad_input(
            "capitalsRaised",
            "name at least one capital it raises",
        ));
    }
    for (field, v) in [
        ("minScores.human", f.min_scores.human),
        ("minScores.physical", f.min_scores.physical),
        ("minScores.financial", f.min_scores.financial),
        ("minScores.natural", f.min_scores.natural),
        ("minScores.social", f.min_scores.social),
    ] {
        if v.is_some_and(|v| !(100..=400).contains(&v)) {
            return Err(ApiError::bad_input(
                field,
                "a minimum score lies between 1.00 and 4.00",
            ));
        }
    }
    money::whole_baht("unitCost", f.unit_cost_baht, money::UNIT_COST)?;
    money::whole_baht(
        "monthlyIncomeGain",
        f.monthly_income_gain_baht,
        money::INCOME_GAIN,
    )?;
    for (field, v, max) in [
        ("minWorkingAgeMembers", f.min_working_age_members, 20),
        ("trainingDays", f.training_days, 365),
    ] {
        if !(0..=max).contains(&v) {
            return Err(ApiError::bad_input(
                field,
                format!("{field} lies between 0 and {max}"),
            ));
        }
    }
    if !(1..=10_000).contains(&f.seats_per_round) {
        return Err(ApiError::bad_input(
            "seatsPerRound",
            "a round has 1 to 10,000 seats",
        ));
    }
    if !(1..=9).contains(&f.readiness_level) {
        return Err(ApiError::bad_input(
            "readinessLevel",
            "technology readiness levels run from 1 to 9",
        ));
    }
    let areas = check_codes_exist(db, &f.suitable_areas, "suitableAreas").await?;
    Ok((name, description, areas))
}

pub async fn save_technology(
    db: &DatabaseConnection,
    actor: &Actor,
    existing: Option<(technology::Model, i32)>,
    agency_id: Uuid,
    f: TechnologyFields,
) -> ApiResult<technology::Model> {
    let (name, description, areas) = check_technology(db, &f).await?;
    let now = Utc::now();
    let (id, version, created_at, action) = match &existing {
        Some((current, version)) => {
            if current.version != *version {
                return Err(ApiError::stale("technology"));
            }
            (
                current.id,
                current.version + 1,
                current.created_at,
                AuditAction::Update,
            )
        }
        None => (Uuid::now_v7(), 1, now, AuditAction::Create),
    };
    let row = technology::ActiveModel {
        id: Set(id),
        agency_id: Set(agency_id),
        name: Set(name),
        description: Set(description),
        sector: Set(f.sector),
        capitals_raised: Set(capital_names(&f.capitals_raised)),
        min_capital_scores: Set(f.min_scores),
        requires_land: Set(f.requires_land),
        min_working_age_members: Set(f.min_working_age_members),
        suitable_areas: Set(StringList(areas)),
        unit_cost_baht: Set(f.unit_cost_baht),
        monthly_income_gain_baht: Set(f.monthly_income_gain_baht),
        training_days: Set(f.training_days),
        seats_per_round: Set(f.seats_per_round),
        readiness_level: Set(f.readiness_level),
        active: Set(f.active),
        version: Set(version),
        created_at: Set(created_at),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    match &existing {
        Some((current, v)) => {
            let res = technology::Entity::update_many()
                .set(row)
                .filter(technology::Column::Id.eq(current.id))
                .filter(technology::Column::Version.eq(*v))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                txn.rollback().await?;
                return Err(ApiError::stale("technology"));
            }
        }
        None => {
            row.insert(&txn).await?;
        }
    }
    record(
        &txn,
        AuditEntry::by(actor, action)
            .entity("Technology", id)
            .fields(["technology"]),
    )
    .await?;
    txn.commit().await?;
    technology::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("technology"))
}

#[derive(Debug, Clone)]
pub struct ServiceFields {
    pub name: String,
    pub description: Option<String>,
    pub category: ServiceCategory,
    pub target_capitals: Vec<Capital>,
    pub coverage: Vec<String>,
    pub capacity: Option<i32>,
    pub active: bool,
}

pub async fn save_service(
    db: &DatabaseConnection,
    actor: &Actor,
    existing: Option<(svc::Model, i32)>,
    agency_id: Uuid,
    f: ServiceFields,
) -> ApiResult<svc::Model> {
    let name = text(Some(&f.name), "name", 200)?
        .ok_or_else(|| ApiError::bad_input("name", "a name is required"))?;
    let description = text(f.description.as_deref(), "description", 4000)?;
    if f.capacity.is_some_and(|c| c < 0) {
        return Err(ApiError::bad_input(
            "capacity",
            "capacity cannot be negative",
        ));
    }
    let coverage = check_codes_exist(db, &f.coverage, "coverage").await?;
    let now = Utc::now();
    let (id, version, created_at, action) = match &existing {
        Some((current, version)) => {
            if current.version != *version {
                return Err(ApiError::stale("service"));
            }
            (
                current.id,
                current.version + 1,
                current.created_at,
                AuditAction::Update,
            )
        }
        None => (Uuid::now_v7(), 1, now, AuditAction::Create),
    };
    let row = svc::ActiveModel {
        id: Set(id),
        agency_id: Set(agency_id),
        name: Set(name),
        description: Set(description),
        category: Set(f.category),
        target_capitals: Set(capital_names(&f.target_capitals)),
        coverage: Set(StringList(coverage)),
        capacity: Set(f.capacity),
        active: Set(f.active),
        version: Set(version),
        created_at: Set(created_at),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    match &existing {
        Some((current, v)) => {
            let res = svc::Entity::update_many()
                .set(row)
                .filter(svc::Column::Id.eq(current.id))
                .filter(svc::Column::Version.eq(*v))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                txn.rollback().await?;
                return Err(ApiError::stale("service"));
            }
        }
        None => {
            row.insert(&txn).await?;
        }
    }
    record(
        &txn,
        AuditEntry::by(actor, action)
            .entity("Service", id)
            .fields(["service"]),
    )
    .await?;
    txn.commit().await?;
    svc::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("service"))
}
