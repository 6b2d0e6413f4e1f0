//! One database per test: a SQLite file in a temporary folder by default, or a new PostgreSQL
//! database when `TEST_DATABASE_URL` (an admin URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) is set. Dropped when the test ends.
use std::{
    path::PathBuf,
    sync::{
        Arc,
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

impl TestDb {
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Creates, migrates and fills a database; every statement on the returned connection
    /// (and its clones) increments `counter`.
    pub async fn create(counter: Arc<AtomicUsize>) -> (TestDb, DatabaseConnection) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let guard = match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => {
                let dir = std::env::temp_dir().join(format!("ppaos-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("test.sqlite").display());
                TestDb::Sqlite { dir, url }
            }
            Some(admin_url) => {
                let name = format!("ppaos_test_{id}");
                let settings = Settings::for_database(&admin_url);
                let admin = api::db::connect_url(&admin_url, &settings)
                    .await
                    .expect("TEST_DATABASE_URL must reach PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url.split('?').next().unwrap();
                let base = &base[..base.rfind('/').expect("a URL with a database name")];
                let url = format!("{base}/{name}");
                TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
        };
        let mut settings = Settings::for_database(guard.url());
        settings.database_max_connections = 5;
        let mut db = api::db::connect(&settings).await.expect("connect test db");
        api::db::prepare(&db).await.expect("migrate test db");
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
        (guard, db)
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
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
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
                })
                .join();
            }
        }
    }
}
