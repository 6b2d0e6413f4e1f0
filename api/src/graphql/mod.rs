//! The GraphQL layer: schema assembly, the HTTP endpoint, pagination, ids and loaders.
pub mod context;
pub mod document;
pub mod extensions;
pub mod http;
pub mod introspection_cache;
pub mod loaders;
pub mod node;
pub mod node_query;
pub mod pagination;
pub mod parsed_cache;
pub mod response_cache;
pub mod schema;
pub mod search;
