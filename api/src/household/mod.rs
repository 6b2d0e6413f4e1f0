//! The household registry: households, persons and memberships; the lifecycle; duplicates;
//! protected personal data; imports and demo data.
pub mod duplicates;
pub mod import;
pub mod import_mutation;
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
pub mod validate;
/// The demo seed lives in `crate::demo`; the integration tests still import it from here.
pub use crate::demo;
