//! A DOPA area code prefix as a filter takes it: 1 to 8 digits (a province is 2, a district
//! 4, a subdistrict 6, a village 8; any leading part of a code matches everything under it).
//! Parsed once at the edge; a value of this type is safe inside a `LIKE` pattern.
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DopaPrefix(String);

impl DopaPrefix {
    /// The trimmed prefix, or BAD_USER_INPUT on `field`.
    pub fn parse(raw: &str, field: &str) -> ApiResult<Self> {
        let code = raw.trim();
        if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::bad_input(field, "not a DOPA code prefix"));
        }
        Ok(Self(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LIKE` pattern matching every code under this prefix (digits need no escaping).
    pub fn pattern(&self) -> String {
        format!("{}%", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_up_to_a_village_code_are_prefixes_and_anything_else_names_the_field() {
        assert_eq!(
            DopaPrefix::parse(" 52 ", "areaCode").unwrap().pattern(),
            "52%"
        );
        for bad in ["", "5a", "123456789", "52%", "_"] {
            match DopaPrefix::parse(bad, "filter.areaCode") {
                Err(ApiError::BadUserInput { field, .. }) => assert_eq!(field, "filter.areaCode"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
