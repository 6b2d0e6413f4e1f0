//! Memberships: adding a member, ending a membership.
use chrono::{NaiveDate, Utc};
use entity::{
    enums::{AuditAction, MembershipRole},
    membership,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::household::{
    duplicates,
    validate::{PersonInput, check_person, text},
};
use crate::{
    audit::service::AuditEntry,
    error::{ApiError, ApiResult},
    idempotency::{self, IdemKey},
    pii::PiiCipher,
};

use super::*;

pub(super) async fn active_members(
    conn: &impl ConnectionTrait,
    household_id: Uuid,
) -> ApiResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::HouseholdId.eq(household_id))
        .filter(membership::Column::EndDate.is_null())
        .all(conn)
        .await?)
}

/// A person to add to a household the caller saw at `version`.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub household_id: Uuid,
    pub version: i32,
    pub role: MembershipRole,
    pub start_date: Option<NaiveDate>,
    pub person: PersonInput,
}

/// Adds a person to a household (at most one HEAD at a time).
pub async fn add_member(
    caller: &Caller<'_>,
    pii: &PiiCipher,
    new: NewMember,
    idem: Option<IdemKey>,
) -> ApiResult<membership::Model> {
    let Caller { db, scope, actor } = *caller;
    let NewMember {
        household_id,
        version,
        role,
        start_date,
        person: input,
    } = new;
    let id = idempotency::run(db, idem.as_ref(), || async {
        let household = find_household(db, scope, household_id).await?;
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let person = check_person(&input, "person", pii)?;
        if role == MembershipRole::Head
            && active_members(db, household_id)
                .await?
                .iter()
                .any(|m| m.role == MembershipRole::Head)
        {
            return Err(ApiError::bad_input(
                "role",
                "this household has a HEAD already",
            ));
        }
        if let Some(s) = &person.sealed {
            check_id_not_registered(db, scope, &s.hash, "person.nationalId").await?;
        }
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let now = Utc::now();
        let (person_id, membership_id) = (Uuid::now_v7(), Uuid::now_v7());
        let txn = db.begin().await?;
        claim_household(&txn, actor, household_id, version, &[]).await?;
        let new = NewPerson {
            id: person_id,
            membership_id,
            role,
            start_date,
            person: &person,
        };
        insert_members(&txn, &[(household_id, &household.village_code, &new)], now).await?;
        duplicates::flag_similar(
            &txn,
            household_id,
            &household.village_code,
            &[(person_id, person)],
        )
        .await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", household_id)
                .fields(["members"]),
            idem.as_ref(),
            membership_id,
        )
        .await
    })
    .await?;
    let id = Uuid::parse_str(&id).map_err(ApiError::internal)?;
    membership::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("membership"))
}

/// The end of a membership of a household the caller saw at `version`.
#[derive(Debug, Clone)]
pub struct MembershipEnd {
    pub membership_id: Uuid,
    pub version: i32,
    pub end_date: NaiveDate,
    pub reason: String,
}

/// Ends a membership (moved out, deceased …). The HEAD's membership cannot end while the
/// household has other members: there must always be exactly one head.
pub async fn end_membership(
    caller: &Caller<'_>,
    end: MembershipEnd,
    idem: Option<IdemKey>,
) -> ApiResult<membership::Model> {
    let Caller { db, scope, actor } = *caller;
    let MembershipEnd {
        membership_id,
        version,
        end_date,
        reason,
    } = end;
    idempotency::run(db, idem.as_ref(), || async {
        let m = membership::Entity::find_by_id(membership_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("membership"))?;
        let household = find_household(db, scope, m.household_id)
            .await
            .map_err(|_| ApiError::NotFound("membership"))?;
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        if m.end_date.is_some() {
            return Err(ApiError::bad_input(
                "membershipId",
                "this membership has ended already",
            ));
        }
        if end_date > Utc::now().date_naive() {
            return Err(ApiError::bad_input("endDate", "the date is in the future"));
        }
        if m.start_date.is_some_and(|s| end_date < s) {
            return Err(ApiError::bad_input(
                "endDate",
                "the membership ends before it starts",
            ));
        }
        let reason = text(Some(&reason), "reason", 500)?
            .ok_or_else(|| ApiError::bad_input("reason", "say why"))?;
        if m.role == MembershipRole::Head && active_members(db, m.household_id).await?.len() > 1 {
            return Err(ApiError::bad_input(
                "membershipId",
                "the HEAD cannot leave while others remain; make another member head first",
            ));
        }
        if household.version != version {
            return Err(ApiError::stale("household"));
        }
        let txn = db.begin().await?;
        claim_household(&txn, actor, m.household_id, version, &[]).await?;
        membership::Entity::update_many()
            .col_expr(membership::Column::EndDate, Expr::value(end_date))
            .col_expr(membership::Column::EndReason, Expr::value(reason))
            .filter(membership::Column::Id.eq(membership_id))
            .exec(&txn)
            .await?;
        idempotency::commit(
            txn,
            AuditEntry::by(actor, AuditAction::Update)
                .entity("Household", m.household_id)
                .fields(["members"]),
            idem.as_ref(),
            membership_id,
        )
        .await
    })
    .await?;
    membership::Entity::find_by_id(membership_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("membership"))
}
