//! The household registry: households, persons and memberships; the lifecycle; duplicates;
//! protected personal data; imports (the demo seed is `crate::demo`).
pub mod duplicates;
pub mod import;
pub mod import_mutation;
pub mod import_subscription;
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
pub mod validate;
