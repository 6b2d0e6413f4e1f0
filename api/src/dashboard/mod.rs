//! Dashboards: counts per area and its children from `area_rollup`, with small-cell
//! suppression for viewers without household access (docs/dashboards.md).
pub mod query;
pub mod service;
pub mod suppress;
pub mod table;
pub mod types;
