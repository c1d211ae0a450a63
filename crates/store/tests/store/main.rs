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
mod runs;
mod sessions;
mod sources;
mod turns;
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

/// A visitor's `message` on `widget`, as the owner's preview writes it
/// (nothing taken from the allowance): in `continued` when it is the
/// visitor's, else in a new conversation `new_public_id`. Returns the
/// conversation's internal and public id.
pub async fn say(
    store: &witzo_store::Store,
    widget: witzo_store::domain::WidgetId,
    continued: Option<&str>,
    new_public_id: &str,
    visit: &witzo_store::conversations::Visit<'_>,
    message: &witzo_store::conversations::NewMessage<'_>,
    at: i64,
) -> (i64, String) {
    let opening = witzo_store::conversations::Opening {
        widget,
        public_id: continued,
        new_public_id,
        visit,
    };
    match store
        .begin_turn(None, &opening, message, None, at)
        .await
        .unwrap()
    {
        witzo_store::conversations::Begun::Started {
            conversation,
            public_id,
            ..
        } => (conversation, public_id),
        refused => panic!("nothing to take, yet {refused:?}"),
    }
}

store_test!(
    migrations_can_run_twice,
    |store: witzo_store::Store| async move {
        assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
        store.ping().await.unwrap();
    }
);
