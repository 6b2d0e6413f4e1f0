//! Partner agencies: type, coverage areas, contact; managed by ADMIN.
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
