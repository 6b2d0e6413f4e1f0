//! Test harness: a fresh database per test, the real route table, clients per role, fixture
//! builders with valid defaults, and a counter of SQL statements.
pub mod builders;
pub mod casework;
pub mod db;
pub mod fixtures;
pub mod graduation;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use actix_web::{
    http::{StatusCode, header::HeaderMap},
    test,
};
use api::{config::Settings, startup::AppState};
use entity::enums::Role;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub use db::TestDb;

/// The registration mutation with what tests read back.
pub const REGISTER: &str = "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) {
  household { id status version villageCode houseNumber
    members { totalCount nodes { id role person { id givenName familyName nationalIdMasked birthYear version } } }
    statusHistory { nodes { fromStatus toStatus reason } } }
  potentialDuplicates { id reason status household { id } otherHousehold { id } } } }";

/// Password every fixture account gets.
pub const PASSWORD: &str = "mango sticky rice 42";

pub struct TestApp {
    pub state: AppState,
    pub db: DatabaseConnection,
    statements: Arc<AtomicUsize>,
    // Last: dropped after the connections above. `None` on a replica (the first app owns it).
    _db_guard: Option<TestDb>,
}

/// A GraphQL response with its HTTP status.
#[derive(Debug)]
pub struct Gql {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Gql {
    /// `data.<path>` (a JSON pointer below `data`), panicking with the errors if there are any.
    pub fn data(&self, pointer: &str) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        self.body
            .pointer(&format!("/data{pointer}"))
            .unwrap_or_else(|| panic!("no data at {pointer}: {}", self.body))
    }

    /// `extensions.code` of the first error.
    pub fn code(&self) -> Option<&str> {
        self.body
            .pointer("/errors/0/extensions/code")
            .and_then(Value::as_str)
    }

    /// `extensions.field` of the first error.
    pub fn field(&self) -> Option<&str> {
        self.body
            .pointer("/errors/0/extensions/field")
            .and_then(Value::as_str)
    }

    pub fn message(&self) -> &str {
        self.body
            .pointer("/errors/0/message")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Asserts that a value no GraphQL `Int` can hold (e.g. `1e300`) was refused before any
    /// resolver ran, as bad input naming the field.
    pub fn assert_not_an_int(&self, field: &str) {
        self.assert_error("BAD_USER_INPUT", Some(field));
        assert!(self.message().contains("Int"), "body: {}", self.body);
    }

    /// Asserts the first error's code (and the field, for BAD_USER_INPUT).
    pub fn assert_error(&self, code: &str, field: Option<&str>) {
        assert_eq!(self.code(), Some(code), "body: {}", self.body);
        if field.is_some() {
            assert_eq!(self.field(), field, "body: {}", self.body);
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A fresh app on a fresh database; `adjust` changes the default test settings.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        init_logs();
        let statements = Arc::new(AtomicUsize::new(0));
        let (guard, db) = TestDb::create(statements.clone()).await;
        let mut settings = Settings::for_database(guard.url());
        adjust(&mut settings);
        let state = AppState::new(settings, db.clone()).expect("valid state");
        Self {
            state,
            db,
            statements,
            _db_guard: Some(guard),
        }
    }

    /// A second server on the same database, as another replica behind the load balancer:
    /// the same settings, its own connection pool and its own in-process state (caches,
    /// loaders, subscribers). Drop it before `self`, which owns the database.
    pub async fn replica(&self) -> TestApp {
        let statements = Arc::new(AtomicUsize::new(0));
        let url = self.state.services.settings.database_url().to_owned();
        let db = TestDb::connect(&url, statements.clone()).await;
        let state =
            AppState::new(self.state.services.settings.clone(), db.clone()).expect("valid state");
        Self {
            state,
            db,
            statements,
            _db_guard: None,
        }
    }

    /// Sends a request through the real route table and middleware.
    pub async fn call(
        &self,
        req: test::TestRequest,
    ) -> (StatusCode, HeaderMap, actix_web::web::Bytes) {
        let app = test::init_service(api::startup::build_app(self.state.clone())).await;
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        (status, headers, body)
    }

    /// POSTs a GraphQL operation, with a bearer token when given.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        // As current clients do: `application/graphql-response+json`, so that a request that
        // never ran is a 4xx (plain `application/json` clients get 200, see http.rs tests).
        let mut req = test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("content-type", "application/json"))
            .insert_header(("accept", "application/graphql-response+json"))
            .set_payload(json!({ "query": query, "variables": variables }).to_string());
        if let Some(token) = token {
            req = req.insert_header(("authorization", format!("Bearer {token}")));
        }
        self.send(req).await
    }

    pub async fn send(&self, req: test::TestRequest) -> Gql {
        let (status, headers, body) = self.call(req).await;
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Gql {
            status,
            headers,
            body,
        }
    }

    /// Logs in and returns (access token, refresh token).
    pub async fn login(&self, login: &str, password: &str) -> (String, String) {
        let res = self
            .gql(
                None,
                "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }",
                json!({ "i": { "login": login, "password": password } }),
            )
            .await;
        (
            res.data("/login/accessToken").as_str().unwrap().to_string(),
            res.data("/login/refreshToken")
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// Creates an account with `role` (fixture defaults) and returns a signed-in client.
    pub async fn client(&self, role: Role) -> Client {
        let account = fixtures::AccountBuilder::new(role).create(self).await;
        self.client_for(&account).await
    }

    pub async fn client_for(&self, account: &entity::account::Model) -> Client {
        let (token, refresh) = self.login(&account.login, PASSWORD).await;
        Client {
            token,
            refresh,
            account: account.clone(),
        }
    }

    /// Statements sent to the database since the last reset.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Statements a signed-in request spends on its session once this replica has resolved
    /// it: none with the session cache (PostgreSQL), one otherwise.
    pub fn session_statements(&self) -> usize {
        usize::from(!self.state.services.live.sessions.enabled())
    }

    /// Statements a dashboard answered from memory spends on the rollups' versions once this
    /// replica has read them: none with the version cache (PostgreSQL), one otherwise.
    pub fn version_statements(&self) -> usize {
        usize::from(!self.state.services.live.versions.enabled())
    }

    /// Waits for the notifications committed so far (PostgreSQL: what this replica keeps is
    /// then settled, so counts do not depend on when they arrive), then counts from zero.
    pub async fn reset_statements(&self) {
        self.state.services.live.settle().await;
        self.statements.store(0, Ordering::SeqCst);
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Client {
    pub token: String,
    pub refresh: String,
    pub account: entity::account::Model,
}

impl Client {
    pub fn id(&self) -> async_graphql::ID {
        api::graphql::node::encode("Account", self.account.id)
    }
}

/// Quiet unless TEST_LOG is set.
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let mut s = Settings::for_database("sqlite::memory:");
            s.log_filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "info".into());
            api::telemetry::init(&s);
        }
    });
}
