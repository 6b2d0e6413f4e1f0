use chrono::{DateTime, Utc};
use entity::{
    agency, consent, consent_grant,
    enums::{
        AgencyType, AuditAction, ConsentPurpose, ConsentStatus, LegalBasis, StringList, UuidList,
    },
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Select, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::gate;
use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::Scope,
    error::{ApiError, ApiResult},
    household::service::{find_household, in_visible_household},
};

/// The stored (SHOUTY_SNAKE) name of an enum value.
pub fn enum_name<T: ActiveEnum<Value = String>>(v: &T) -> String {
    v.to_value()
}

/// The consent of `household` that, at `now`, covers `purpose` for `agency` (by id or by the
/// agency's type), if there is one: GIVEN, started, not expired. None for an unknown or
/// inactive agency, and for a refused, withdrawn or expired consent, another purpose or
/// another recipient. The newest covering consent wins.
pub async fn covering_consent(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    household_id: Uuid,
    purpose: ConsentPurpose,
    now: DateTime<Utc>,
) -> ApiResult<Option<consent::Model>> {
    let covering = gate::consents_covering(agency_id, purpose)
        .and_where(consent_grant::Column::HouseholdId.eq(household_id))
        .to_owned();
    Ok(consent::Entity::find()
        .filter(consent::Column::Id.in_subquery(covering))
        .filter(gate::valid_consents(now))
        .order_by_desc(consent::Column::Id)
        .one(db)
        .await?)
}

/// Consents the scope may read: those of visible households for staff; for AGENCY staff, the
/// consents that name their agency or its type, of households open to them.
pub fn visible_consents(scope: &Scope) -> Select<consent::Entity> {
    let mut select =
        consent::Entity::find().filter(in_visible_household(scope, consent::Column::HouseholdId));
    if let Scope::Agency(agency) = scope {
        select = select.filter(consent::Column::Id.in_subquery(gate::consents_naming(*agency)));
    }
    select
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
        recipient_agency_ids: Set(UuidList(input.recipient_agency_ids.clone())),
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
    insert_grants(&txn, &model, &input).await?;
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

/// One `consent_grant` row per purpose and recipient, so that the gate is one indexed
/// condition on both databases (the consent row keeps the lists as given).
async fn insert_grants(
    conn: &impl ConnectionTrait,
    consent: &consent::Model,
    input: &NewConsent,
) -> ApiResult<()> {
    let mut rows = Vec::new();
    for purpose in &input.purposes {
        let row =
            |agency_id: Option<Uuid>, agency_type: Option<AgencyType>| consent_grant::ActiveModel {
                id: Set(Uuid::now_v7()),
                consent_id: Set(consent.id),
                household_id: Set(consent.household_id),
                purpose: Set(*purpose),
                agency_id: Set(agency_id),
                agency_type: Set(agency_type),
            };
        rows.extend(
            input
                .recipient_agency_ids
                .iter()
                .map(|a| row(Some(*a), None)),
        );
        rows.extend(
            input
                .recipient_agency_types
                .iter()
                .map(|t| row(None, Some(*t))),
        );
    }
    if !rows.is_empty() {
        consent_grant::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
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
