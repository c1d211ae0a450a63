//! The fetch tests' server: redirect chains and traps, size and time limits,
//! conditional responses, and a canary that counts connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use futures_util::{StreamExt, stream};
use witzo_ingest::{FetchPolicy, Fetcher};

use crate::common::{MapResolver, serve};

/// Counts TCP connections and never answers; proves a refused target is not contacted.
pub async fn canary() -> (SocketAddr, Arc<AtomicUsize>) {
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

async fn chain(Path(n): Path<u32>) -> Response {
    if n == 0 {
        "end".into_response()
    } else {
        Redirect::temporary(&format!("/chain/{}", n - 1)).into_response()
    }
}

async fn conditional(headers: HeaderMap) -> Response {
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == "\"v1\"")
        || headers
            .get(header::IF_MODIFIED_SINCE)
            .is_some_and(|v| v == "Mon, 01 Jan 2024 00:00:00 GMT")
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::ETAG, "\"v1\""),
            (header::LAST_MODIFIED, "Mon, 01 Jan 2024 00:00:00 GMT"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        "<p>hello</p>",
    )
        .into_response()
}

async fn echo(request: Request) -> String {
    let h = |name| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    format!("host={} ua={}", h(header::HOST), h(header::USER_AGENT))
}

/// The test server, the canary, and a fetcher allowed to reach exactly the server.
pub async fn setup(
    policy: FetchPolicy,
) -> (
    SocketAddr,
    SocketAddr,
    Arc<AtomicUsize>,
    Fetcher,
    Arc<MapResolver>,
) {
    let (canary_addr, canary_count) = canary().await;
    let to_canary = format!("http://{canary_addr}/");
    let app = Router::new()
        .route("/chain/{n}", get(chain))
        .route("/conditional", get(conditional))
        .route("/echo", get(echo))
        .route(
            "/to-private",
            get(|| async { Redirect::to("http://10.0.0.1/") }),
        )
        .route(
            "/to-metadata",
            get(|| async { Redirect::to("http://169.254.169.254/x") }),
        )
        .route(
            "/to-port",
            get(|| async { Redirect::to("http://93.184.216.34:8080/") }),
        )
        .route(
            "/to-canary",
            get(move || async move { Redirect::to(&to_canary) }),
        )
        .route(
            "/to-name",
            get(|| async { Redirect::to("http://sneaky.test/") }),
        )
        .route("/small", get(|| async { "x".repeat(1000) }))
        .route("/big", get(|| async { "x".repeat(1001) }))
        .route(
            "/big-chunked",
            get(|| async {
                let chunks = (0..20).map(|_| Ok::<_, std::io::Error>("x".repeat(100)));
                Body::from_stream(stream::iter(chunks))
            }),
        )
        .route(
            "/stall-body",
            get(|| async {
                let first = stream::iter([Ok::<_, std::io::Error>("partial".to_owned())]);
                Body::from_stream(first.chain(stream::pending()))
            }),
        )
        .route(
            "/stall-headers",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
    let addr = serve(app).await;
    let resolver = Arc::new(MapResolver::new(&[
        ("site.test", &["127.0.0.1"]),
        ("sneaky.test", &["93.184.216.34", "192.168.0.10"]),
        ("localhost", &["127.0.0.1", "::1"]),
    ]));
    let policy = FetchPolicy {
        allow: vec![addr],
        ..policy
    };
    let fetcher = Fetcher::with_resolver(policy, resolver.clone()).unwrap();
    (addr, canary_addr, canary_count, fetcher, resolver)
}
