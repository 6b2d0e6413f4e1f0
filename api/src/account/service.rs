//! Account rules: who may exist with which role, scope and agency. Everything is validated
//! before anything is written; every write and its audit event share one transaction.
use chrono::Utc;
use entity::{
    account, agency,
    enums::{AuditAction, Role, StringList},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Select, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    area::service as areas,
    audit::service::{Actor, AuditEntry, record},
    auth::{Viewer, password, service as auth},
    error::{ApiError, ApiResult},
};

pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub area_scopes: Vec<String>,
    pub agency_id: Option<Uuid>,
}

#[derive(Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub area_scopes: Option<Vec<String>>,
    /// `Some(None)` clears the agency.
    pub agency_id: Option<Option<Uuid>>,
}

/// Accounts the viewer may see: ADMIN all; AGENCY staff their own agency's; everyone else
/// only themselves.
/// Which accounts `accounts` lists (within what the viewer may see).
#[derive(Debug, Default)]
pub struct AccountListFilter {
    pub role: Option<Role>,
    pub agency_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Part of the login or display name.
    pub search: Option<String>,
}

/// The accounts the viewer may see that a filter selects (unordered, unpaged).
pub fn list(viewer: &Viewer, f: AccountListFilter) -> Select<account::Entity> {
    let mut select = visible(viewer);
    if let Some(role) = f.role {
        select = select.filter(account::Column::Role.eq(role));
    }
    if let Some(agency) = f.agency_id {
        select = select.filter(account::Column::AgencyId.eq(agency));
    }
    if let Some(active) = f.active {
        select = select.filter(account::Column::Active.eq(active));
    }
    if let Some(search) = f.search.as_deref() {
        select = select.filter(crate::graphql::search::contains(
            [account::Column::Login, account::Column::DisplayName],
            search,
        ));
    }
    select
}

pub fn visible(viewer: &Viewer) -> Select<account::Entity> {
    let cond = match viewer {
        Viewer::Anonymous => Condition::all().add(Expr::val(1).eq(0)),
        Viewer::Account(v) => match v.role {
            Role::Admin => Condition::all(),
            Role::Agency => {
                let own = Condition::any().add(account::Column::Id.eq(v.id));
                match v.agency_id {
                    Some(agency) => own.add(account::Column::AgencyId.eq(agency)),
                    None => own,
                }
            }
            _ => Condition::all().add(account::Column::Id.eq(v.id)),
        },
    };
    account::Entity::find().filter(cond)
}

fn check_login(login: &str) -> ApiResult<String> {
    let login = auth::normalize_login(login);
    let ok = (3..=64).contains(&login.chars().count())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        return Err(ApiError::bad_input(
            "login",
            "a login has 3 to 64 characters: letters, digits, '.', '_', '-' or '@'",
        ));
    }
    Ok(login)
}

fn check_display_name(name: &str) -> ApiResult<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input(
            "displayName",
            "a display name has 1 to 200 characters",
        ));
    }
    Ok(name)
}

/// Role, scope and agency must fit together: field staff need an area, agency staff an
/// agency, and ADMIN/AGENCY accounts are not area-scoped.
async fn check_shape(
    db: &impl ConnectionTrait,
    role: Role,
    scopes: &[String],
    agency_id: Option<Uuid>,
) -> ApiResult<Vec<String>> {
    let scopes = areas::check_codes_exist(db, scopes, "areaScopes").await?;
    match role {
        Role::Coordinator | Role::Surveyor if scopes.is_empty() => {
            return Err(ApiError::bad_input(
                "areaScopes",
                "coordinators and surveyors need at least one area",
            ));
        }
        Role::Admin | Role::Agency if !scopes.is_empty() => {
            return Err(ApiError::bad_input(
                "areaScopes",
                "admin and agency accounts are not scoped by area",
            ));
        }
        Role::Agency if agency_id.is_none() => {
            return Err(ApiError::bad_input(
                "agencyId",
                "agency accounts need an agency",
            ));
        }
        _ => {}
    }
    if let Some(id) = agency_id
        && agency::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(ApiError::bad_input("agencyId", "no agency has this id"));
    }
    Ok(scopes)
}

