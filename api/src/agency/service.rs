//! Agency rules. Validation first, then one transaction for the agency, its coverage rows and
//! the audit event.
use chrono::Utc;
use entity::{
    agency, agency_coverage,
    enums::{AgencyType, AuditAction},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Select, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    area::service::check_codes_exist,
    audit::service::{Actor, AuditEntry, record},
    error::{ApiError, ApiResult},
    graphql::search::contains,
};

/// Which agencies `agencies` lists.
#[derive(Debug, Default)]
pub struct AgencyListFilter {
    pub agency_type: Option<AgencyType>,
    /// Only agencies whose coverage includes this area (equal to it or enclosing it).
    pub covers_area: Option<String>,
    /// Part of the name.
    pub search: Option<String>,
    pub active: Option<bool>,
}

/// The agencies a filter selects (unordered, unpaged).
pub fn list(filter: AgencyListFilter) -> ApiResult<Select<agency::Entity>> {
    let mut select = agency::Entity::find();
    if let Some(t) = filter.agency_type {
        select = select.filter(agency::Column::AgencyType.eq(t));
    }
    if let Some(active) = filter.active {
        select = select.filter(agency::Column::Active.eq(active));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        select = select.filter(contains(
            [agency::Column::Name, agency::Column::NameEn],
            search,
        ));
    }
    if let Some(code) = filter.covers_area.as_deref().map(str::trim) {
        if !matches!(code.len(), 2 | 4 | 6 | 8) || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::bad_input(
                "filter.coversArea",
                "not a DOPA area code",
            ));
        }
        let prefixes: Vec<String> = (1..=code.len() / 2)
            .map(|n| code[..n * 2].to_string())
            .collect();
        select = select.filter(
            agency::Column::Id.in_subquery(
                agency_coverage::Entity::find()
                    .select_only()
                    .column(agency_coverage::Column::AgencyId)
                    .filter(agency_coverage::Column::AreaCode.is_in(prefixes))
                    .into_query(),
            ),
        );
    }
    Ok(select)
}

pub struct AgencyFields {
    pub name: Option<String>,
    pub name_en: Option<Option<String>>,
    pub agency_type: Option<AgencyType>,
    pub contact_name: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub coverage: Option<Vec<String>>,
    pub active: Option<bool>,
}

fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

fn check_name(name: &str, field: &str) -> ApiResult<String> {
    let name = clean(Some(name.to_string())).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input(field, "a name has 1 to 200 characters"));
    }
    Ok(name)
}

fn check_email(email: Option<String>) -> ApiResult<Option<String>> {
    let email = clean(email);
    if let Some(e) = &email {
        let ok = e.len() <= 254
            && !e.contains(' ')
            && e.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !ok {
            return Err(ApiError::bad_input("contactEmail", "not an e-mail address"));
        }
    }
    Ok(email)
}

/// Keeps a leading '+' and the digits; 9 to 15 digits.
fn check_phone(phone: Option<String>) -> ApiResult<Option<String>> {
    let Some(raw) = clean(phone) else {
        return Ok(None);
    };
    if !raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
    {
        return Err(ApiError::bad_input("contactPhone", "not a phone number"));
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !(9..=15).contains(&digits.len()) {
        return Err(ApiError::bad_input(
            "contactPhone",
            "a phone number has 9 to 15 digits",
        ));
    }
    Ok(Some(if raw.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    }))
}

async fn check_unique_name(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<Uuid>,
) -> ApiResult<()> {
    let mut q = agency::Entity::find().filter(agency::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(agency::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "an agency named '{name}' exists already"
        )));
    }
    Ok(())
}

