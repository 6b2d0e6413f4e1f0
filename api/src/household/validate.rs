//! Input checks for households and persons. Everything here runs before a write; each error
//! names the input field (`members[1].person.nationalId`).
use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    area,
    enums::{AreaLevel, HouseholdSource, IdType, MembershipRole, Sex},
};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    auth::Scope,
    error::{ApiError, ApiResult},
    graphql::search::normalize,
    pii::{PiiCipher, SealedId, normalize_thai_id},
};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PersonInput {
    pub given_name: String,
    pub family_name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub chronic_illness: Option<String>,
    pub id_type: Option<IdType>,
    pub national_id: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberInput {
    pub role: MembershipRole,
    pub start_date: Option<NaiveDate>,
    pub person: PersonInput,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HouseholdInput {
    pub village_code: String,
    pub house_number: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub source: HouseholdSource,
    pub household_size: Option<i32>,
    pub external_ids: Vec<(String, String)>,
    pub client_created_at: Option<chrono::DateTime<Utc>>,
    pub members: Vec<MemberInput>,
}

/// A person ready to be written.
#[derive(Debug, Clone)]
pub struct CheckedPerson {
    pub given_name: String,
    pub family_name: String,
    pub name_key: String,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub phone: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub chronic_illness: Option<String>,
    pub id_type: IdType,
    pub sealed: Option<SealedId>,
}

pub fn text(v: Option<&str>, field: &str, max: usize) -> ApiResult<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let v = normalize(v);
    if v.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(Some(v).filter(|s| !s.is_empty()))
}

fn name(v: &str, field: &str) -> ApiResult<String> {
    let v = normalize(v);
    if v.is_empty() || v.chars().count() > 100 {
        return Err(ApiError::bad_input(field, "a name has 1 to 100 characters"));
    }
    Ok(v)
}

/// Key for name search and similarity: normalised, lower case, "given family".
pub fn name_key(given: &str, family: &str) -> String {
    format!("{} {}", normalize(given), normalize(family)).to_lowercase()
}

/// Thai phone numbers in national form: `0` and 8 or 9 more digits (`+66` becomes `0`).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = if raw.trim_start().starts_with('+') {
        digits.strip_prefix("66").map(|rest| format!("0{rest}"))?
    } else {
        digits
    };
    (national.starts_with('0') && (9..=10).contains(&national.len())).then_some(national)
}

pub fn check_person(
    input: &PersonInput,
    prefix: &str,
    pii: &PiiCipher,
) -> ApiResult<CheckedPerson> {
    let f = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let given_name = name(&input.given_name, &f("givenName"))?;
    let family_name = name(&input.family_name, &f("familyName"))?;
    if let Some(b) = input.birth_date {
        if b > Utc::now().date_naive() {
            return Err(ApiError::bad_input(
                f("birthDate"),
                "the birth date is in the future",
            ));
        }
        if b.year() < 1890 {
            return Err(ApiError::bad_input(
                f("birthDate"),
                "the birth date is too far in the past",
            ));
        }
    }
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(raw) => Some(normalize_phone(raw).ok_or_else(|| {
            ApiError::bad_input(
                f("phone"),
                "a Thai phone number has 9 or 10 digits starting with 0 (or +66)",
            )
        })?),
    };
    let raw_id = input
        .national_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let id_type = input.id_type.unwrap_or(if raw_id.is_some() {
        IdType::ThaiNationalId
    } else {
        IdType::None
    });
    let sealed = match (id_type, raw_id) {
        (IdType::None, None) => None,
        (IdType::None, Some(_)) => {
            return Err(ApiError::bad_input(
                f("nationalId"),
                "give an idType for this ID number",
            ));
        }
        (IdType::ThaiNationalId, None) | (IdType::NonThaiId, None) => {
            return Err(ApiError::bad_input(
                f("nationalId"),
                "the ID number is missing",
            ));
        }
        (IdType::ThaiNationalId, Some(raw)) => {
            let digits =
                normalize_thai_id(raw).map_err(|m| ApiError::bad_input(f("nationalId"), m))?;
            Some(pii.seal(&digits)?)
        }
        (IdType::NonThaiId, Some(raw)) => {
            let value: String = raw
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase();
            if !(5..=20).contains(&value.len())
                || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ApiError::bad_input(
                    f("nationalId"),
                    "a non-Thai ID has 5 to 20 letters or digits",
                ));
            }
            // Prefixed so that it can never collide with a Thai number's hash.
            let mut sealed = pii.seal(&value)?;
            sealed.hash = pii.hash(&format!("X:{value}"));
            Some(sealed)
        }
    };
    Ok(CheckedPerson {
        name_key: name_key(&given_name, &family_name),
        given_name,
        family_name,
        sex: input.sex.unwrap_or(Sex::Unknown),
        birth_date: input.birth_date,
        birth_year: input.birth_date.map(|b| b.year()),
        phone,
        education: text(input.education.as_deref(), &f("education"), 200)?,
        occupation: text(input.occupation.as_deref(), &f("occupation"), 200)?,
        disability: text(input.disability.as_deref(), &f("disability"), 200)?,
        chronic_illness: text(input.chronic_illness.as_deref(), &f("chronicIllness"), 200)?,
        id_type,
        sealed,
    })
}

