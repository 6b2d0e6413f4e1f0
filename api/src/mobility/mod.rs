//! Ladder movement (docs/mobility.md): a household's movement between two assessments, an
//! area's transition matrices and up / stayed / fell by intervention kind and by technology,
//! the households behind every figure, and the measured effect of a technology that
//! recommendations use.
pub mod compute;
pub mod evidence;
pub mod loader;
pub mod query;
pub mod service;
pub mod types;