async fn replace_coverage(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    codes: &[String],
) -> ApiResult<()> {
    agency_coverage::Entity::delete_many()
        .filter(agency_coverage::Column::AgencyId.eq(agency_id))
        .exec(db)
        .await?;
    if !codes.is_empty() {
        agency_coverage::Entity::insert_many(codes.iter().map(|code| {
            agency_coverage::ActiveModel {
                agency_id: Set(agency_id),
                area_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn create_agency(
    db: &DatabaseConnection,
    actor: &Actor,
    name: String,
    agency_type: AgencyType,
    fields: AgencyFields,
) -> ApiResult<agency::Model> {
    let name = check_name(&name, "name")?;
    let name_en = clean(fields.name_en.flatten());
    let email = check_email(fields.contact_email.flatten())?;
    let phone = check_phone(fields.contact_phone.flatten())?;
    let coverage = check_codes_exist(
        db,
        &fields.coverage.unwrap_or_default(),
        "coverageAreaCodes",
    )
    .await?;
    check_unique_name(db, &name, None).await?;

    let now = Utc::now();
    let txn = db.begin().await?;
    let model = agency::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        name_en: Set(name_en),
        agency_type: Set(agency_type),
        contact_name: Set(clean(fields.contact_name.flatten())),
        contact_email: Set(email),
        contact_phone: Set(phone),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    replace_coverage(&txn, model.id, &coverage).await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Agency", model.id)
            .fields(["name", "nameEn", "type", "contact", "coverage"]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update_agency(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    fields: AgencyFields,
) -> ApiResult<agency::Model> {
    let current = agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("agency"))?;
    let name = fields
        .name
        .as_deref()
        .map(|n| check_name(n, "name"))
        .transpose()?;
    let email = fields.contact_email.map(check_email).transpose()?;
    let phone = fields.contact_phone.map(check_phone).transpose()?;
    let coverage = match &fields.coverage {
        Some(codes) => Some(check_codes_exist(db, codes, "coverageAreaCodes").await?),
        None => None,
    };
    if let Some(name) = &name {
        check_unique_name(db, name, Some(id)).await?;
    }
    if current.version != version {
        return Err(ApiError::stale("agency"));
    }

    let mut changed: Vec<&str> = Vec::new();
    let mut active: agency::ActiveModel = current.clone().into();
    if let Some(name) = name.filter(|n| *n != current.name) {
        active.name = Set(name);
        changed.push("name");
    }
    if let Some(v) = fields.name_en.map(clean).filter(|v| *v != current.name_en) {
        active.name_en = Set(v);
        changed.push("nameEn");
    }
    if let Some(t) = fields.agency_type.filter(|t| *t != current.agency_type) {
        active.agency_type = Set(t);
        changed.push("type");
    }
    if let Some(v) = fields
        .contact_name
        .map(clean)
        .filter(|v| *v != current.contact_name)
    {
        active.contact_name = Set(v);
        changed.push("contactName");
    }
    if let Some(v) = email.filter(|v| *v != current.contact_email) {
        active.contact_email = Set(v);
        changed.push("contactEmail");
    }
    if let Some(v) = phone.filter(|v| *v != current.contact_phone) {
        active.contact_phone = Set(v);
        changed.push("contactPhone");
    }
    if let Some(a) = fields.active.filter(|a| *a != current.active) {
        active.active = Set(a);
        changed.push("active");
    }
    if coverage.is_some() {
        changed.push("coverage");
    }
    if changed.is_empty() {
        return Ok(current);
    }

    let txn = db.begin().await?;
    active.version = Set(current.version + 1);
    active.updated_at = Set(Utc::now());
    let res = agency::Entity::update_many()
        .set(active)
        .filter(agency::Column::Id.eq(id))
        .filter(agency::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ApiError::stale("agency"));
    }
    if let Some(codes) = &coverage {
        replace_coverage(&txn, id, codes).await?;
    }
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Update)
            .entity("Agency", id)
            .fields(changed),
    )
    .await?;
    let updated = agency::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("agency"))?;
    txn.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_and_bad_ones_refused() {
        assert_eq!(
            check_phone(Some("054-123 456".into())).unwrap().as_deref(),
            Some("054123456")
        );
        assert_eq!(
            check_phone(Some("+66 81 234 5678".into()))
                .unwrap()
                .as_deref(),
            Some("+66812345678")
        );
        assert!(check_phone(Some("call me".into())).is_err());
        assert!(check_phone(Some("12".into())).is_err());
    }

    #[test]
    fn emails_need_a_user_and_a_domain() {
        assert!(check_email(Some("a@b.th".into())).is_ok());
        assert!(check_email(Some("nobody".into())).is_err());
    }
}
