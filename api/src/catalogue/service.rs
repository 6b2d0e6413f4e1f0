use chrono::Utc;
use entity::{
    agency,
    enums::{
        AuditAction, Capital, CapitalMinimums, Role, ServiceCategory, StringList, TechnologySector,
    },
    service as svc, technology,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, Select, Set, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    area::service::check_codes_exist,
    audit::service::{Actor, AuditEntry, record},
    auth::Viewer,
    error::{ApiError, ApiResult},
    graphql::search::contains,
    household::validate::text,
    money,
};

/// The JSON text of a list column (PostgreSQL has no LIKE on `json`; SQLite ignores the cast).
fn as_text<C: ColumnTrait>(col: C) -> Expr {
    Expr::col(col).cast_as(Alias::new("TEXT"))
}

/// JSON string lists are stored as `["A","B"]`; `"A"` with its quotes is a safe substring test
/// for values that are upper-case identifiers or digit codes.
fn json_list_contains<C: ColumnTrait>(col: C, value: &str) -> Condition {
    Condition::all().add(as_text(col).like(format!("%\"{value}\"%")))
}

/// Area suitability: an empty list, or any prefix of `code` listed.
fn suits_area<C: ColumnTrait + Copy>(col: C, code: &str, field: &str) -> ApiResult<Condition> {
    if !matches!(code.len(), 2 | 4 | 6 | 8) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_input(field, "not a DOPA area code"));
    }
    let mut cond = Condition::any().add(as_text(col).eq("[]"));
    for n in (2..=code.len()).step_by(2) {
        cond = cond.add(json_list_contains(col, &code[..n]));
    }
    Ok(cond)
}

/// Which technologies `technologies` lists.
#[derive(Debug, Default)]
pub struct TechnologyListFilter {
    pub capital: Option<Capital>,
    pub sector: Option<TechnologySector>,
    /// Suitable in this area (no area list, or a listed prefix of it).
    pub area_code: Option<String>,
    pub max_unit_cost: Option<i32>,
    pub min_readiness_level: Option<i32>,
    pub agency_id: Option<Uuid>,
    pub active: bool,
    /// Part of the name.
    pub search: Option<String>,
}

/// The technologies a filter selects (unordered, unpaged).
pub fn technologies(f: TechnologyListFilter) -> ApiResult<Select<technology::Entity>> {
    let mut select = technology::Entity::find().filter(technology::Column::Active.eq(f.active));
    if let Some(c) = f.capital {
        select = select.filter(json_list_contains(
            technology::Column::CapitalsRaised,
            &c.to_value(),
        ));
    }
    if let Some(s) = f.sector {
        select = select.filter(technology::Column::Sector.eq(s));
    }
    if let Some(code) = f.area_code.as_deref() {
        select = select.filter(suits_area(
            technology::Column::SuitableAreas,
            code.trim(),
            "filter.areaCode",
        )?);
    }
    if let Some(max) = f.max_unit_cost {
        money::whole_baht("filter.maxUnitCost", max, money::UNIT_COST)?;
        select = select.filter(technology::Column::UnitCostBaht.lte(max));
    }
    if let Some(min) = f.min_readiness_level {
        select = select.filter(technology::Column::ReadinessLevel.gte(min));
    }
    if let Some(agency) = f.agency_id {
        select = select.filter(technology::Column::AgencyId.eq(agency));
    }
    if let Some(search) = f.search.as_deref().filter(|s| !s.trim().is_empty()) {
        select = select.filter(contains([technology::Column::Name], search));
    }
    Ok(select)
}

/// Which services `services` lists.
#[derive(Debug, Default)]
pub struct ServiceListFilter {
    pub category: Option<ServiceCategory>,
    pub capital: Option<Capital>,
    /// Covering this area (no coverage list, or a listed prefix of it).
    pub area_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub active: bool,
}

/// The services a filter selects (unordered, unpaged).
pub fn services(f: ServiceListFilter) -> ApiResult<Select<svc::Entity>> {
    let mut select = svc::Entity::find().filter(svc::Column::Active.eq(f.active));
    if let Some(c) = f.category {
        select = select.filter(svc::Column::Category.eq(c));
    }
    if let Some(c) = f.capital {
        select = select.filter(json_list_contains(
            svc::Column::TargetCapitals,
            &c.to_value(),
        ));
    }
    if let Some(code) = f.area_code.as_deref() {
        select = select.filter(suits_area(
            svc::Column::Coverage,
            code.trim(),
            "filter.areaCode",
        )?);
    }
    if let Some(agency) = f.agency_id {
        select = select.filter(svc::Column::AgencyId.eq(agency));
    }
    Ok(select)
}

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

/// The parts every catalogue row shares, set by `save_entry`.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

type EntryModel<T> = <<T as CatalogueEntry>::Entity as EntityTrait>::Model;
type EntryRow<T> = <<T as CatalogueEntry>::Entity as EntityTrait>::ActiveModel;
type EntryColumn<T> = <<T as CatalogueEntry>::Entity as EntityTrait>::Column;

/// One kind of catalogue offer (a technology, a service): how its fields are checked and
/// written; `save_entry` does the rest the same way for both.
pub trait CatalogueEntry: Sized + Send {
    type Entity: EntityTrait;
    /// Its name in messages and in the audit event's field list (`technology`).
    const NOUN: &'static str;
    /// Its record type in the audit log (`Technology`).
    const TYPE: &'static str;
    const ID: EntryColumn<Self>;
    const VERSION: EntryColumn<Self>;

