//! Administrative areas (DOPA codes) and programme cohorts.
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
