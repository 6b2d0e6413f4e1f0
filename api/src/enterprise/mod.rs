//! Enterprises in value chains and the households that produce for, work at or supply them.
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
