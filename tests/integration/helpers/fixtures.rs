//! Fixture builders with valid defaults. They write through the domain services (so rules
//! and audit apply) except where a test needs volume, which `insert_account_row` provides.
use api::{
    account::service::{NewAccount, create_account},
    agency::service::{AgencyFields, create_agency},
    audit::service::Actor,
};
use chrono::Utc;
use entity::{
    account, agency,
    enums::{AgencyType, Role, StringList},
};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{PASSWORD, TestApp};

pub struct AccountBuilder {
    role: Role,
    login: Option<String>,
    scopes: Vec<String>,
    agency: Option<Uuid>,
}

impl AccountBuilder {
    /// Defaults: coordinators and surveyors scoped to Lampang (52), analysts unscoped.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            login: None,
            scopes: match role {
                Role::Coordinator | Role::Surveyor => vec!["52".into()],
                _ => vec![],
            },
            agency: None,
        }
    }

    pub fn login(mut self, login: &str) -> Self {
        self.login = Some(login.into());
        self
    }

    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn agency(mut self, agency: Uuid) -> Self {
        self.agency = Some(agency);
        self
    }

    pub async fn create(self, app: &TestApp) -> account::Model {
        let agency = match (self.role, self.agency) {
            (_, Some(a)) => Some(a),
            (Role::Agency, None) => {
                Some(new_agency(app, &format!("Agency {}", short_id())).await.id)
            }
            _ => None,
        };
        let login = self
            .login
            .unwrap_or_else(|| format!("{:?}-{}", self.role, short_id()).to_lowercase());
        create_account(
            &app.db,
            &Actor::system("test"),
            NewAccount {
                display_name: format!("Test {login}"),
                login,
                password: PASSWORD.into(),
                role: self.role,
                area_scopes: self.scopes,
                agency_id: agency,
            },
        )
        .await
        .expect("fixture account")
    }
}

pub fn short_id() -> String {
    Uuid::new_v4().simple().to_string()[..8].to_string()
}

pub async fn new_agency(app: &TestApp, name: &str) -> agency::Model {
    create_agency(
        &app.db,
        &Actor::system("test"),
        name.into(),
        AgencyType::University,
        AgencyFields {
            name: None,
            name_en: None,
            agency_type: None,
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            coverage: Some(vec!["52".into()]),
            active: None,
        },
    )
    .await
    .expect("fixture agency")
}

/// Inserts an account row directly (no password hashing) for tests that need many.
pub async fn insert_account_row(app: &TestApp, agency: Uuid, login: &str) -> account::Model {
    let now = Utc::now();
    account::ActiveModel {
        id: Set(Uuid::now_v7()),
        login: Set(login.into()),
        display_name: Set(format!("Bulk {login}")),
        password_hash: Set("not-a-hash".into()),
        role: Set(Role::Agency),
        area_scopes: Set(StringList(vec![])),
        agency_id: Set(Some(agency)),
        active: Set(true),
        version: Set(1),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("bulk account")
}
