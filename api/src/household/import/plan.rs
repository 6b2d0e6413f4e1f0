//! Planning: what each household of a batch will do (validated, looked up, matched).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    enums::{HouseholdSource, MembershipRole, Sex},
    household, household_external_id, membership, person,
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use crate::household::{
    service::{EXTERNAL_ID_ELSEWHERE, PERSON_ELSEWHERE},
    validate::{
        CheckedPerson, check_external_ids, check_location, check_members, check_size,
        check_village, text,
    },
};
use crate::{
    error::{ApiError, ApiResult},
    graphql::node,
};

use super::*;

/// Which lines a household's outcome applies to.
pub(super) struct Rows {
    pub(super) label: String,
    pub(super) lines: Vec<u64>,
}

/// A household whose rows passed every check that needs no look-up of other households.
pub(super) struct Valid {
    pub(super) rows: Rows,
    pub(super) key: (String, String),
    pub(super) first_line: u64,
    pub(super) member_lines: Vec<u64>,
    pub(super) village: String,
    pub(super) house_number: Option<String>,
    pub(super) address: Option<String>,
    pub(super) location: Option<(f64, f64)>,
    pub(super) source: HouseholdSource,
    pub(super) size: Option<i32>,
    pub(super) members: Vec<(MembershipRole, CheckedPerson)>,
}

/// `validate` field names → (line, CSV column).
pub(super) fn locate(field: &str, first_line: u64, member_lines: &[u64]) -> (u64, String) {
    if let Some((index, tail)) = field
        .strip_prefix("members[")
        .and_then(|rest| rest.split_once(']'))
    {
        let line = index
            .parse::<usize>()
            .ok()
            .and_then(|i| member_lines.get(i))
            .copied()
            .unwrap_or(first_line);
        let column = match tail.strip_prefix(".person.") {
            Some(name) => snake_case(name),
            None => COLUMNS[ROLE].to_string(),
        };
        return (line, column);
    }
    let column = match field {
        "members" => COLUMNS[ROLE].to_string(),
        "location" => format!("{}, {}", COLUMNS[LAT], COLUMNS[LNG]),
        f if f.ends_with(".scheme") => COLUMNS[SCHEME].to_string(),
        f if f.starts_with("externalIds") => COLUMNS[EXTERNAL_ID].to_string(),
        other => snake_case(other),
    };
    (first_line, column)
}

pub(super) fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A validation error as a report reason; anything but bad input is not about the row and
/// stops the import.
pub(super) fn reason_for(
    error: ApiError,
    first_line: u64,
    member_lines: &[u64],
) -> ApiResult<String> {
    match error {
        ApiError::BadUserInput { field, message } => {
            let (line, column) = locate(&field, first_line, member_lines);
            // Some messages repeat the API field name ("members[0].person.education has …").
            let message = message.replace(&field, &column);
            Ok(format!("line {line}: {column}: {message}"))
        }
        ApiError::Conflict(message) => Ok(format!("line {first_line}: {message}")),
        other => Err(other),
    }
}

/// What a household's rows will do.
pub(super) enum Plan {
    Create { id: Uuid, person_ids: Vec<Uuid> },
    Update(Box<Update>),
    Unchanged,
    Duplicate(String),
    Rejected(String),
}

pub(super) struct Update {
    pub(super) current: household::Model,
    /// Household columns that change, with their API field names for the audit log.
    pub(super) columns: Vec<(household::Column, SimpleExpr)>,
    pub(super) fields: Vec<&'static str>,
    pub(super) persons: Vec<PersonChange>,
    /// Membership id → new role.
    pub(super) roles: Vec<(Uuid, MembershipRole)>,
    /// New members: index into `Valid::members`, new person id.
    pub(super) added: Vec<(usize, Uuid)>,
}

pub(super) struct PersonChange {
    pub(super) id: Uuid,
    pub(super) version: i32,
    pub(super) row: person::ActiveModel,
    pub(super) fields: Vec<&'static str>,
}

impl Update {
    pub(super) fn members_changed(&self) -> bool {
        !self.roles.is_empty() || !self.added.is_empty()
    }
}

/// Who holds an ID number already.
pub(super) struct Owner {
    pub(super) household_id: Option<Uuid>,
    /// Whether that membership is current.
    pub(super) active: bool,
}

