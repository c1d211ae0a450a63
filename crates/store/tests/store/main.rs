#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The behavioural store suite: every test runs on SQLite and, when
//! `WITZO_TEST_POSTGRES_URL` is set, on PostgreSQL, each in a fresh database.

mod accounts;
mod analytics;
mod audit;
mod identities;
mod inbox;
mod jobs;
mod login_codes;
mod plans;
mod qa;
mod sessions;
mod sources;
mod usage;
mod webhooks;
mod widgets;

/// Defines `mod $name { sqlite, postgres }`, running `$body(store)` on each
/// backend with a fresh, migrated database.
#[macro_export]
macro_rules! store_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let db = witzo_store::testing::TestDatabase::sqlite();
                let store = db.store().await;
                ($body)(store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
                    return;
                };
                let store = db.store().await;
                ($body)(store.clone()).await;
                store.close().await;
            }
        }
    };
}

pub fn email(raw: &str) -> witzo_store::domain::EmailAddress {
    witzo_store::domain::EmailAddress::parse(raw).unwrap()
}

store_test!(
    migrations_can_run_twice,
    |store: witzo_store::Store| async move {
        assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
        store.ping().await.unwrap();
    }
);
