use chrono::{NaiveDate, Utc};
use entity::{
    area, enterprise, enterprise_link,
    enums::{AuditAction, EnterpriseKind, EnterpriseRole},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select, Set,
    TransactionTrait,
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
    money,
};

pub struct NewEnterprise {
    pub name: String,
    pub kind: EnterpriseKind,
    pub area_code: String,
    pub value_chain: Option<String>,
    pub description: Option<String>,
}

/// Adds an enterprise (ADMIN; COORDINATOR inside their areas).
pub async fn create_enterprise(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewEnterprise,
) -> ApiResult<enterprise::Model> {
    let name = text(Some(&input.name), "name", 200)?
        .ok_or_else(|| ApiError::bad_input("name", "a name is required"))?;
    let code = input.area_code.trim().to_string();
    if area::Entity::find_by_id(code.clone())
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApiError::bad_input(
            "areaCode",
            format!("unknown area code '{code}'"),
        ));
    }
    if !scope.contains_area(&code) {
        return Err(ApiError::bad_input(
            "areaCode",
            "this area is outside your areas",
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = enterprise::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(input.kind),
        area_code: Set(code),
        value_chain: Set(text(input.value_chain.as_deref(), "valueChain", 200)?),
        description: Set(text(input.description.as_deref(), "description", 4000)?),
        active: Set(true),
        version: Set(1),
        created_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Enterprise", model.id)
            .fields(["name", "kind", "areaCode", "valueChain"]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub struct NewLink {
    pub enterprise_id: Uuid,
    pub household_id: Uuid,
    pub role: EnterpriseRole,
    pub monthly_income_satang: i64,
    pub started_on: Option<NaiveDate>,
}

/// Enterprises the scope may see: those whose area lies in the viewer's areas (ADMIN, and
/// ANALYST without area scopes, see all: an enterprise is community-level, a group not a
/// household). Agency staff see none: enterprises are not among an agency's records
/// (DOMAIN.md, roles). Its links name households: `visible_links`, none for ANALYST.
/// The visible enterprises under an area prefix (all visible ones without it), unordered.
pub fn list_enterprises(
    scope: &Scope,
    area_code: Option<&str>,
) -> ApiResult<Select<enterprise::Entity>> {
    let mut select = visible_enterprises(scope);
    if let Some(code) = area_code {
        let prefix = crate::area::prefix::DopaPrefix::parse(code, "areaCode")?;
        select = select.filter(enterprise::Column::AreaCode.like(prefix.pattern()));
    }
    Ok(select)
}

pub fn visible_enterprises(scope: &Scope) -> Select<enterprise::Entity> {
    enterprise::Entity::find().filter(scope.condition(enterprise::Column::AreaCode, None))
}

/// Links a household to an enterprise (field staff in scope; both the household and the
/// enterprise must be visible, otherwise NOT_FOUND). One open link per household, enterprise
/// and role.
pub async fn link_household(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewLink,
) -> ApiResult<enterprise_link::Model> {
    find_household(db, scope, input.household_id).await?;
    visible_enterprises(scope)
        .filter(enterprise::Column::Id.eq(input.enterprise_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("enterprise"))?;
    money::check_satang(
        "monthlyIncome",
        input.monthly_income_satang,
        money::MONTHLY_INCOME,
    )?;
    if input
        .started_on
        .is_some_and(|d| d > Utc::now().date_naive())
    {
        return Err(ApiError::bad_input(
            "startedOn",
            "the date is in the future",
        ));
    }
    let open = enterprise_link::Entity::find()
        .filter(enterprise_link::Column::EnterpriseId.eq(input.enterprise_id))
        .filter(enterprise_link::Column::HouseholdId.eq(input.household_id))
        .filter(enterprise_link::Column::Role.eq(input.role))
        .filter(enterprise_link::Column::EndedOn.is_null())
        .one(db)
        .await?;
    if open.is_some() {
        return Err(ApiError::Conflict(
            "this household is linked to this enterprise in this role already".into(),
        ));
    }
    let txn = db.begin().await?;
    let model = enterprise_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        enterprise_id: Set(input.enterprise_id),
        household_id: Set(input.household_id),
        role: Set(input.role),
        monthly_income_satang: Set(input.monthly_income_satang),
        started_on: Set(input.started_on),
        ended_on: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Household", input.household_id)
            .fields(["enterprises"]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Links whose household the scope may see (none for ANALYST: `in_visible_household`).
pub fn visible_links(scope: &Scope) -> Select<enterprise_link::Entity> {
    // Partner agencies see no enterprise links: the income a household earns through an
    // enterprise is not part of what a referral or match opens to them.
    let condition = match scope {
        Scope::Agency(_) => crate::auth::scope::nothing(),
        _ => in_visible_household(scope, enterprise_link::Column::HouseholdId),
    };
    enterprise_link::Entity::find().filter(condition)
}
