//! Database migrations. Append-only once landed: a landed file is never edited; a change to the
//! schema is a new file named `mYYYYMMDD_NNNNNN_<verb>_<object>.rs`.
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_area;
mod m20261124_000002_create_agency;
mod m20261124_000003_create_account;
mod m20261124_000004_create_auth_session;
mod m20261124_000005_create_login_throttle;
mod m20261124_000006_create_audit_event;
mod m20261124_000007_create_household;
mod m20261124_000008_create_person;
mod m20261124_000009_create_membership;
mod m20261124_000010_create_household_status_event;
mod m20261124_000011_create_consent;
mod m20261124_000012_create_potential_duplicate;
mod m20261124_000013_create_idempotency_key;
mod m20261124_000014_create_poverty_line;
mod m20261124_000015_create_assessment;
mod m20261124_000016_create_technology;
mod m20261124_000017_create_service;
mod m20261124_000018_create_matching_run;
mod m20261124_000019_create_match;
mod m20261124_000020_create_match_event;
mod m20261124_000021_create_enterprise;
mod m20261124_000022_create_enterprise_link;
mod m20261201_000001_create_one_open_match_index;
mod m20261203_000001_create_consent_grant;
mod m20261203_000002_create_support_case;
mod m20261203_000003_create_case_event;
mod m20261203_000004_create_referral;
mod m20261203_000005_create_intervention;
mod m20261203_000006_create_visit;
mod m20261204_000001_create_graduation;
mod m20261204_000002_create_area_rollup;
mod m20261205_000001_create_change_log;
mod m20261205_000005_create_persisted_query;
mod m20261205_000006_create_request_budget;
mod m20261206_000101_create_live_notify;
mod m20261206_000201_capture_and_housekeeping;
mod m20261207_000101_rollup_version_notify;
mod m20261208_000101_membership_duplicate_keys;
mod m20261208_000102_change_log_per_statement;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_area::Migration),
            Box::new(m20261124_000002_create_agency::Migration),
            Box::new(m20261124_000003_create_account::Migration),
            Box::new(m20261124_000004_create_auth_session::Migration),
            Box::new(m20261124_000005_create_login_throttle::Migration),
            Box::new(m20261124_000006_create_audit_event::Migration),
            Box::new(m20261124_000007_create_household::Migration),
            Box::new(m20261124_000008_create_person::Migration),
            Box::new(m20261124_000009_create_membership::Migration),
            Box::new(m20261124_000010_create_household_status_event::Migration),
            Box::new(m20261124_000011_create_consent::Migration),
            Box::new(m20261124_000012_create_potential_duplicate::Migration),
            Box::new(m20261124_000013_create_idempotency_key::Migration),
            Box::new(m20261124_000014_create_poverty_line::Migration),
            Box::new(m20261124_000015_create_assessment::Migration),
            Box::new(m20261124_000016_create_technology::Migration),
            Box::new(m20261124_000017_create_service::Migration),
            Box::new(m20261124_000018_create_matching_run::Migration),
            Box::new(m20261124_000019_create_match::Migration),
            Box::new(m20261124_000020_create_match_event::Migration),
            Box::new(m20261124_000021_create_enterprise::Migration),
            Box::new(m20261124_000022_create_enterprise_link::Migration),
            Box::new(m20261201_000001_create_one_open_match_index::Migration),
            Box::new(m20261203_000001_create_consent_grant::Migration),
            Box::new(m20261203_000002_create_support_case::Migration),
            Box::new(m20261203_000003_create_case_event::Migration),
            Box::new(m20261203_000004_create_referral::Migration),
            Box::new(m20261203_000005_create_intervention::Migration),
            Box::new(m20261203_000006_create_visit::Migration),
            Box::new(m20261204_000001_create_graduation::Migration),
            Box::new(m20261204_000002_create_area_rollup::Migration),
            Box::new(m20261205_000001_create_change_log::Migration),
            Box::new(m20261205_000005_create_persisted_query::Migration),
            Box::new(m20261205_000006_create_request_budget::Migration),
            Box::new(m20261206_000101_create_live_notify::Migration),
            Box::new(m20261206_000201_capture_and_housekeeping::Migration),
            Box::new(m20261207_000101_rollup_version_notify::Migration),
            Box::new(m20261208_000101_membership_duplicate_keys::Migration),
            Box::new(m20261208_000102_change_log_per_statement::Migration),
        ]
    }
}
