//! The append-only audit log: who did what to which record, and when.
pub mod query;
pub mod service;
pub mod types;
