//! Opaque global ids: base64url of `Type:key`. A key is a UUID, or a DOPA code for areas —
//! never a national ID or a sequential number.
use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub fn encode(type_name: &str, key: impl std::fmt::Display) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// `(type, key)` of a global id, if it is one.
pub fn decode(id: &str) -> Option<(String, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (t, k) = raw.split_once(':')?;
    Some((t.to_string(), k.to_string()))
}

/// The UUID inside a global id of `type_name`; `field` names the input in the error.
pub fn decode_uuid(id: &ID, type_name: &str, field: &str) -> ApiResult<Uuid> {
    decode(id)
        .filter(|(t, _)| t == type_name)
        .and_then(|(_, k)| Uuid::parse_str(&k).ok())
        .ok_or_else(|| ApiError::bad_input(field, format!("{field} is not a valid {type_name} id")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_carry_their_type() {
        let u = Uuid::now_v7();
        let id = encode("Account", u);
        assert_eq!(decode_uuid(&id, "Account", "id").unwrap(), u);
        assert!(decode_uuid(&id, "Agency", "id").is_err());
        assert!(decode_uuid(&ID("garbage".into()), "Account", "id").is_err());
    }
}
