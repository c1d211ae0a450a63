//! The SSRF-safe fetcher against local servers and scripted resolvers.

// Panics are how these tests fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fetch_site;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::MapResolver;
use fetch_site::setup;
use url::Url;
use witzo_ingest::{FetchError, FetchPolicy, Fetcher, Validators};

fn refused(host: &str, reason: &'static str) -> FetchError {
    FetchError::RefusedAddress {
        host: host.to_owned(),
        reason,
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

async fn fetch_default(s: &str) -> Result<witzo_ingest::Fetched, FetchError> {
    Fetcher::new(FetchPolicy::default())
        .unwrap()
        .get(&url(s), None)
        .await
}

#[tokio::test]
async fn refuses_non_public_urls_before_connecting() {
    let cases = [
        ("http://2130706433/", refused("127.0.0.1", "loopback")),
        ("http://0x7f.1/", refused("127.0.0.1", "loopback")),
        ("http://0/", refused("0.0.0.0", "this-network")),
        (
            "http://[::ffff:127.0.0.1]/",
            refused("[::ffff:7f00:1]", "ipv4-mapped private"),
        ),
        (
            "http://[64:ff9b::a9fe:a9fe]/",
            refused("[64:ff9b::a9fe:a9fe]", "nat64 private"),
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            refused("169.254.169.254", "link-local"),
        ),
        ("http://localhost./", refused("localhost.", "loopback")),
        ("http://LOCALHOST/", refused("localhost", "loopback")),
        (
            "http://app.localhost/",
            refused("app.localhost", "loopback"),
        ),
        ("http://[::1]:80/", refused("[::1]", "loopback")),
        ("https://[::]/", refused("[::]", "unspecified")),
        (
            "http://127.0.0.1#@example.com/",
            refused("127.0.0.1", "loopback"),
        ),
        ("http://10.0.0.1/", refused("10.0.0.1", "private")),
        ("http://example.com@127.0.0.1/", FetchError::Userinfo),
        ("http://user:pass@example.com/", FetchError::Userinfo),
        ("http://93.184.216.34:8080/", FetchError::Port(8080)),
        ("https://127.0.0.1:22/", FetchError::Port(22)),
        ("ftp://example.com/", FetchError::Scheme),
        ("file:///etc/passwd", FetchError::Scheme),
    ];
    for (input, expected) in cases {
        assert_eq!(fetch_default(input).await.unwrap_err(), expected, "{input}");
    }
}

#[tokio::test]
async fn refuses_a_name_with_any_private_address() {
    let resolver = Arc::new(MapResolver::new(&[
        ("mixed.test", &["93.184.216.34", "10.0.0.1"]),
        ("v6.test", &["2606:4700:4700::1111", "fd00::1"]),
    ]));
    let fetcher = Fetcher::with_resolver(FetchPolicy::default(), resolver.clone()).unwrap();
    let err = fetcher
        .get(&url("http://mixed.test/"), None)
        .await
        .unwrap_err();
    assert_eq!(err, refused("mixed.test", "private"));
    assert_eq!(err.reason(), "refused address (private)");
    let err = fetcher
        .get(&url("https://v6.test/"), None)
        .await
        .unwrap_err();
    assert_eq!(err, refused("v6.test", "ula"));
    let err = fetcher
        .get(&url("http://unknown.test/"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Dns(_)), "{err:?}");
    assert_eq!(err.reason(), "DNS lookup failed");
    assert_eq!(resolver.calls(), ["mixed.test", "v6.test", "unknown.test"]);
}

#[tokio::test]
async fn fetches_allowed_address_through_the_checked_resolution() {
    let policy = FetchPolicy {
        user_agent: witzo_ingest::user_agent("https://witzo.example/"),
        ..FetchPolicy::default()
    };
    let (addr, _, _, fetcher, resolver) = setup(policy).await;
    let port = addr.port();
    // `site.test` exists only in the scripted resolver: the connection used its answer.
    let fetched = fetcher
        .get(&url(&format!("http://site.test:{port}/echo")), None)
        .await
        .unwrap();
    assert_eq!(fetched.status, 200);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        String::from_utf8(fetched.body).unwrap(),
        format!("host=site.test:{port} ua=WitzoBot/{version} (+https://witzo.example/bot)")
    );
    // One lookup per hop: three hops, three lookups.
    let fetched = fetcher
        .get(&url(&format!("http://site.test:{port}/chain/2")), None)
        .await
        .unwrap();
    assert_eq!(fetched.final_url.path(), "/chain/0");
    assert_eq!(fetched.body, b"end");
    assert_eq!(resolver.calls(), ["site.test"; 4]);
    let echo = url(&format!("http://127.0.0.1:{port}/echo"));
    assert_eq!(fetcher.get(&echo, None).await.unwrap().status, 200);
    // The allowance is for that exact ip:port only.
    let other = url(&format!(
        "http://127.0.0.1:{}/",
        port.wrapping_add(1).max(1)
    ));
    assert_eq!(
        fetcher.get(&other, None).await.unwrap_err(),
        FetchError::Port(other.port().unwrap())
    );
    let err = fetcher
        .get(&url(&format!("http://localhost:{port}/echo")), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Port(port),
        "::1 is not allowed even though 127.0.0.1 is"
    );
}

#[tokio::test]
async fn rechecks_every_redirect_hop() {
    let (addr, canary_addr, canary_count, fetcher, _) = setup(FetchPolicy::default()).await;
    let base = format!("http://{addr}");
    let get = async |path: &str| fetcher.get(&url(&format!("{base}{path}")), None).await;
    assert_eq!(
        get("/to-private").await.unwrap_err(),
        refused("10.0.0.1", "private")
    );
    assert_eq!(
        get("/to-metadata").await.unwrap_err(),
        refused("169.254.169.254", "link-local")
    );
    assert_eq!(get("/to-port").await.unwrap_err(), FetchError::Port(8080));
    assert_eq!(
        get("/to-canary").await.unwrap_err(),
        FetchError::Port(canary_addr.port())
    );
    assert_eq!(
        get("/to-name").await.unwrap_err(),
        refused("sneaky.test", "private")
    );
    assert_eq!(
        canary_count.load(Ordering::SeqCst),
        0,
        "the canary was never contacted"
    );
}

#[tokio::test]
async fn caps_redirects_body_and_time() {
    let policy = FetchPolicy {
        max_body_bytes: 1000,
        timeout: Duration::from_millis(500),
        ..FetchPolicy::default()
    };
    let (addr, _, _, fetcher, _) = setup(policy).await;
    let base = format!("http://{addr}");
    let get = async |path: &str| fetcher.get(&url(&format!("{base}{path}")), None).await;
    assert_eq!(get("/chain/5").await.unwrap().body, b"end");
    assert_eq!(
        get("/chain/6").await.unwrap_err(),
        FetchError::TooManyRedirects
    );
    assert_eq!(get("/small").await.unwrap().body.len(), 1000);
    assert_eq!(get("/big").await.unwrap_err(), FetchError::TooLarge);
    assert_eq!(get("/big-chunked").await.unwrap_err(), FetchError::TooLarge);
    for path in ["/stall-body", "/stall-headers"] {
        let started = Instant::now();
        let err = get(path).await.unwrap_err();
        assert_eq!(err, FetchError::Timeout, "{path}");
        assert_eq!(err.reason(), "timed out");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(450) && elapsed < Duration::from_secs(3));
    }
}

