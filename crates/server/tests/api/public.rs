use std::sync::Arc;

use axum::http::request::Parts;
use witzo_server::app::AppOptions;
use witzo_server::error::{ApiError, ErrorCode};
use witzo_server::origins::{BoxFuture, OriginPolicy, Refusal};

use crate::helpers::{error_code, header, spawn_app, spawn_app_with};

/// Allows one origin on every public path (the CORS mechanism on its own).
struct OneOrigin(&'static str);

impl OriginPolicy for OneOrigin {
    fn check<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<bool, Refusal>> {
        Box::pin(async move {
            match parts.headers.get("origin").map(|o| o.to_str().unwrap()) {
                Some(origin) if origin != self.0 => Err(Refusal {
                    error: ApiError::new(ErrorCode::OriginNotAllowed, "no"),
                    readable: false,
                }),
                _ => Ok(true),
            }
        })
    }
}

fn with_shop_origin() -> AppOptions {
    AppOptions {
        origins: Some(Arc::new(OneOrigin("https://shop.example"))),
        ..AppOptions::default()
    }
}

#[tokio::test]
async fn the_public_api_is_rate_limited_per_ip_with_retry_after() {
    let app = spawn_app_with(
        |c| {
            c.limits.public_per_ip_per_minute = 1;
            c.limits.public_per_ip_burst = 3;
        },
        AppOptions::default(),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/v1/health").await.status().as_u16(), 200);
    }
    let refused = app.get("/v1/health").await;
    let retry_after: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(refused, 429).await, "rate_limited");
    // The dashboard surface has its own limits, not this one.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn an_origin_the_policy_refuses_is_answered_origin_not_allowed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/health"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(error_code(response, 403).await, "origin_not_allowed");
}

#[tokio::test]
async fn an_allowed_origin_gets_its_own_origin_back_and_never_credentials() {
    let app = spawn_app_with(|_| {}, with_shop_origin()).await;
    let response = app
        .client
        .get(app.url("/v1/health"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    assert_eq!(
        header(&response, "vary"),
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    );
    let other = app
        .client
        .get(app.url("/v1/health"))
        .header("origin", "https://shop.example.evil")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(other, 403).await, "origin_not_allowed");
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let app = spawn_app_with(|_| {}, with_shop_origin()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/health"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(allowed.status().as_u16(), 204);
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(
        header(&allowed, "access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        header(&allowed, "access-control-allow-headers"),
        Some("content-type, accept")
    );
    assert_eq!(header(&allowed, "access-control-max-age"), Some("600"));
    let refused = preflight("https://elsewhere.example").await.unwrap();
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
    assert_eq!(error_code(refused, 403).await, "origin_not_allowed");
}

#[tokio::test]
async fn the_dashboard_never_answers_with_cors_headers() {
    let app = spawn_app_with(|_| {}, with_shop_origin()).await;
    for path in ["/healthz", "/api/me", "/"] {
        let response = app
            .client
            .get(app.url(path))
            .header("origin", "https://shop.example")
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            None,
            "{path}"
        );
    }
}
