//! Doubles for webhook tests: a receiver on loopback that records every
//! request and answers from a script, and a canary listener that only
//! counts the connections made to it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status, with a short body.
    Status(u16),
    /// `302` to this URL.
    Redirect(String),
    /// Never answers (the request is recorded first).
    Hold,
}

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// Requests answered 2xx.
    accepted: Arc<AtomicUsize>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Receiver {
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Requests answered with a 2xx.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

async fn hook(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.received.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let answer = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Status(200));
    match answer {
        Answer::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap();
            if status.is_success() {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
            }
            (status, format!("answered {code} ").repeat(200)).into_response()
        }
        Answer::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Answer::Hold => std::future::pending().await,
    }
}

/// A receiver on `addr` (`127.0.0.1:0` for any port) answering `script`
/// in order, then `200`.
pub async fn start_receiver_on(addr: SocketAddr, script: Vec<Answer>) -> Receiver {
    let shared = Shared::default();
    shared.script.lock().unwrap().extend(script);
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Receiver { addr, shared }
}

pub async fn start_receiver(script: Vec<Answer>) -> Receiver {
    start_receiver_on("127.0.0.1:0".parse().unwrap(), script).await
}

/// A listener on `addr` that accepts and counts connections, and nothing else.
pub async fn canary(addr: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (addr, count)
}

/// The documented verification recipe (docs/WEBHOOKS.md), step by step:
/// split `Witzo-Signature` into `t` and `v1`, HMAC-SHA256 `"{t}.{body}"`
/// with the secret, compare in constant time, and refuse a timestamp more
/// than five minutes away.
pub fn verify(secret: &str, signature: &str, body: &str, now: i64) -> bool {
    use hmac::{Hmac, Mac};
    let parts: std::collections::HashMap<&str, &str> = signature
        .split(',')
        .filter_map(|part| part.split_once('='))
        .collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else {
        return false;
    };
    let Ok(timestamp) = t.parse::<i64>() else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let Ok(expected) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&expected).is_ok() && (now - timestamp).abs() <= 300
}

impl super::TestApp {
    /// `POST /api/webhooks` with `body`, as it is.
    pub async fn create_webhook(
        &self,
        owner: &super::Owner,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.send_as(owner, reqwest::Method::POST, "/api/webhooks", Some(body))
            .await
    }

    /// Adds an endpoint for `events` at `url`, asserting `201`; returns
    /// (endpoint id, secret).
    pub async fn add_webhook(
        &self,
        owner: &super::Owner,
        url: &str,
        events: &[&str],
    ) -> (i64, String) {
        let response = self
            .create_webhook(owner, &serde_json::json!({"url": url, "events": events}))
            .await;
        assert_eq!(response.status().as_u16(), 201);
        let created: serde_json::Value = response.json().await.unwrap();
        (
            created["id"].as_i64().unwrap(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// An endpoint's delivery log, newest first.
    pub async fn deliveries(&self, owner: &super::Owner, endpoint: i64) -> Vec<serde_json::Value> {
        self.get_json(owner, &format!("/api/webhooks/{endpoint}/deliveries"))
            .await
    }

    /// Makes every queued delivery job and pending retry due now.
    pub async fn make_retries_due(&self) {
        let store = &self.state.store;
        store
            .execute_for_test(
                "UPDATE jobs SET run_at = 0 WHERE kind = $1 AND status = 'queued'",
                "deliver",
            )
            .await;
        store
            .execute_for_test(
                "UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE status = $1 AND next_attempt_at IS NOT NULL",
                "pending",
            )
            .await;
    }
}

/// Runs docs/WEBHOOKS.md's Python verification block, as written there,
/// on a received request: what a receiver following the docs would decide.
pub fn verify_as_documented(secret: &str, received: &Received) -> bool {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/WEBHOOKS.md");
    let docs = std::fs::read_to_string(docs).unwrap();
    let start = docs.find("```python\n").expect("a Python block") + "```python\n".len();
    let end = start + docs[start..].find("```").unwrap();
    let script = format!(
        "{}\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], sys.stdin.buffer.read()))\n",
        &docs[start..end]
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &script, secret, received.header("witzo-signature")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), received.body.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim() == "True"
}

/// The events `receiver` got, oldest first, each checked as a receiver
/// following docs/WEBHOOKS.md would: signed with `secret` over the raw
/// body (and not with another secret), its `Witzo-Event` and
/// `Witzo-Event-Id` headers those of the body.
pub fn signed_events(receiver: &Receiver, secret: &str) -> Vec<serde_json::Value> {
    let now = witzo_store::now();
    receiver
        .received()
        .iter()
        .map(|request| {
            let signature = request.header("witzo-signature");
            assert!(verify(secret, signature, &request.body, now), "{request:?}");
            assert!(!verify("whsec_wrong", signature, &request.body, now));
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
            assert_eq!(
                request.header("witzo-event"),
                body["type"].as_str().unwrap()
            );
            assert_eq!(
                request.header("witzo-event-id"),
                body["id"].as_str().unwrap()
            );
            body
        })
        .collect()
}
