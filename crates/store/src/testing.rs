//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `WITZO_TEST_POSTGRES_URL`. Each is removed
//! when dropped.
#![allow(clippy::expect_used)]

use sqlx::{Connection, Executor, PgConnection};

use crate::Store;

/// A database that exists only for one test.
pub struct TestDatabase {
    url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A new SQLite file in its own temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("witzo.db").display()
        );
        Self {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new, empty PostgreSQL database, or `None` when
    /// `WITZO_TEST_POSTGRES_URL` is not set. In CI (`CI` set) a missing URL
    /// fails the test instead, so the PostgreSQL suite can never be skipped
    /// there unnoticed.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("WITZO_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "WITZO_TEST_POSTGRES_URL must be set in CI"
            );
            eprintln!("WITZO_TEST_POSTGRES_URL not set: PostgreSQL variant not run");
            return None;
        };
        let name = format!("witzo_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to WITZO_TEST_POSTGRES_URL");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("WITZO_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, 5)
            .await
            .expect("connect to test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a separate thread with its
        // own runtime can block on the clean-up.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for test clean-up");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = admin.execute(sql.as_str()).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

impl Store {
    /// Runs a `SELECT COUNT(*) … $1` with an integer argument (tests only).
    pub async fn count_for_test(&self, sql: &str, arg: i64) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(arg)
            .fetch_one(self.pool())
            .await
            .expect("count query");
        n
    }

    /// Runs a `SELECT COUNT(*) … $1` with a text argument (tests only).
    pub async fn count_by_text_for_test(&self, sql: &str, arg: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(arg)
            .fetch_one(self.pool())
            .await
            .expect("count query");
        n
    }
}

impl Store {
    /// Runs a statement with one text argument (tests only), e.g. to age a
    /// row past its expiry. Returns the rows affected.
    pub async fn execute_for_test(&self, sql: &str, arg: &str) -> u64 {
        sqlx::query(sql)
            .bind(arg)
            .execute(self.pool())
            .await
            .expect("test statement")
            .rows_affected()
    }
}
