//! What a scope may see of the registry: the `visible_*` selects and the `find_*` look-ups.
use chrono::Utc;
use entity::{household, household_external_id, household_status_event, membership, person};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    Select,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    auth::Scope,
    consent::gate,
    error::{ApiError, ApiResult},
};

/// Households the scope may see: by village for area scopes; for AGENCY staff, the households
/// a consented referral, match or owned case opens to them (`consent::gate`); for ANALYST
/// none (aggregates only: `dashboard`).
pub fn visible_households(scope: &Scope) -> Select<household::Entity> {
    household::Entity::find().filter(household_visibility(scope))
}

/// The households among `ids` the scope may see: `visible_households` restricted to a batch
/// of ids (the by-id loader), with the consent gate told which households are at hand
/// (`gate::agency_sees_household_among`).
pub fn visible_households_among(scope: &Scope, ids: &[Uuid]) -> Select<household::Entity> {
    let visibility = match scope {
        Scope::Agency(agency) => gate::agency_sees_household_among(
            Expr::col(household::Column::Id.as_column_ref()),
            *agency,
            Utc::now(),
            Some(ids),
        ),
        _ => household_visibility(scope),
    };
    household::Entity::find()
        .filter(household::Column::Id.is_in(ids.iter().copied()))
        .filter(visibility)
}

/// The condition of `visible_households` on the household table itself.
pub(super) fn household_visibility(scope: &Scope) -> Condition {
    match scope {
        Scope::Agency(agency) => gate::agency_sees_household(
            Expr::col(household::Column::Id.as_column_ref()),
            *agency,
            Utc::now(),
        ),
        Scope::All | Scope::Areas(_) => scope.condition(household::Column::VillageCode, None),
        // ANALYST's areas are the areas of its aggregates, not of rows it may read.
        Scope::Aggregates(_) | Scope::Nothing => crate::auth::scope::nothing(),
    }
}

/// "`column` holds the id of a household the scope may see": the one condition every record
/// that hangs off a household (members, assessments, matches, consents, enterprise links,
/// cases, …) builds on. Never true for ANALYST (`Scope::reads_households`).
pub fn in_visible_household<C: ColumnTrait>(scope: &Scope, column: C) -> Condition {
    in_visible_household_expr(scope, Expr::col(column.as_column_ref()))
}

/// `in_visible_household` for any expression naming a household id (e.g. an aliased column
/// of a correlated subquery).
pub fn in_visible_household_expr(scope: &Scope, column: Expr) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Aggregates(_) | Scope::Nothing => crate::auth::scope::nothing(),
        Scope::Agency(agency) => gate::agency_sees_household(column, *agency, Utc::now()),
        Scope::Areas(_) => Condition::all().add(
            column.in_subquery(
                visible_households(scope)
                    .select_only()
                    .column(household::Column::Id)
                    .into_query(),
            ),
        ),
    }
}

/// Memberships (current and past) of households the scope may see.
pub fn visible_memberships(scope: &Scope) -> Select<membership::Entity> {
    membership::Entity::find().filter(in_visible_household(scope, membership::Column::HouseholdId))
}

/// Persons with a membership (current or past) in a household the scope may see (none for
/// ANALYST).
pub fn visible_persons(scope: &Scope) -> Select<person::Entity> {
    match scope {
        Scope::All => return person::Entity::find(),
        Scope::Aggregates(_) | Scope::Nothing => {
            return person::Entity::find().filter(crate::auth::scope::nothing());
        }
        Scope::Agency(_) => {
            // Correlated, so a batch of persons checks only their own households.
            let m = Alias::new("person_membership");
            let member = Query::select()
                .expr(Expr::val(1))
                .from_as(membership::Entity, m.clone())
                .and_where(
                    Expr::col((m.clone(), membership::Column::PersonId))
                        .equals((person::Entity, person::Column::Id)),
                )
                .cond_where(in_visible_household_expr(
                    scope,
                    Expr::col((m, membership::Column::HouseholdId)),
                ))
                .to_owned();
            return person::Entity::find().filter(Expr::exists(member));
        }
        _ => {}
    }
    let memberships = visible_memberships(scope)
        .select_only()
        .column(membership::Column::PersonId)
        .into_query();
    person::Entity::find().filter(person::Column::Id.in_subquery(memberships))
}

/// Lifecycle events of households the scope may see; partner agencies see none (the
/// registry's internal history).
pub fn visible_status_events(scope: &Scope) -> Select<household_status_event::Entity> {
    let condition = match scope {
        Scope::Agency(_) => crate::auth::scope::nothing(),
        _ => in_visible_household(scope, household_status_event::Column::HouseholdId),
    };
    household_status_event::Entity::find().filter(condition)
}

/// Ids a household has in other systems, for the scopes that see identity numbers (not
/// partner agencies; not ANALYST, who reads no household at all).
pub fn visible_external_ids(scope: &Scope) -> Select<household_external_id::Entity> {
    let condition = match scope {
        Scope::Agency(_) => crate::auth::scope::nothing(),
        _ => in_visible_household(scope, household_external_id::Column::HouseholdId),
    };
    household_external_id::Entity::find().filter(condition)
}

pub async fn find_household(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<household::Model> {
    visible_households(scope)
        .filter(household::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("household"))
}

pub async fn find_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<person::Model> {
    visible_persons(scope)
        .filter(person::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))
}
