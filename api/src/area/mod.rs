//! Administrative areas (DOPA codes) and programme cohorts.
pub mod loader;
pub mod mutation;
pub mod prefix;
pub mod query;
pub mod service;
pub mod types;
