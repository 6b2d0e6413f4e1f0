//! PPAOS API: the GraphQL backend of the provincial poverty-alleviation operating system.
pub mod account;
pub mod agency;
pub mod area;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod consent;
pub mod db;
pub mod error;
pub mod graphql;
pub mod household;
pub mod idempotency;
pub mod pii;
pub mod startup;
pub mod state;
pub mod telemetry;
