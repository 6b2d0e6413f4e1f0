//! Capability assessments: the five capital scores and income of a household at a date, the
//! ladder levels derived from them, and the poverty-line table.
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
