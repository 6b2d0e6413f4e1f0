//! Fixture builders with valid defaults. They write through the domain services (so rules
//! and audit apply) except where a test needs volume, which `insert_account_row` provides.
use api::{
    account::service::{NewAccount, create_account},
    audit::service::Actor,
};
use chrono::Utc;
use entity::{
    account,
    enums::{Role, StringList},
};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{
    PASSWORD, TestApp,
    builders::{AgencyBuilder, HouseholdBuilder},
};

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
            (Role::Agency, None) => Some(
                AgencyBuilder::new(&format!("Agency {}", short_id()))
                    .create(app)
                    .await
                    .id,
            ),
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

/// Villages the registry tests use: two in Wiang Nuea and one in Hua Wiang (Mueang Lampang),
/// one in Sateng (Mueang Yala).
pub const LAMPANG_VILLAGE: &str = "52010101";
pub const LAMPANG_VILLAGE_2: &str = "52010102";
pub const YALA_VILLAGE: &str = "95010101";

pub async fn seed_villages(app: &TestApp) {
    let csv = "code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n\
               52010101,VILLAGE,520101,บ้านเวียงเหนือ,Ban Wiang Nuea,,,,\n\
               52010102,VILLAGE,520101,บ้านป่าขาม,Ban Pa Kham,,,,\n\
               52010201,VILLAGE,520102,บ้านหัวเวียง,Ban Hua Wiang,,,,\n\
               95010101,VILLAGE,950101,บ้านสะเตง,Ban Sateng,,,,\n";
    let report = api::area::service::import_areas(&app.db, csv.as_bytes())
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

/// A valid 13-digit Thai national ID derived from `n` (check digit computed).
pub fn thai_id(n: u64) -> String {
    let body = format!("{:012}", 100_000_000_000u64 + n % 900_000_000_000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap() * (13 - i as u32))
        .sum();
    format!("{body}{}", (11 - sum % 11) % 10)
}

/// Registers a household through GraphQL and returns the response's `household` object.
pub async fn register(app: &TestApp, token: &str, input: serde_json::Value) -> serde_json::Value {
    let res = app
        .gql(
            Some(token),
            super::REGISTER,
            serde_json::json!({ "i": input }),
        )
        .await;
    res.data("/registerHousehold").clone()
}

/// A household input with valid defaults: one head in `village` (see [`HouseholdBuilder`]).
pub fn household_input(village: &str, head_given: &str, id_seed: u64) -> serde_json::Value {
    HouseholdBuilder::new(id_seed)
        .village(village)
        .head(head_given)
        .input()
}
