//! Enterprises in value chains and the households that produce for, work at or supply them.
pub mod graphql;
pub mod loader;
pub mod service;
