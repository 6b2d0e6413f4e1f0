//! Accounts: who signs in, with which role, area scope and agency; login and tokens.
pub mod loader;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
