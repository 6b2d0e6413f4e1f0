//! One database per test: a SQLite file in a temporary folder by default, or a new PostgreSQL
//! database when `TEST_DATABASE_URL` (an admin URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) is set. Dropped when the test ends.
//!
//! Migrating and loading the 8,457 reference areas is done once per test process, into a
//! template; each test gets a clone of it:
//! - SQLite: the template is `ppaos-template-<pid>/template.sqlite` in the temp folder
//!   (checkpointed, no open connection); a test's database is a copy of that file.
//! - PostgreSQL: the template is the database `ppaos_test_template_<pid>`; a test's database is
//!   `CREATE DATABASE ppaos_test_<uuid> TEMPLATE ppaos_test_template_<pid>`. No connection to
//!   the template stays open once it is built (PostgreSQL refuses to copy a database someone is
//!   connected to). Both names start with `ppaos_test_`, so `.ci/run` drops leftovers too.
//!
//! The template is built on its own thread with its own runtime (tests run on many threads,
//! each with its own runtime) behind a `OnceLock`, so exactly once however many tests start at
//! the same time. Templates left by processes that are gone are removed when a new one is
//! built; a process's own template is removed once it has exited.
use std::{
    path::PathBuf,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use api::config::Settings;
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub enum TestDb {
    Sqlite {
        dir: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

/// The migrated, area-loaded database of this test process that every test database copies.
enum Template {
    Sqlite { dir: PathBuf, file: PathBuf },
    Postgres { admin_url: String, name: String },
}

static TEMPLATE: OnceLock<Template> = OnceLock::new();

const SQLITE_TEMPLATE_PREFIX: &str = "ppaos-template-";
const PG_TEMPLATE_PREFIX: &str = "ppaos_test_template_";

fn admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// `postgres://host/admin_db?…` → `postgres://host/<name>`.
fn pg_url(admin_url: &str, name: &str) -> String {
    let base = admin_url.split('?').next().unwrap();
    let base = &base[..base.rfind('/').expect("a URL with a database name")];
    format!("{base}/{name}")
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Runs `fut` to completion on a new thread with its own runtime (usable from inside a test's
/// runtime, from `Drop` and at process exit).
fn block_on_own_thread<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
    .join()
    .expect("database helper thread")
}

async fn connect_admin(admin_url: &str) -> DatabaseConnection {
    let settings = Settings::for_database(admin_url);
    api::db::connect_url(admin_url, &settings)
        .await
        .expect("TEST_DATABASE_URL must reach PostgreSQL")
}

/// Migrates and fills a new database at `url`, then closes every connection to it.
async fn prepare_template(url: &str, sqlite: bool) {
    let mut settings = Settings::for_database(url);
    settings.database_max_connections = 5;
    let db = api::db::connect(&settings)
        .await
        .expect("connect template db");
    api::db::prepare(&db).await.expect("migrate template db");
    if sqlite {
        // Everything into the main file, so that copying that one file copies the database.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint template");
    }
    db.close().await.expect("close template db");
}

fn build_template() -> Template {
    let pid = std::process::id();
    match admin_url() {
        None => {
            let tmp = std::env::temp_dir();
            // Templates of test processes that are gone.
            if let Ok(entries) = std::fs::read_dir(&tmp) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if let Some(other) = name
                        .strip_prefix(SQLITE_TEMPLATE_PREFIX)
                        .and_then(|p| p.parse::<u32>().ok())
                        && !process_alive(other)
                    {
                        let _ = std::fs::remove_dir_all(entry.path());
                    }
                }
            }
            let dir = tmp.join(format!("{SQLITE_TEMPLATE_PREFIX}{pid}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("template dir");
            let file = dir.join("template.sqlite");
            let url = format!("sqlite://{}?mode=rwc", file.display());
            block_on_own_thread(async move { prepare_template(&url, true).await });
            Template::Sqlite { dir, file }
        }
        Some(admin_url) => {
            let name = format!("{PG_TEMPLATE_PREFIX}{pid}");
            let (admin, template) = (admin_url.clone(), name.clone());
            block_on_own_thread(async move {
                let conn = connect_admin(&admin).await;
                // Templates of test processes that are gone (and this process's, if a dead
                // process with the same id left one).
                let rows = conn
                    .query_all_raw(sea_orm::Statement::from_string(
                        conn.get_database_backend(),
                        format!(
                            "SELECT datname FROM pg_database WHERE datname LIKE '{PG_TEMPLATE_PREFIX}%'"
                        ),
                    ))
                    .await
                    .expect("list template databases");
                for row in rows {
                    let datname: String = row.try_get("", "datname").unwrap();
                    let stale = datname
                        .strip_prefix(PG_TEMPLATE_PREFIX)
                        .and_then(|p| p.parse::<u32>().ok())
                        .is_none_or(|other| other == pid || !process_alive(other));
                    if stale {
                        let _ = conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {datname} WITH (FORCE)"
                            ))
                            .await;
                    }
                }
                conn.execute_unprepared(&format!("CREATE DATABASE {template}"))
                    .await
                    .expect("create template database");
                conn.close().await.ok();
                prepare_template(&pg_url(&admin, &template), false).await;
            });
            Template::Postgres { admin_url, name }
        }
    }
    .registered_for_exit()
}

impl Template {
    fn get() -> &'static Template {
        TEMPLATE.get_or_init(build_template)
    }

    /// Removes the template once this test process has exited (after the last test): a small
    /// shell process waits for it to end, then removes the folder or drops the database (with
    /// `psql`; if that is missing, the next test process or `.ci/run` drops it as stale).
    fn registered_for_exit(self) -> Self {
        let pid = std::process::id();
        let remove = match &self {
            Template::Sqlite { dir, .. } => format!("rm -rf '{}'", dir.display()),
            Template::Postgres { admin_url, name } => {
                format!("psql '{admin_url}' -qc 'DROP DATABASE IF EXISTS {name} WITH (FORCE)'")
            }
        };
        let _ = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {remove}"
            ))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        self
    }
}