/// What the database knows about one batch.
#[derive(Default)]
pub(super) struct Known {
    pub(super) by_key: HashMap<(String, String), Uuid>,
    pub(super) households: HashMap<Uuid, household::Model>,
    /// Current members of the batch's known households.
    pub(super) members: HashMap<Uuid, Vec<(membership::Model, person::Model)>>,
    pub(super) owners: HashMap<String, Owner>,
}

impl<C: ImportDb> Importer<'_, C> {
    /// Every check of the registry that needs only this household (and the village table).
    pub(super) async fn validate(&mut self, g: Group) -> ApiResult<Result<Valid, (Rows, String)>> {
        let rows = Rows {
            label: g.label,
            lines: g.lines,
        };
        let refuse = |rows: Rows, reason: String| Ok(Err((rows, reason)));
        let household = match (g.problem, g.household) {
            (Some(reason), _) | (None, Err(reason)) => return refuse(rows, reason),
            (None, Ok(h)) => h,
        };
        let (first, lines) = (g.first_line, &g.member_lines);
        let checked = (|| {
            check_external_ids(&[(g.key.0.clone(), g.key.1.clone())])?;
            let location = check_location(household.lat, household.lng)?;
            let size = check_size(household.household_size)?;
            let house_number = text(household.house_number.as_deref(), "houseNumber", 50)?;
            let address = text(household.address.as_deref(), "address", 500)?;
            let members = check_members(&g.members, self.pii)?;
            Ok((location, size, house_number, address, members))
        })();
        let (location, size, house_number, address, members) = match checked {
            Ok(c) => c,
            Err(e) => return refuse(rows, reason_for(e, first, lines)?),
        };
        let village = match self.village(&household.village_code).await? {
            Ok(code) => code,
            Err(message) => {
                return refuse(
                    rows,
                    format!("line {first}: {}: {message}", COLUMNS[VILLAGE]),
                );
            }
        };
        Ok(Ok(Valid {
            rows,
            key: g.key,
            first_line: first,
            member_lines: g.member_lines,
            village,
            house_number,
            address,
            location,
            source: household.source,
            size,
            members: members.into_iter().map(|(role, _, p)| (role, p)).collect(),
        }))
    }

    pub(super) async fn village(&mut self, code: &str) -> ApiResult<Result<String, String>> {
        if let Some(known) = self.villages.get(code) {
            return Ok(known.clone());
        }
        let checked = match check_village(self.db, code, self.scope).await {
            Ok(c) => Ok(c),
            Err(ApiError::BadUserInput { message, .. }) => Err(message),
            Err(other) => return Err(other),
        };
        self.villages.insert(code.to_string(), checked.clone());
        Ok(checked)
    }

    /// One round of queries for the whole batch: known external ids, their households and
    /// current members, and who holds each ID number.
    pub(super) async fn look_up(&self, batch: &[Valid]) -> ApiResult<Known> {
        let mut known = Known::default();
        if batch.is_empty() {
            return Ok(known);
        }
        let mut by_scheme: HashMap<&str, Vec<&str>> = HashMap::new();
        for v in batch {
            by_scheme.entry(&v.key.0).or_default().push(&v.key.1);
        }
        for (scheme, values) in by_scheme {
            for list in in_lists(&values) {
                for row in household_external_id::Entity::find()
                    .filter(household_external_id::Column::Scheme.eq(scheme))
                    .filter(household_external_id::Column::Value.is_in(list))
                    .all(self.db)
                    .await?
                {
                    known
                        .by_key
                        .insert((row.scheme, row.value), row.household_id);
                }
            }
        }

        let persons = || batch.iter().flat_map(|v| &v.members).map(|(_, p)| p);
        let hashes: Vec<&str> = persons()
            .filter_map(|p| p.sealed.as_ref().map(|s| s.hash.as_str()))
            .collect();
        let mut holders: HashMap<Uuid, String> = HashMap::new();
        for list in in_lists(&hashes) {
            let rows: Vec<(Uuid, Option<String>)> = person::Entity::find()
                .select_only()
                .column(person::Column::Id)
                .column(person::Column::NationalIdHash)
                .filter(person::Column::NationalIdHash.is_in(list))
                .into_tuple()
                .all(self.db)
                .await?;
            holders.extend(rows.into_iter().filter_map(|(id, h)| Some((id, h?))));
        }
        if !holders.is_empty() {
            let ids: Vec<Uuid> = holders.keys().copied().collect();
            let mut by_person: HashMap<Uuid, Vec<membership::Model>> = HashMap::new();
            for list in in_lists(&ids) {
                for m in membership::Entity::find()
                    .filter(membership::Column::PersonId.is_in(list))
                    .all(self.db)
                    .await?
                {
                    by_person.entry(m.person_id).or_default().push(m);
                }
            }
            for (person_id, hash) in holders {
                // A current membership wins over past ones.
                let m = by_person.get(&person_id).and_then(|ms| {
                    ms.iter()
                        .max_by_key(|m| (m.end_date.is_none(), m.created_at))
                });
                known.owners.insert(
                    hash,
                    Owner {
                        household_id: m.map(|m| m.household_id),
                        active: m.is_some_and(|m| m.end_date.is_none()),
                    },
                );
            }
        }

        let household_ids: Vec<Uuid> = known
            .by_key
            .values()
            .copied()
            .chain(known.owners.values().filter_map(|o| o.household_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for list in in_lists(&household_ids) {
            for h in household::Entity::find()
                .filter(household::Column::Id.is_in(list))
                .all(self.db)
                .await?
            {
                known.households.insert(h.id, h);
            }
        }
        let keyed: Vec<Uuid> = known.by_key.values().copied().collect();
        for list in in_lists(&keyed) {
            for (m, p) in membership::Entity::find()
                .filter(membership::Column::HouseholdId.is_in(list))
                .filter(membership::Column::EndDate.is_null())
                .find_also_related(person::Entity)
                .all(self.db)
                .await?
            {
                if let Some(p) = p {
                    known
                        .members
                        .entry(m.household_id)
                        .or_default()
                        .push((m, p));
                }
            }
        }
        Ok(known)
    }

    pub(super) fn plan_all(&self, batch: &[Valid], known: &Known) -> Vec<Plan> {
        // ID numbers taken by earlier households of this batch → that household.
        let mut claimed: HashMap<String, Uuid> = HashMap::new();
        let mut plans = Vec::with_capacity(batch.len());
        for v in batch {
            let plan = self.plan(v, known, &claimed);
            let household = match &plan {
                Plan::Create { id, .. } => Some(*id),
                Plan::Update(u) => Some(u.current.id),
                Plan::Unchanged => known.by_key.get(&v.key).copied(),
                Plan::Duplicate(_) | Plan::Rejected(_) => None,
            };
            if let Some(household) = household {
                for (_, p) in &v.members {
                    if let Some(s) = &p.sealed {
                        claimed.insert(s.hash.clone(), household);
                    }
                }
            }
            plans.push(plan);
        }
        plans
    }

    /// Where a clashing ID number is, in words: the household when the caller may see it,
    /// otherwise `service::PERSON_ELSEWHERE` (a CONFLICT never confirms a number exists outside
    /// the caller's scope).
    pub(super) fn named(&self, household: Option<&household::Model>) -> String {
        match household {
            Some(h) if self.scope.contains_area(&h.village_code) => format!(
                "a person with this ID number is already registered, in household {}",
                node::encode("Household", h.id).0
            ),
            _ => PERSON_ELSEWHERE.to_string(),
        }
    }

    pub(super) fn plan(&self, v: &Valid, known: &Known, claimed: &HashMap<String, Uuid>) -> Plan {
        let existing = known
            .by_key
            .get(&v.key)
            .and_then(|id| known.households.get(id));
        if let Some(h) = existing
            && !self.scope.contains_area(&h.village_code)
        {
            return Plan::Rejected(at(v.first_line, EXTERNAL_ID, EXTERNAL_ID_ELSEWHERE));
        }
        for (i, (_, p)) in v.members.iter().enumerate() {
            let Some(s) = &p.sealed else { continue };
            let line = v.member_lines.get(i).copied().unwrap_or(v.first_line);
            if let Some(other) = claimed.get(&s.hash) {
                return Plan::Duplicate(at(
                    line,
                    NATIONAL_ID,
                    format!(
                        "a person with this ID number is in household {}, earlier in this file",
                        node::encode("Household", other).0
                    ),
                ));
            }
            let Some(owner) = known.owners.get(&s.hash) else {
                continue;
            };
            match (existing, owner.household_id) {
                (Some(h), Some(o)) if h.id == o && owner.active => {}
                (Some(h), Some(o)) if h.id == o => {
                    return Plan::Rejected(at(
                        line,
                        NATIONAL_ID,
                        "this person has left this household; add them again in the app",
                    ));
                }
                (_, o) => {
                    return Plan::Duplicate(at(
                        line,
                        NATIONAL_ID,
                        self.named(o.and_then(|o| known.households.get(&o))),
                    ));
                }
            }
        }
        match existing {
            None => Plan::Create {
                id: Uuid::now_v7(),
                person_ids: v.members.iter().map(|_| Uuid::now_v7()).collect(),
            },
            Some(h) => self.plan_update(v, h, known.members.get(&h.id).map_or(&[], Vec::as_slice)),
        }
    }

    pub(super) fn plan_update(
        &self,
        v: &Valid,
        current: &household::Model,
        members: &[(membership::Model, person::Model)],
    ) -> Plan {
        let mut columns: Vec<(household::Column, SimpleExpr)> = Vec::new();
        let mut fields = Vec::new();
        if v.village != current.village_code {
            columns.push((
                household::Column::VillageCode,
                Expr::value(v.village.clone()),
            ));
            fields.push("villageCode");
        }
        if v.house_number.is_some() && v.house_number != current.house_number {
            columns.push((
                household::Column::HouseNumber,
                Expr::value(v.house_number.clone()),
            ));
            fields.push("houseNumber");
        }
        if v.address.is_some() && v.address != current.address {
            columns.push((household::Column::Address, Expr::value(v.address.clone())));
            fields.push("address");
        }
        if let Some((lat, lng)) = v.location
            && (Some(lat), Some(lng)) != (current.lat, current.lng)
        {
            columns.push((household::Column::Lat, Expr::value(lat)));
            columns.push((household::Column::Lng, Expr::value(lng)));
            fields.push("location");
        }
        if v.source != current.source {
            columns.push((household::Column::Source, Expr::value(v.source)));
            fields.push("source");
        }
        if v.size.is_some() && v.size != current.household_size {
            columns.push((household::Column::HouseholdSize, Expr::value(v.size)));
            fields.push("householdSize");
        }

        // Match the file's members to the current ones: by ID number first, then by name and
        // birth date (a person without an ID, or whose ID is new to the registry).
        let mut matched: Vec<Option<usize>> = vec![None; v.members.len()];
        let mut taken = vec![false; members.len()];
        for (i, (_, p)) in v.members.iter().enumerate() {
            let Some(s) = &p.sealed else { continue };
            if let Some(j) = members
                .iter()
                .position(|(_, q)| q.national_id_hash.as_deref() == Some(s.hash.as_str()))
            {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }
        for (i, (_, p)) in v.members.iter().enumerate() {
            if matched[i].is_some() {
                continue;
            }
            if let Some(j) = members.iter().enumerate().position(|(j, (_, q))| {
                !taken[j]
                    && q.name_key == p.name_key
                    && q.birth_date == p.birth_date
                    && (p.sealed.is_none() || q.national_id_hash.is_none())
            }) {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }

        let now = Utc::now();
        let mut persons = Vec::new();
        let mut roles = Vec::new();
        let mut added = Vec::new();
        let mut final_roles: Vec<MembershipRole> = members.iter().map(|(m, _)| m.role).collect();
        for (i, (role, p)) in v.members.iter().enumerate() {
            match matched[i] {
                Some(j) => {
                    let (m, q) = &members[j];
                    if *role != m.role {
                        roles.push((m.id, *role));
                        final_roles[j] = *role;
                    }
                    if let Some(change) = person_change(q, p, now) {
                        persons.push(change);
                    }
                }
                None => {
                    added.push((i, Uuid::now_v7()));
                    final_roles.push(*role);
                }
            }
        }
        let heads = final_roles
            .iter()
            .filter(|r| **r == MembershipRole::Head)
            .count();
        if heads != 1 {
            return Plan::Rejected(at(
                v.first_line,
                ROLE,
                format!(
                    "the household would have {heads} HEADs (its current members who are not in \
                     the file keep their roles)"
                ),
            ));
        }
        if columns.is_empty() && persons.is_empty() && roles.is_empty() && added.is_empty() {
            return Plan::Unchanged;
        }
        Plan::Update(Box::new(Update {
            current: current.clone(),
            columns,
            fields,
            persons,
            roles,
            added,
        }))
    }
}

impl Plan {
    pub(super) fn into_outcome(self) -> (ImportOutcome, Option<String>) {
        match self {
            Plan::Create { .. } => (ImportOutcome::Created, None),
            Plan::Update(_) => (ImportOutcome::Updated, None),
            Plan::Unchanged => (ImportOutcome::Unchanged, None),
            Plan::Duplicate(reason) => (ImportOutcome::Duplicate, Some(reason)),
            Plan::Rejected(reason) => (ImportOutcome::Rejected, Some(reason)),
        }
    }
}

/// The changes a file row makes to a stored person: only cells with a value count, so an
/// import never erases what field staff recorded.
pub(super) fn person_change(
    current: &person::Model,
    new: &CheckedPerson,
    now: DateTime<Utc>,
) -> Option<PersonChange> {
    let mut row = person::ActiveModel::default();
    let mut fields = Vec::new();
    if new.given_name != current.given_name {
        row.given_name = Set(new.given_name.clone());
        fields.push("givenName");
    }
    if new.family_name != current.family_name {
        row.family_name = Set(new.family_name.clone());
        fields.push("familyName");
    }
    if new.name_key != current.name_key {
        row.name_key = Set(new.name_key.clone());
    }
    if new.sex != Sex::Unknown && new.sex != current.sex {
        row.sex = Set(new.sex);
        fields.push("sex");
    }
    if new.birth_date.is_some() && new.birth_date != current.birth_date {
        row.birth_date = Set(new.birth_date);
        row.birth_year = Set(new.birth_year);
        fields.push("birthDate");
    }
    for (name, value, stored, target) in [
        ("phone", &new.phone, &current.phone, &mut row.phone),
        (
            "education",
            &new.education,
            &current.education,
            &mut row.education,
        ),
        (
            "occupation",
            &new.occupation,
            &current.occupation,
            &mut row.occupation,
        ),
        (
            "disability",
            &new.disability,
            &current.disability,
            &mut row.disability,
        ),
        (
            "chronicIllness",
            &new.chronic_illness,
            &current.chronic_illness,
            &mut row.chronic_illness,
        ),
    ] {
        if value.is_some() && value != stored {
            *target = Set(value.clone());
            fields.push(name);
        }
    }
    if let Some(s) = &new.sealed
        && current.national_id_hash.is_none()
    {
        row.id_type = Set(new.id_type);
        row.national_id_ciphertext = Set(Some(s.ciphertext.clone()));
        row.national_id_key_id = Set(Some(s.key_id.clone()));
        row.national_id_hash = Set(Some(s.hash.clone()));
        row.national_id_last_digit = Set(Some(s.last_digit.clone()));
        fields.extend(["idType", "nationalId"]);
    }
    if fields.is_empty() {
        return None;
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    Some(PersonChange {
        id: current.id,
        version: current.version,
        row,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_field_names_become_csv_columns_on_the_right_line() {
        let lines = [5, 6, 7];
        assert_eq!(
            locate("members[1].person.birthDate", 5, &lines),
            (6, "birth_date".to_string())
        );
        assert_eq!(
            locate("members[2].person.chronicIllness", 5, &lines),
            (7, "chronic_illness".to_string())
        );
        assert_eq!(locate("members", 5, &lines), (5, "member_role".to_string()));
        assert_eq!(
            locate("villageCode", 5, &lines),
            (5, "village_code".to_string())
        );
        assert_eq!(locate("location", 5, &lines), (5, "lat, lng".to_string()));
        assert_eq!(
            locate("externalIds[0].scheme", 5, &lines),
            (5, "household_external_scheme".to_string())
        );
    }
}