#[tokio::test]
async fn sends_validators_and_reports_not_modified() {
    let (addr, _, _, fetcher, _) = setup(FetchPolicy::default()).await;
    let page = url(&format!("http://{addr}/conditional"));
    let first = fetcher.get(&page, None).await.unwrap();
    assert!(!first.not_modified);
    assert_eq!(
        first.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.body, b"<p>hello</p>");
    let validators = first.validators();
    let again = fetcher.get(&page, Some(&validators)).await.unwrap();
    assert!(again.not_modified);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let by_date = Validators {
        etag: None,
        last_modified: first.last_modified.clone(),
    };
    assert!(
        fetcher
            .get(&page, Some(&by_date))
            .await
            .unwrap()
            .not_modified
    );
    let stale = Validators {
        etag: Some("\"v0\"".to_owned()),
        last_modified: None,
    };
    assert!(!fetcher.get(&page, Some(&stale)).await.unwrap().not_modified);
}

#[test]
fn reasons_are_short_and_free_of_detail() {
    let reasons = [
        (FetchError::BadUrl("x".into()), "invalid URL"),
        (FetchError::Scheme, "unsupported scheme"),
        (FetchError::Port(8080), "port 8080 not allowed"),
        (
            refused("db.internal", "private"),
            "refused address (private)",
        ),
        (
            FetchError::Dns("NXDOMAIN db.internal".into()),
            "DNS lookup failed",
        ),
        (FetchError::TooLarge, "too large"),
        (FetchError::TooManyRedirects, "too many redirects"),
        (
            FetchError::Network("tls: bad cert for 10.1.2.3".into()),
            "network error",
        ),
    ];
    for (err, reason) in reasons {
        assert_eq!(err.reason(), reason);
    }
    let bad_agent = FetchPolicy {
        user_agent: "bad\nagent".into(),
        ..FetchPolicy::default()
    };
    assert!(matches!(
        Fetcher::new(bad_agent),
        Err(FetchError::Config(_))
    ));
}
