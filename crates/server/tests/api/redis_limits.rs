//! Rate limits shared by several instances through Redis, and what happens
//! without it or when it goes down: the per-IP limit holds exactly across
//! two instances with Redis and per instance without; with Redis down the
//! public surface falls back to per-instance limits, sign-in codes are
//! refused (`503`), `/readyz` says `degraded`; a Redis that comes back is
//! used again without a restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::{TestApp, free_address, spawn_app_with};

/// The Redis CI starts, or `None` outside CI when it is not configured.
fn redis_url() -> Option<String> {
    match std::env::var("WITZO_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "WITZO_TEST_REDIS_URL must be set in CI"
            );
            eprintln!("WITZO_TEST_REDIS_URL not set: Redis variant not run");
            None
        }
    }
}

/// A key prefix of this test's own, so parallel tests never share cells.
fn new_prefix() -> String {
    format!("witzo-test-{}:", hex::encode(rand::random::<[u8; 6]>()))
}

/// An instance whose public per-IP limit is a burst of 10 (refilled at one
/// a minute), on `redis` when given.
async fn instance(redis: Option<(&str, &str)>) -> TestApp {
    let redis = redis.map(|(url, prefix)| (url.to_owned(), prefix.to_owned()));
    spawn_app_with(
        move |c| {
            c.limits.public_per_ip_per_minute = 1;
            c.limits.public_per_ip_burst = 10;
            if let Some((url, prefix)) = redis {
                c.redis_url = Some(url.into());
                c.redis_key_prefix = prefix;
            }
        },
        AppOptions::default(),
    )
    .await
}

/// `n` public requests alternating between the instances: how many passed.
async fn passed(instances: &[&TestApp], n: usize) -> (usize, usize) {
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..n {
        let app = instances[i % instances.len()];
        match app.get("/v1/health").await.status().as_u16() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    (ok, limited)
}

#[tokio::test]
async fn a_per_ip_limit_holds_exactly_across_two_instances_sharing_redis() {
    let Some(url) = redis_url() else { return };
    let prefix = new_prefix();
    let a = instance(Some((&url, &prefix))).await;
    let b = instance(Some((&url, &prefix))).await;
    assert_eq!(passed(&[&a, &b], 30).await, (10, 20));
    let ready: Value = a.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready, json!({"status": "ok", "redis": "ok"}));
}

#[tokio::test]
async fn without_redis_each_instance_limits_on_its_own() {
    let a = instance(None).await;
    let b = instance(None).await;
    assert_eq!(passed(&[&a, &b], 30).await, (20, 10));
    let ready: Value = a.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready, json!({"status": "ok"}));
}

/// A Redis server of this test's own, on a loopback address of its own.
struct OwnRedis {
    child: Child,
    url: String,
    port: String,
    host: String,
}

impl OwnRedis {
    async fn start() -> Self {
        let addr = free_address();
        let (host, port) = (addr.ip().to_string(), addr.port().to_string());
        let child = Command::new("redis-server")
            .args([
                "--bind",
                &host,
                "--port",
                &port,
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (installed by .ci/run)");
        let url = format!("redis://{host}:{port}/0");
        let mut redis = Self {
            child,
            url,
            port,
            host,
        };
        redis.wait_until_up().await;
        redis
    }

    async fn wait_until_up(&mut self) {
        for _ in 0..100 {
            let pong = Command::new("redis-cli")
                .args(["-h", &self.host, "-p", &self.port, "ping"])
                .output();
            if pong.is_ok_and(|o| o.stdout.starts_with(b"PONG")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server never answered");
    }

    fn stop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    async fn restart(&mut self) {
        self.child = Command::new("redis-server")
            .args([
                "--bind",
                &self.host,
                "--port",
                &self.port,
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server");
        self.wait_until_up().await;
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn with_redis_down_the_public_surface_falls_back_and_sign_in_codes_are_refused() {
    if redis_url().is_none() {
        return;
    }
    let mut redis = OwnRedis::start().await;
    let url = redis.url.clone();
    let prefix = new_prefix();
    let a = instance(Some((&url, &prefix))).await;
    let b = instance(Some((&url, &prefix))).await;
    assert_eq!(passed(&[&a, &b], 4).await, (4, 0), "shared while up");

    redis.stop();
    // Each instance now counts on its own: 10 each, whatever the other did.
    assert_eq!(passed(&[&a, &b], 30).await, (20, 10));
    let ready = a.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready, json!({"status": "degraded", "redis": "down"}));
    let refused =
        witzo_app::auth::codes::limit_sign_in_attempts(&a.state, "203.0.113.9".parse().unwrap())
            .await;
    assert_eq!(
        refused.err().map(|e| e.code().as_str()),
        Some("service_unavailable"),
        "sign-in fails closed"
    );

    redis.restart().await;
    // Checks skip a down Redis for a second, then reconnect by themselves.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let fresh = new_prefix();
    let c = instance(Some((&url, &fresh))).await;
    let d = instance(Some((&url, &fresh))).await;
    assert_eq!(passed(&[&c, &d], 12).await, (10, 2));
    let mut back = None;
    for _ in 0..20 {
        let ready: Value = a.get("/readyz").await.json().await.unwrap();
        if ready["redis"] == "ok" {
            back = Some(ready);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        back,
        Some(json!({"status": "ok", "redis": "ok"})),
        "instance a reconnected"
    );
    assert!(
        witzo_app::auth::codes::limit_sign_in_attempts(&a.state, "203.0.113.9".parse().unwrap())
            .await
            .is_ok()
    );
}
