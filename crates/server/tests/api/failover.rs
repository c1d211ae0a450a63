//! Two `witzo serve` processes on one PostgreSQL and one Redis, chats sent
//! to both, one instance killed with SIGKILL mid-load: every answer a
//! client received is stored, no request is answered twice, and the
//! survivor keeps serving.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::witzo_bin;
use crate::helpers::{SHOP, free_address, visitor};

fn witzo(database: &str, redis: &str, data: &std::path::Path) -> Command {
    let mut command = Command::new(witzo_bin());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WITZO_DATA_DIR", data)
        .env("WITZO_DATABASE_URL", database)
        .env("WITZO_REDIS_URL", redis)
        .env(
            "WITZO_REDIS_KEY_PREFIX",
            format!("witzo-test-{}:", hex::encode(rand::random::<[u8; 6]>())),
        )
        .env(
            "WITZO_SECRET_KEY",
            "test-secret-key-of-at-least-32-characters",
        )
        .env("WITZO_LOG_LEVEL", "warn")
        .env("WITZO_LIMITS__VISITOR_PER_MINUTE", "100000")
        .env("WITZO_LIMITS__VISITOR_BURST", "100000")
        .env("WITZO_LIMITS__WIDGET_PER_MINUTE", "100000")
        .env("WITZO_LIMITS__WIDGET_BURST", "100000")
        .env("WITZO_LIMITS__PUBLIC_PER_IP_PER_MINUTE", "100000")
        .env("WITZO_LIMITS__PUBLIC_PER_IP_BURST", "100000")
        .stdin(Stdio::null());
    command
}

async fn serve(database: &str, redis: &str, data: &std::path::Path) -> (Child, SocketAddr) {
    let addr = free_address();
    let child = witzo(database, redis, data)
        .args(["serve", "--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("http://{addr}/readyz")).await.is_err() {
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, addr)
}

/// One chat to `addr`: the reply's (conversation id, message id), or
/// `None` when the instance did not answer.
async fn chat(client: &reqwest::Client, addr: SocketAddr, key: &str) -> Option<(String, String)> {
    let response = client
        .post(format!("http://{addr}/v1/chat?key={key}"))
        .header("origin", SHOP)
        .json(&json!({"visitor_id": visitor(), "message": "When do you open?"}))
        .send()
        .await
        .ok()?;
    if response.status().as_u16() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    Some((
        body["conversation_id"].as_str()?.to_owned(),
        body["message_id"].as_str()?.to_owned(),
    ))
}

#[tokio::test]
async fn killing_one_instance_mid_load_loses_no_received_answer_and_the_other_keeps_serving() {
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
    let data = tempfile::tempdir().unwrap();
    let admin = |args: &[&str]| {
        let output = witzo(db.url(), &redis, data.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    admin(&["migrate"]);
    admin(&["admin", "account", "create", "--email", "ops@example.com"]);
    let key = admin(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Shop",
        "--domain",
        "shop.example.com",
    ]);
    let key = key.trim().to_owned();
    let (mut doomed, a) = serve(db.url(), &redis, data.path()).await;
    let (mut survivor, b) = serve(db.url(), &redis, data.path()).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    // 60 chats, 6 in flight at a time, alternating instances; the first
    // instance is killed while the fourth batch is in flight.
    let mut received = Vec::new();
    let mut lost_on_a = 0;
    for round in 0..10 {
        let batch = (0..6).map(|i| {
            let (client, key) = (&client, &key);
            let addr = if i % 2 == 0 { a } else { b };
            async move { (addr, chat(client, addr, key).await) }
        });
        let kill = async {
            if round == 3 {
                tokio::time::sleep(Duration::from_millis(30)).await;
                doomed.kill().unwrap();
            }
        };
        let (replies, ()) = tokio::join!(futures_util::future::join_all(batch), kill);
        for (addr, reply) in replies {
            match reply {
                Some(reply) => received.push(reply),
                None => {
                    assert_eq!(addr, a, "the survivor failed a request");
                    lost_on_a += 1;
                }
            }
        }
    }
    doomed.wait().unwrap();
    assert!(
        (18..=21).contains(&lost_on_a),
        "requests to the killed instance failed ({lost_on_a})"
    );
    assert_eq!(
        received.len(),
        60 - lost_on_a,
        "every request to the survivor answered"
    );

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db.url()).await.unwrap();
    for (conversation, message) in &received {
        let (stored,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.public_id = $1 AND c.public_id = $2 AND m.role = 'assistant'",
        )
        .bind(message)
        .bind(conversation)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(stored, 1, "received answer {message} is stored once");
    }
    // No conversation (one per request) holds two answers.
    let (twice,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT conversation_id FROM messages WHERE role = 'assistant' \
         GROUP BY conversation_id HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(twice, 0);
    pool.close().await;
    survivor.kill().ok();
    survivor.wait().ok();
}
