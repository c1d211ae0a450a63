//! `Fetcher::post` (outgoing webhooks) under the GET's checks: allowed
//! targets get the body and headers, the answer is cut to what the caller
//! keeps, a redirect comes back unfollowed, and a name resolving to a
//! non-public address is refused before any connection.

// Panics are how these tests fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use common::{MapResolver, serve};
use reqwest::header::HeaderValue;
use url::Url;
use witzo_ingest::{FetchError, FetchPolicy, Fetcher};

/// Counts TCP connections and never answers.
async fn canary() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (addr, count)
}

async fn echo(headers: HeaderMap, body: String) -> impl IntoResponse {
    let kind = headers
        .get("x-kind")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        StatusCode::ACCEPTED,
        format!("{kind}:{body}:{}", "x".repeat(5000)),
    )
}

#[tokio::test]
async fn posts_to_allowed_targets_keeps_the_answers_start_and_never_follows_redirects() {
    let (canary_addr, connections) = canary().await;
    let target = format!("http://{canary_addr}/");
    let addr = serve(Router::new().route("/hook", post(echo)).route(
        "/moved",
        post(move || async move { (StatusCode::FOUND, [(header::LOCATION, target)]) }),
    ))
    .await;
    let policy = FetchPolicy {
        allow: vec![addr],
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::new(policy).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-kind", HeaderValue::from_static("lead"));
    let url = Url::parse(&format!("http://{addr}/hook")).unwrap();
    let posted = fetcher
        .post(&url, headers, b"{\"a\":1}".to_vec(), 64)
        .await
        .unwrap();
    assert_eq!(posted.status, 202);
    assert_eq!(posted.body.len(), 64);
    assert!(posted.body.starts_with(b"lead:{\"a\":1}:xxx"));

    let moved = Url::parse(&format!("http://{addr}/moved")).unwrap();
    let posted = fetcher
        .post(&moved, HeaderMap::new(), Vec::new(), 64)
        .await
        .unwrap();
    assert_eq!(posted.status, 302);
    assert!(posted.is_redirect());
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "redirect not followed"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_before_connecting() {
    let resolver = Arc::new(MapResolver::new(&[("hooks.example", &["10.1.2.3"])]));
    let fetcher = Fetcher::with_resolver(FetchPolicy::default(), resolver.clone()).unwrap();
    let url = Url::parse("http://hooks.example/in").unwrap();
    let refused = fetcher.post(&url, HeaderMap::new(), Vec::new(), 64).await;
    assert_eq!(
        refused,
        Err(FetchError::RefusedAddress {
            host: "hooks.example".to_owned(),
            reason: "private"
        })
    );
    assert_eq!(resolver.calls().len(), 1, "resolved once");
    let credentials = Url::parse("https://u:p@hooks.example/").unwrap();
    assert_eq!(
        fetcher
            .post(&credentials, HeaderMap::new(), Vec::new(), 64)
            .await,
        Err(FetchError::Userinfo)
    );
}