/// The village must exist, be a village, and lie inside the caller's areas.
pub async fn check_village(
    db: &impl ConnectionTrait,
    code: &str,
    scope: &Scope,
) -> ApiResult<String> {
    let code = code.trim();
    let village = area::Entity::find_by_id(code.to_string()).one(db).await?;
    match village {
        Some(a) if a.level == AreaLevel::Village => {}
        Some(_) => {
            return Err(ApiError::bad_input(
                "villageCode",
                "this is not a village code (8 digits)",
            ));
        }
        None => {
            return Err(ApiError::bad_input(
                "villageCode",
                format!("unknown village code '{code}'"),
            ));
        }
    }
    if !scope.contains_area(code) {
        return Err(ApiError::bad_input(
            "villageCode",
            "this village is outside your areas",
        ));
    }
    Ok(code.to_string())
}

pub fn check_location(lat: Option<f64>, lng: Option<f64>) -> ApiResult<Option<(f64, f64)>> {
    match (lat, lng) {
        (None, None) => Ok(None),
        (Some(lat), Some(lng)) => {
            // Thailand lies within 5–21°N, 97–106°E; leave a margin for border areas.
            if !(4.0..=22.0).contains(&lat) || !(96.0..=107.0).contains(&lng) {
                return Err(ApiError::bad_input(
                    "location",
                    "the point is not in Thailand",
                ));
            }
            Ok(Some((lat, lng)))
        }
        _ => Err(ApiError::bad_input("location", "give both lat and lng")),
    }
}

pub fn check_external_ids(ids: &[(String, String)]) -> ApiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, (scheme, value)) in ids.iter().enumerate() {
        let scheme = scheme.trim().to_uppercase();
        let value = value.trim().to_string();
        if scheme.is_empty()
            || scheme.len() > 32
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ApiError::bad_input(
                format!("externalIds[{i}].scheme"),
                "a scheme is 1 to 32 letters, digits or '_'",
            ));
        }
        if value.is_empty() || value.len() > 64 {
            return Err(ApiError::bad_input(
                format!("externalIds[{i}].value"),
                "a value has 1 to 64 characters",
            ));
        }
        if out.iter().any(|(s, _)| *s == scheme) {
            return Err(ApiError::bad_input(
                format!("externalIds[{i}].scheme"),
                "one id per scheme",
            ));
        }
        out.push((scheme, value));
    }
    Ok(out)
}

pub fn check_size(size: Option<i32>) -> ApiResult<Option<i32>> {
    match size {
        Some(n) if !(1..=100).contains(&n) => Err(ApiError::bad_input(
            "householdSize",
            "a household has 1 to 100 people",
        )),
        other => Ok(other),
    }
}

/// Members of a new household: at least one, exactly one HEAD, no ID number twice.
pub fn check_members(
    members: &[MemberInput],
    pii: &PiiCipher,
) -> ApiResult<Vec<(MembershipRole, Option<NaiveDate>, CheckedPerson)>> {
    if members.is_empty() {
        return Err(ApiError::bad_input(
            "members",
            "a household needs at least its head",
        ));
    }
    if members.len() > 50 {
        return Err(ApiError::bad_input("members", "at most 50 members at once"));
    }
    let heads = members
        .iter()
        .filter(|m| m.role == MembershipRole::Head)
        .count();
    if heads != 1 {
        return Err(ApiError::bad_input(
            "members",
            format!("a household has exactly one HEAD (this one has {heads})"),
        ));
    }
    let mut out = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        let person = check_person(&m.person, &format!("members[{i}].person"), pii)?;
        if let Some(s) = &person.sealed
            && out.iter().any(
                |(_, _, p): &(MembershipRole, Option<NaiveDate>, CheckedPerson)| {
                    p.sealed.as_ref().is_some_and(|o| o.hash == s.hash)
                },
            )
        {
            return Err(ApiError::bad_input(
                format!("members[{i}].person.nationalId"),
                "the same ID number appears twice",
            ));
        }
        out.push((m.role, m.start_date, person));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_the_national_form() {
        assert_eq!(
            normalize_phone("081-234-5678").as_deref(),
            Some("0812345678")
        );
        assert_eq!(
            normalize_phone("+66 81 234 5678").as_deref(),
            Some("0812345678")
        );
        assert_eq!(normalize_phone("054 123456").as_deref(), Some("054123456"));
        assert_eq!(normalize_phone("12345"), None);
    }

    #[test]
    fn name_keys_ignore_invisible_characters_and_spacing() {
        assert_eq!(name_key(" สม\u{200B}ชาย ", "ใจ  ดี"), "สมชาย ใจ ดี");
    }
}
