//! Opaque global ids: base64url of `Type:key`. A key is a UUID, or a DOPA code for areas —
//! never a national ID or a sequential number.
use async_graphql::{Context, ID, Result};
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

/// A type `node(id:)` can resolve. Its `load` is the one way to read one object of the type by
/// key: the typed root field (`household(id:)`, `case(id:)`, …) and `node`/`nodes` both call
/// it, so they apply the same visibility, scoping and audit. Types are listed once, in
/// `graphql::schema`.
pub trait NodeType: Sized {
    /// The type name inside global ids (the GraphQL type name).
    const TYPE: &'static str;

    /// The object with this key (the part of the global id after the type), if it exists and
    /// the viewer may see it.
    fn load(ctx: &Context<'_>, key: &str) -> impl Future<Output = Result<Option<Self>>> + Send;
}

/// The object a global id names, for a typed field whose argument is `field`: BAD_USER_INPUT
/// when the id is not an id of `T`, null when it does not exist or the viewer may not see it.
pub async fn fetch<T: NodeType>(ctx: &Context<'_>, id: &ID, field: &str) -> Result<Option<T>> {
    let key = decode(id)
        .filter(|(t, _)| t == T::TYPE)
        .map(|(_, k)| k)
        .ok_or_else(|| {
            ApiError::bad_input(field, format!("{field} is not a valid {} id", T::TYPE))
        })?;
    T::load(ctx, &key).await
}

/// The UUID of a key, if it is one (a key that is not cannot name anything).
pub fn uuid_key(key: &str) -> Option<Uuid> {
    Uuid::parse_str(key).ok()
}

/// Implements `NodeType` for a type read by id through a DataLoader key whose loader applies
/// the viewer's visibility: `node_by_loader!(Type, "Type", LoaderKey, constructor)`, or with
/// a role set (`policy::…`) when the type's root fields are guarded by one, so that `node`
/// admits exactly the roles the typed fields admit.
#[macro_export]
macro_rules! node_by_loader {
    ($ty:ty, $name:literal, $key:path, $ctor:expr) => {
        $crate::node_by_loader!($ty, $name, $key, $ctor, $crate::auth::policy::SIGNED_IN);
    };
    ($ty:ty, $name:literal, $key:path, $ctor:expr, $roles:expr) => {
        impl $crate::graphql::node::NodeType for $ty {
            const TYPE: &'static str = $name;

            async fn load(
                ctx: &async_graphql::Context<'_>,
                key: &str,
            ) -> async_graphql::Result<Option<Self>> {
                if !$roles.admits($crate::graphql::context::viewer(ctx)) {
                    return Ok(None);
                }
                let Some(id) = $crate::graphql::node::uuid_key(key) else {
                    return Ok(None);
                };
                Ok($crate::graphql::context::loader(ctx)
                    .load_one($key(id))
                    .await?
                    .map($ctor))
            }
        }
    };
}

/// Declares the `Node` interface over every type with a global id, and its resolution by type
/// name through each type's `NodeType::load` (used by `node`/`nodes`).
#[macro_export]
macro_rules! node_types {
    ($($name:ident: $($seg:ident)::+),+ $(,)?) => {
        /// An object with a global id.
        #[derive(Interface)]
        #[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
        pub enum Node {
            $($name($($seg)::+),)+
        }

        impl Node {
            /// The type names `node(id:)` resolves.
            pub const TYPES: &'static [&'static str] = &[
                $(<$($seg)::+ as $crate::graphql::node::NodeType>::TYPE,)+
            ];

            /// The object of this type and key, if the viewer may see it.
            pub async fn load(ctx: &Context<'_>, type_name: &str, key: &str) -> Result<Option<Node>> {
                $(
                    if type_name == <$($seg)::+ as $crate::graphql::node::NodeType>::TYPE {
                        return Ok(<$($seg)::+ as $crate::graphql::node::NodeType>::load(ctx, key)
                            .await?
                            .map(Node::$name));
                    }
                )+
                Ok(None)
            }
        }
    };
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
