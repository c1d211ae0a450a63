//! Idle workers start a queued job at once, not at their next poll (set to
//! a minute here): in the same process through the job bell, and in a
//! separate `witzo worker` process through Redis pub/sub.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use witzo_server::app::AppOptions;

use crate::cli::witzo_bin;
use crate::helpers::{TestApp, spawn_app_with};

const FILE: (&str, &[u8]) = (
    "hours.txt",
    b"Opening hours\n\nWe open at nine every weekday.",
);

/// Uploads a document on `app` and waits for its extraction job to
/// succeed: how long it took, or `None` after 20 s.
async fn upload_and_wait(app: &TestApp) -> Option<Duration> {
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let started = Instant::now();
    let uploaded = app
        .upload_documents(&owner, widget.id, vec![(FILE.0, FILE.1.to_vec())])
        .await;
    while started.elapsed() < Duration::from_secs(20) {
        if app.job(&owner, uploaded.job_id).await.status == "succeeded" {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn a_worker_in_the_same_process_starts_a_new_job_without_waiting_for_its_poll() {
    let app = spawn_app_with(
        |c| {
            c.jobs.workers = 1;
            c.jobs.poll_millis = 60_000;
        },
        AppOptions::default(),
    )
    .await;
    // Let the worker find the queue empty and go idle first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let took = upload_and_wait(&app).await;
    assert!(took.is_some(), "the job waited for the minute's poll");
}

#[tokio::test]
async fn a_worker_process_is_woken_through_redis_for_a_job_queued_by_a_web_instance() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let Ok(redis) = std::env::var("WITZO_TEST_REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "WITZO_TEST_REDIS_URL must be set in CI"
        );
        return;
    };
    let prefix = format!("witzo-test-{}:", hex::encode(rand::random::<[u8; 6]>()));
    let web = spawn_app_with(
        {
            let (url, redis, prefix) = (db.url().to_owned(), redis.clone(), prefix.clone());
            move |c| {
                c.database_url = Some(url.into());
                c.redis_url = Some(redis.into());
                c.redis_key_prefix = prefix;
                c.jobs.workers = 0;
            }
        },
        AppOptions::default(),
    )
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut worker = Command::new(witzo_bin())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WITZO_DATA_DIR", data.path())
        .env("WITZO_DATABASE_URL", db.url())
        .env("WITZO_REDIS_URL", &redis)
        .env("WITZO_REDIS_KEY_PREFIX", &prefix)
        .env("WITZO_JOBS__POLL_MILLIS", "60000")
        .env(
            "WITZO_SECRET_KEY",
            "test-secret-key-of-at-least-32-characters",
        )
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The worker's first look finds nothing; then it waits for a minute
    // or a wake-up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let took = upload_and_wait(&web).await;
    worker.kill().ok();
    worker.wait().ok();
    assert!(took.is_some(), "the worker process was not woken");
}