impl TestDb {
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// A new database of its own, migrated and filled (a copy of this process's template);
    /// every statement on the returned connection (and its clones) increments `counter`.
    pub async fn create(counter: Arc<AtomicUsize>) -> (TestDb, DatabaseConnection) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let guard = match Template::get() {
            Template::Sqlite { file, .. } => {
                let dir = std::env::temp_dir().join(format!("ppaos-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let db_file = dir.join("test.sqlite");
                std::fs::copy(file, &db_file).expect("copy the template database");
                let url = format!("sqlite://{}?mode=rwc", db_file.display());
                TestDb::Sqlite { dir, url }
            }
            Template::Postgres {
                admin_url,
                name: template,
            } => {
                let name = format!("ppaos_test_{id}");
                let admin = connect_admin(admin_url).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .expect("create test database from the template");
                admin.close().await.ok();
                TestDb::Postgres {
                    admin_url: admin_url.clone(),
                    url: pg_url(admin_url, &name),
                    name,
                }
            }
        };
        let db = Self::connect(guard.url(), counter).await;
        (guard, db)
    }

    /// Another pool on an existing test database (a second replica's); every statement on it
    /// increments `counter`.
    pub async fn connect(url: &str, counter: Arc<AtomicUsize>) -> DatabaseConnection {
        let mut settings = Settings::for_database(url);
        settings.database_max_connections = 5;
        let mut db = api::db::connect(&settings).await.expect("connect test db");
        let print = std::env::var("TEST_PRINT_SQL").is_ok();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            if print {
                eprintln!(
                    "SQL: {}",
                    info.statement.sql.chars().take(160).collect::<String>()
                );
            }
        });
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres {
                admin_url, name, ..
            } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a separate thread with its own.
                block_on_own_thread(async move {
                    let settings = Settings::for_database(&admin_url);
                    if let Ok(admin) = api::db::connect_url(&admin_url, &settings).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        admin.close().await.ok();
                    }
                });
            }
        }
    }
}
