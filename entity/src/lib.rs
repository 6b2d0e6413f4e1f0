//! SeaORM entities: one module per table, the enums stored in them, and typed JSON columns.
//! Nothing here knows about GraphQL; the API maps these into its own types.
pub mod account;
pub mod agency;
pub mod agency_coverage;
pub mod area;
pub mod assessment;
pub mod audit_event;
pub mod auth_session;
pub mod consent;
pub mod enums;
pub mod household;
pub mod household_external_id;
pub mod household_status_event;
pub mod idempotency_key;
pub mod login_throttle;
#[path = "match.rs"]
pub mod r#match;
pub mod match_event;
pub mod matching_run;
pub mod membership;
pub mod person;
pub mod potential_duplicate;
pub mod poverty_line;
pub mod refresh_token;
pub mod service;
pub mod technology;
