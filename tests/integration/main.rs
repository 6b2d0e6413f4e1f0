//! The one integration-test binary. Runs on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set; each test gets its own database.
mod helpers;

mod accounts;
mod agencies;
mod analyst_aggregates;
mod areas;
mod assessments;
mod audit;
mod auth;
mod authorization_matrix;
mod capture;
mod casework;
mod catalogue;
mod consent;
mod consent_gate;
mod dashboards;
mod enterprises;
mod exports;
mod first_hour;
mod graduation;
mod hardening;
mod household_import;
mod households;
mod http;
mod matching;
mod mobility;
mod n_plus_one;
mod operations;
mod pagination;
mod replicas;
mod rollups;
mod schema_drift;
mod session_cache;
mod subscriptions;
mod sync;
