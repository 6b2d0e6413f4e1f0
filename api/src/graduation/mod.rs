//! Graduation and relapse (docs/graduation.md): the criteria a household must meet to
//! graduate, its readiness, the graduation record with its criteria snapshot, and the
//! monitoring window after it (relapse risk, relapse).
pub mod loader;
pub mod service;
pub mod types;
