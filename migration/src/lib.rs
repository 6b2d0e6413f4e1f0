//! Database migrations. Append-only once landed: a landed file is never edited; a change to the
//! schema is a new file named `mYYYYMMDD_NNNNNN_<verb>_<object>.rs`.
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_area;
mod m20261124_000002_create_agency;
mod m20261124_000003_create_account;
mod m20261124_000004_create_auth_session;
mod m20261124_000005_create_login_throttle;
mod m20261124_000006_create_audit_event;

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
        ]
    }
}