pub async fn create_account(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAccount,
) -> ApiResult<account::Model> {
    let login = check_login(&input.login)?;
    let display_name = check_display_name(&input.display_name)?;
    password::check_policy(&input.password, &login, "password")?;
    let scopes = check_shape(db, input.role, &input.area_scopes, input.agency_id).await?;
    if account::Entity::find()
        .filter(account::Column::Login.eq(login.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!("the login '{login}' is taken")));
    }
    let hash = password::hash_blocking(input.password).await?;

    let now = Utc::now();
    let txn = db.begin().await?;
    let model = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        login: Set(login),
        display_name: Set(display_name),
        password_hash: Set(hash),
        role: Set(input.role),
        area_scopes: Set(StringList(scopes)),
        agency_id: Set(input.agency_id),
        active: Set(true),
        version: Set(1),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Account", model.id)
            .fields([
                "login",
                "displayName",
                "role",
                "areaScopes",
                "agencyId",
                "password",
            ]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<account::Model> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("account"))
}

/// Applies `changes` if the account is still at `version`; a role, scope or agency change
/// signs the account out everywhere (its refresh tokens stop working at once).
pub async fn update_account(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    changes: AccountChanges,
) -> ApiResult<account::Model> {
    let current = find(db, id).await?;
    let display_name = changes
        .display_name
        .as_deref()
        .map(check_display_name)
        .transpose()?;
    let role = changes.role.unwrap_or(current.role);
    let agency_id = changes.agency_id.unwrap_or(current.agency_id);
    let requested_scopes = changes
        .area_scopes
        .clone()
        .unwrap_or_else(|| current.area_scopes.0.clone());
    let scopes = check_shape(db, role, &requested_scopes, agency_id).await?;
    if current.version != version {
        return Err(ApiError::stale("account"));
    }

    let mut changed = Vec::new();
    let mut active: account::ActiveModel = current.clone().into();
    if let Some(name) = display_name.filter(|n| *n != current.display_name) {
        active.display_name = Set(name);
        changed.push("displayName");
    }
    if role != current.role {
        active.role = Set(role);
        changed.push("role");
    }
    if scopes != current.area_scopes.0 {
        active.area_scopes = Set(StringList(scopes));
        changed.push("areaScopes");
    }
    if agency_id != current.agency_id {
        active.agency_id = Set(agency_id);
        changed.push("agencyId");
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let access_changed = changed.iter().any(|f| *f != "displayName");
    write_versioned(
        db,
        actor,
        current,
        active,
        &changed,
        access_changed.then_some("ACCESS_CHANGED"),
    )
    .await
}

pub async fn set_active(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    active_flag: bool,
) -> ApiResult<account::Model> {
    if !active_flag && actor.id == Some(id) {
        return Err(ApiError::bad_input(
            "id",
            "you cannot deactivate your own account",
        ));
    }
    let current = find(db, id).await?;
    if current.active == active_flag {
        return Ok(current);
    }
    let mut active: account::ActiveModel = current.clone().into();
    active.active = Set(active_flag);
    write_versioned(
        db,
        actor,
        current,
        active,
        &["active"],
        (!active_flag).then_some("DEACTIVATED"),
    )
    .await
}

pub async fn reset_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    new_password: String,
) -> ApiResult<account::Model> {
    let current = find(db, id).await?;
    password::check_policy(&new_password, &current.login, "newPassword")?;
    let hash = password::hash_blocking(new_password).await?;
    let mut active: account::ActiveModel = current.clone().into();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(Utc::now());
    write_versioned(
        db,
        actor,
        current,
        active,
        &["password"],
        Some("PASSWORD_RESET"),
    )
    .await
}

/// Writes `active` only if the row still has the version `current` was read at, bumps the
/// version, records the audit event and (with `revoke`) ends the account's sessions — all in
/// one transaction.
async fn write_versioned(
    db: &DatabaseConnection,
    actor: &Actor,
    current: account::Model,
    mut active: account::ActiveModel,
    changed: &[&str],
    revoke: Option<&str>,
) -> ApiResult<account::Model> {
    let txn = db.begin().await?;
    active.version = Set(current.version + 1);
    active.updated_at = Set(Utc::now());
    let res = account::Entity::update_many()
        .set(active)
        .filter(account::Column::Id.eq(current.id))
        .filter(account::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ApiError::stale("account"));
    }
    if let Some(reason) = revoke {
        auth::revoke_account_sessions(&txn, current.id, reason).await?;
    }
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Update)
            .entity("Account", current.id)
            .fields(changed.iter().copied()),
    )
    .await?;
    let updated = find(&txn, current.id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// An account by id if the viewer may see it.
pub async fn find_visible(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
) -> ApiResult<Option<account::Model>> {
    Ok(visible(viewer)
        .filter(account::Column::Id.eq(id))
        .one(db)
        .await?)
}
