//! SeaORM entities: one module per table, the enums stored in them, and typed JSON columns.
//! Nothing here knows about GraphQL; the API maps these into its own types.
pub mod account;
pub mod agency;
pub mod agency_coverage;
pub mod area;
pub mod audit_event;
pub mod auth_session;
pub mod enums;
pub mod login_throttle;
pub mod refresh_token;
