//! `witzo admin backup` taken while 20 chats are being written, and
//! `witzo admin restore` into a fresh database, through the real binary on
//! SQLite and on PostgreSQL: the backup passes the integrity check, holds
//! every row committed before it began and nothing half-written, and the
//! restored database serves the account.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use witzo_server::app::AppOptions;

use crate::cli::{Run, witzo_bin};
use crate::helpers::{SHOP, TestApp, spawn_app_with, unlimited_rates, visitor};

/// `witzo admin …` on the database `database_url` (SQLite under `data_dir`
/// when `None`), with nothing else from the test's environment.
fn admin(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(witzo_bin());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WITZO_DATA_DIR", data_dir)
        .env("WITZO_LOG_LEVEL", "warn")
        .arg("admin")
        .args(args);
    if let Some(url) = database_url {
        command.env("WITZO_DATABASE_URL", url);
    }
    Run::of(&mut command)
}

async fn count(url: &str, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

const MESSAGES: &str = "SELECT COUNT(*) FROM messages";
/// Answers stored without the question before them: a half-written turn.
const HALF_WRITTEN: &str = "SELECT COUNT(*) FROM messages a WHERE a.role = 'assistant' AND NOT EXISTS \
     (SELECT 1 FROM messages v WHERE v.conversation_id = a.conversation_id AND v.role = 'visitor' AND v.id < a.id)";

/// Chats while the binary backs the database up: (messages before the
/// backup began, messages after every chat).
async fn chats_during_backup(app: &TestApp, database_url: Option<&str>, out: &Path) -> (i64, i64) {
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    for _ in 0..3 {
        app.chat(&widget, "When do you open?")
            .from(SHOP)
            .visitor(&visitor())
            .reply()
            .await;
    }
    let url = app.state.config.database_url();
    let before = count(secrecy::ExposeSecret::expose_secret(&url), MESSAGES).await;
    let chats = (0..20).map(|_| {
        let widget = &widget;
        async move {
            let response = app
                .chat(widget, "Do you sell gift cards?")
                .from(SHOP)
                .visitor(&visitor())
                .send()
                .await;
            assert_eq!(response.status().as_u16(), 200);
        }
    });
    let (data_dir, database_url, out) = (
        app.data_dir().to_path_buf(),
        database_url.map(str::to_owned),
        out.to_path_buf(),
    );
    let backup = tokio::task::spawn_blocking(move || {
        admin(
            &data_dir,
            database_url.as_deref(),
            &["backup", "--out", &out.to_string_lossy(), "--json"],
        )
    });
    let (_, backup) = tokio::join!(futures_util::future::join_all(chats), backup);
    let run = backup.unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    let done: Value = run.json();
    assert_eq!(
        (done["action"].as_str(), done["integrity"].as_str()),
        (Some("backed up to"), Some("ok"))
    );
    let after = count(secrecy::ExposeSecret::expose_secret(&url), MESSAGES).await;
    assert_eq!(after, before + 40);
    (before, after)
}

#[tokio::test]
async fn a_sqlite_backup_taken_under_writes_is_whole_and_restores() {
    let app = spawn_app_with(unlimited_rates, AppOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("witzo-backup.db");
    let (before, after) = chats_during_backup(&app, None, &out).await;
    let backup_url = format!("sqlite://{}?mode=ro", out.display());
    let held = count(&backup_url, MESSAGES).await;
    assert!(
        (before..=after).contains(&held),
        "{before} ≤ {held} ≤ {after}"
    );
    assert_eq!(count(&backup_url, HALF_WRITTEN).await, 0);
    assert_eq!(
        count(&backup_url, "SELECT COUNT(*) FROM pragma_foreign_key_check").await,
        0
    );

    // Restored into an empty data directory, the account is served.
    let fresh = dir.path().join("restored");
    let run = admin(&fresh, None, &["restore", "--from", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{run:?}");
    let accounts = admin(&fresh, None, &["account", "list", "--json"]);
    assert!(accounts.stdout.contains("ada@example.com"), "{accounts:?}");
    let restored = format!("sqlite://{}?mode=ro", fresh.join("witzo.db").display());
    assert_eq!(count(&restored, MESSAGES).await, held);

    // A file that is not a sound database is never restored.
    let broken = dir.path().join("broken.db");
    std::fs::write(&broken, b"SQLite format 3\0 but not really").unwrap();
    let run = admin(
        &fresh,
        None,
        &["restore", "--from", &broken.to_string_lossy()],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        count(&restored, MESSAGES).await,
        held,
        "the database is untouched"
    );
    // An existing file is never overwritten by a backup.
    let run = admin(
        app.data_dir(),
        None,
        &["backup", "--out", &out.to_string_lossy()],
    );
    assert_eq!(run.code, 1, "{run:?}");
}

#[tokio::test]
async fn a_postgresql_backup_taken_under_writes_restores_into_a_fresh_database() {
    let Some(source) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let Some(target) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let source_url = source.url().to_owned();
    let app = spawn_app_with(
        {
            let url = source_url.clone();
            move |c| {
                c.database_url = Some(url.into());
                unlimited_rates(c);
            }
        },
        AppOptions::default(),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("witzo.dump");
    let (before, after) = chats_during_backup(&app, Some(&source_url), &out).await;

    let run = admin(
        dir.path(),
        Some(target.url()),
        &["restore", "--from", &out.to_string_lossy()],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let held = count(target.url(), MESSAGES).await;
    assert!(
        (before..=after).contains(&held),
        "{before} ≤ {held} ≤ {after}"
    );
    assert_eq!(count(target.url(), HALF_WRITTEN).await, 0);
    let accounts = admin(
        dir.path(),
        Some(target.url()),
        &["account", "list", "--json"],
    );
    assert!(accounts.stdout.contains("ada@example.com"), "{accounts:?}");
}
