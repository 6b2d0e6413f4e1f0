use chrono::{DateTime, Utc};
use entity::{
    agency, consent,
    enums::{
        AgencyType, AuditAction, ConsentPurpose, ConsentStatus, LegalBasis, StringList, UuidList,
    },
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::Scope,
    error::{ApiError, ApiResult},
    household::service::find_household,
};

/// The stored (SHOUTY_SNAKE) name of an enum value.
pub fn enum_name<T: ActiveEnum<Value = String>>(v: &T) -> String {
    v.to_value()
}

/// May `agency` see `household` for `purpose` at `now`? True only when a consent record of
/// the household is GIVEN, has started, has not expired, covers the purpose, and names the
/// agency or its type. Anything else — no record, refused, withdrawn, expired, another
/// purpose, another recipient, an unknown or inactive agency — is false.
pub async fn may_agency_see(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    household_id: Uuid,
    purpose: ConsentPurpose,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(agency) = agency::Entity::find_by_id(agency_id).one(db).await? else {
        return Ok(false);
    };
    if !agency.active {
        return Ok(false);
    }
    let purpose = enum_name(&purpose);
    let agency_type = enum_name(&agency.agency_type);
    let records = consent::Entity::find()
        .filter(consent::Column::HouseholdId.eq(household_id))
        .filter(consent::Column::Status.eq(ConsentStatus::Given))
        .all(db)
        .await?;
    Ok(records.iter().any(|c| {
        c.given_at.is_some_and(|g| g <= now)
            && c.expires_at.is_none_or(|e| e > now)
            && c.purposes.0.contains(&purpose)
            && (c.recipient_agency_ids.0.contains(&agency_id)
                || c.recipient_agency_types.0.contains(&agency_type))
    }))
}

pub struct NewConsent {
    pub household_id: Uuid,
    pub purposes: Vec<ConsentPurpose>,
    pub recipient_agency_types: Vec<AgencyType>,
    pub recipient_agency_ids: Vec<Uuid>,
    pub legal_basis: LegalBasis,
    pub status: ConsentStatus,
    pub given_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn record_consent(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewConsent,
) -> ApiResult<consent::Model> {
    find_household(db, scope, input.household_id).await?;
    if input.purposes.is_empty() {
        return Err(ApiError::bad_input("purposes", "name at least one purpose"));
    }
    if input.status == ConsentStatus::Given {
        if input.recipient_agency_types.is_empty() && input.recipient_agency_ids.is_empty() {
            return Err(ApiError::bad_input(
                "recipientAgencyIds",
                "name the recipients (agency types or agencies)",
            ));
        }
        if input.given_at.is_none() {
            return Err(ApiError::bad_input("givenAt", "when was it given?"));
        }
    }
    if let (Some(g), Some(e)) = (input.given_at, input.expires_at)
        && e <= g
    {
        return Err(ApiError::bad_input(
            "expiresAt",
            "expires before it was given",
        ));
    }
    if input
        .given_at
        .is_some_and(|g| g > Utc::now() + chrono::Duration::minutes(5))
    {
        return Err(ApiError::bad_input("givenAt", "the date is in the future"));
    }
    for (i, id) in input.recipient_agency_ids.iter().enumerate() {
        if agency::Entity::find_by_id(*id).one(db).await?.is_none() {
            return Err(ApiError::bad_input(
                format!("recipientAgencyIds[{i}]"),
                "no agency has this id",
            ));
        }
    }
    let txn = db.begin().await?;
    let model = consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(input.household_id),
        purposes: Set(StringList(input.purposes.iter().map(enum_name).collect())),
        recipient_agency_types: Set(StringList(
            input.recipient_agency_types.iter().map(enum_name).collect(),
        )),
        recipient_agency_ids: Set(UuidList(input.recipient_agency_ids)),
        legal_basis: Set(input.legal_basis),
        status: Set(input.status),
        given_at: Set(input.given_at),
        expires_at: Set(input.expires_at),
        withdrawn_at: Set(None),
        recorded_by: Set(actor.id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Create)
            .entity("Consent", model.id)
            .fields([
                "purposes",
                "recipients",
                "legalBasis",
                "status",
                "givenAt",
                "expiresAt",
            ]),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Withdraws a given consent; reads that relied on it stop at once.
pub async fn withdraw_consent(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<consent::Model> {
    let current = consent::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("consent"))?;
    find_household(db, scope, current.household_id)
        .await
        .map_err(|_| ApiError::NotFound("consent"))?;
    if current.status != ConsentStatus::Given {
        return Err(ApiError::bad_input(
            "id",
            "only a GIVEN consent can be withdrawn",
        ));
    }
    let txn = db.begin().await?;
    consent::Entity::update_many()
        .col_expr(
            consent::Column::Status,
            Expr::value(ConsentStatus::Withdrawn),
        )
        .col_expr(consent::Column::WithdrawnAt, Expr::value(Utc::now()))
        .filter(consent::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    record(
        &txn,
        AuditEntry::by(actor, AuditAction::Update)
            .entity("Consent", id)
            .fields(["status"]),
    )
    .await?;
    txn.commit().await?;
    consent::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("consent"))
}
