//! The `households(filter:)` filter.
use chrono::NaiveDate;
use entity::{enums::HouseholdStatus, household, household_external_id, membership, person};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use crate::{
    error::{ApiError, ApiResult},
    pii::PiiCipher,
};

/// Households filtered as `households(filter:)` says, inside the scope.
pub struct HouseholdFilter {
    pub area_code: Option<String>,
    pub statuses: Vec<HouseholdStatus>,
    pub sources: Vec<entity::enums::HouseholdSource>,
    pub search: Option<String>,
    pub verified_from: Option<NaiveDate>,
    pub verified_to: Option<NaiveDate>,
    pub graduation: Option<crate::graduation::service::GraduationState>,
}

/// The `households(filter:)` list inside the caller's scope. Searching by personal data needs
/// a role that sees ID numbers; a national-ID lookup is recorded as SEARCH in the audit log.
pub async fn list_households(
    caller: &super::Caller<'_>,
    viewer: &crate::auth::Viewer,
    pii: &PiiCipher,
    filter: &HouseholdFilter,
) -> ApiResult<Select<household::Entity>> {
    if filter.search.is_some() && !crate::auth::policy::sees_id_numbers(viewer) {
        return Err(ApiError::bad_input(
            "filter.search",
            "searching by personal data needs a role that sees it",
        ));
    }
    let (select, searched_id) =
        filter_households(super::visible_households(caller.scope), filter, pii)?;
    if searched_id {
        use crate::audit::service::{AuditEntry, record};
        record(
            caller.db,
            AuditEntry::by(caller.actor, entity::enums::AuditAction::Search)
                .entity("Household", "national-id-search")
                .fields(["nationalId"]),
        )
        .await?;
    }
    Ok(select)
}

/// Applies a filter. A search for a 13-digit number that passes the check digit is an exact
/// national ID lookup (through the keyed hash), recorded as SEARCH in the audit log by the
/// caller; any other text matches member names (partial), house numbers and external ids.
pub fn filter_households(
    select: Select<household::Entity>,
    filter: &HouseholdFilter,
    pii: &PiiCipher,
) -> ApiResult<(Select<household::Entity>, bool)> {
    let mut select = select;
    let mut searched_id = false;
    if let Some(code) = filter.area_code.as_deref() {
        let prefix = crate::area::prefix::DopaPrefix::parse(code, "filter.areaCode")?;
        select = select.filter(household::Column::VillageCode.like(prefix.pattern()));
    }
    if !filter.statuses.is_empty() {
        select = select.filter(household::Column::Status.is_in(filter.statuses.clone()));
    }
    if !filter.sources.is_empty() {
        select = select.filter(household::Column::Source.is_in(filter.sources.clone()));
    }
    if let Some(from) = filter.verified_from {
        select = select.filter(household::Column::VerifiedOn.gte(from));
    }
    if let Some(to) = filter.verified_to {
        select = select.filter(household::Column::VerifiedOn.lte(to));
    }
    if let Some(state) = filter.graduation {
        select = select.filter(crate::graduation::service::household_condition(state));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(crate::graphql::search::normalize)
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > 100 {
            return Err(ApiError::bad_input(
                "filter.search",
                "at most 100 characters",
            ));
        }
        let members_matching = |person_cond: Condition| {
            membership::Entity::find()
                .select_only()
                .column(membership::Column::HouseholdId)
                .filter(membership::Column::EndDate.is_null())
                .filter(
                    membership::Column::PersonId.in_subquery(
                        person::Entity::find()
                            .select_only()
                            .column(person::Column::Id)
                            .filter(person_cond)
                            .into_query(),
                    ),
                )
                .into_query()
        };
        if let Ok(digits) = crate::pii::normalize_thai_id(&search) {
            searched_id = true;
            select = select.filter(household::Column::Id.in_subquery(members_matching(
                Condition::all().add(person::Column::NationalIdHash.eq(pii.hash(&digits))),
            )));
        } else {
            let by_name = crate::graphql::search::contains([person::Column::NameKey], &search);
            let by_external = household_external_id::Entity::find()
                .select_only()
                .column(household_external_id::Column::HouseholdId)
                .filter(household_external_id::Column::Value.eq(search.clone()))
                .into_query();
            select = select.filter(
                Condition::any()
                    .add(household::Column::Id.in_subquery(members_matching(by_name)))
                    .add(household::Column::HouseNumber.eq(search.clone()))
                    .add(household::Column::Id.in_subquery(by_external)),
            );
        }
    }
    Ok((select, searched_id))
}