    /// Validates the fields; returns them cleaned (trimmed text, checked area codes).
    fn check(self, db: &DatabaseConnection) -> impl Future<Output = ApiResult<Self>> + Send;

    /// Id, version and creation time of a stored entry.
    fn stamp(model: &EntryModel<Self>) -> (Uuid, i32, chrono::DateTime<Utc>);

    /// The whole row to write.
    fn row(self, stamp: Stamp) -> EntryRow<Self>;
}

/// Adds (`existing` none) or replaces (`existing` the stored entry and the `version` the
/// client read) a catalogue entry, with its audit event, in one transaction.
pub async fn save_entry<T: CatalogueEntry>(
    db: &DatabaseConnection,
    actor: &Actor,
    existing: Option<(EntryModel<T>, i32)>,
    agency_id: Uuid,
    fields: T,
) -> ApiResult<EntryModel<T>>
where
    EntryModel<T>: sea_orm::IntoActiveModel<EntryRow<T>>,
    EntryRow<T>: ActiveModelTrait<Entity = T::Entity> + sea_orm::ActiveModelBehavior + Send,
    <<T::Entity as EntityTrait>::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let fields = fields.check(db).await?;
    let now = Utc::now();
    let current = existing
        .as_ref()
        .map(|(model, read)| (T::stamp(model), *read));
    let (id, version, created_at, action) = match current {
        Some(((id, stored, created_at), read)) => {
            if stored != read {
                return Err(ApiError::stale(T::NOUN));
            }
            (id, stored + 1, created_at, AuditAction::Update)
        }
        None => (Uuid::now_v7(), 1, now, AuditAction::Create),
    };
    let row = fields.row(Stamp {
        id,
        agency_id,
        version,
        created_at,
        updated_at: now,
    });
    let txn = db.begin().await?;
    match current {
        Some(((id, _, _), read)) => {
            let res = T::Entity::update_many()
                .set(row)
                .filter(T::ID.eq(id))
                .filter(T::VERSION.eq(read))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                txn.rollback().await?;
                return Err(ApiError::stale(T::NOUN));
            }
        }
        None => {
            row.insert(&txn).await?;
        }
    }
    record(
        &txn,
        AuditEntry::by(actor, action)
            .entity(T::TYPE, id)
            .fields([T::NOUN]),
    )
    .await?;
    txn.commit().await?;
    T::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound(T::NOUN))
}

/// A stored technology, for an update.
pub async fn find_technology(db: &DatabaseConnection, id: Uuid) -> ApiResult<technology::Model> {
    technology::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("technology"))
}

/// A stored service, for an update.
pub async fn find_service(db: &DatabaseConnection, id: Uuid) -> ApiResult<svc::Model> {
    svc::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("service"))
}

impl CatalogueEntry for TechnologyFields {
    type Entity = technology::Entity;
    const NOUN: &'static str = "technology";
    const TYPE: &'static str = "Technology";
    const ID: technology::Column = technology::Column::Id;
    const VERSION: technology::Column = technology::Column::Version;

    async fn check(self, db: &DatabaseConnection) -> ApiResult<Self> {
        let f = self;
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
        let suitable_areas = check_codes_exist(db, &f.suitable_areas, "suitableAreas").await?;
        Ok(Self {
            name,
            description,
            suitable_areas,
            ..f
        })
    }

    fn stamp(model: &technology::Model) -> (Uuid, i32, chrono::DateTime<Utc>) {
        (model.id, model.version, model.created_at)
    }

    fn row(self, s: Stamp) -> technology::ActiveModel {
        technology::ActiveModel {
            id: Set(s.id),
            agency_id: Set(s.agency_id),
            name: Set(self.name),
            description: Set(self.description),
            sector: Set(self.sector),
            capitals_raised: Set(capital_names(&self.capitals_raised)),
            min_capital_scores: Set(self.min_scores),
            requires_land: Set(self.requires_land),
            min_working_age_members: Set(self.min_working_age_members),
            suitable_areas: Set(StringList(self.suitable_areas)),
            unit_cost_baht: Set(self.unit_cost_baht),
            monthly_income_gain_baht: Set(self.monthly_income_gain_baht),
            training_days: Set(self.training_days),
            seats_per_round: Set(self.seats_per_round),
            readiness_level: Set(self.readiness_level),
            active: Set(self.active),
            version: Set(s.version),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
        }
    }
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

impl CatalogueEntry for ServiceFields {
    type Entity = svc::Entity;
    const NOUN: &'static str = "service";
    const TYPE: &'static str = "Service";
    const ID: svc::Column = svc::Column::Id;
    const VERSION: svc::Column = svc::Column::Version;

    async fn check(self, db: &DatabaseConnection) -> ApiResult<Self> {
        let f = self;
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
        Ok(Self {
            name,
            description,
            coverage,
            ..f
        })
    }

    fn stamp(model: &svc::Model) -> (Uuid, i32, chrono::DateTime<Utc>) {
        (model.id, model.version, model.created_at)
    }

    fn row(self, s: Stamp) -> svc::ActiveModel {
        svc::ActiveModel {
            id: Set(s.id),
            agency_id: Set(s.agency_id),
            name: Set(self.name),
            description: Set(self.description),
            category: Set(self.category),
            target_capitals: Set(capital_names(&self.target_capitals)),
            coverage: Set(StringList(self.coverage)),
            capacity: Set(self.capacity),
            active: Set(self.active),
            version: Set(s.version),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
        }
    }
}
