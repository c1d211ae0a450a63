use witzo_server::app::AppOptions;

use crate::helpers::{header, spawn_app, spawn_app_with};

const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PUBLIC_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const PERMISSIONS: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), \
microphone=(), payment=(), usb=(), browsing-topics=()";

fn assert_common(response: &reqwest::Response) {
    assert_eq!(header(response, "x-frame-options"), Some("DENY"));
    assert_eq!(header(response, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(response, "cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(header(response, "permissions-policy"), Some(PERMISSIONS));
    assert_eq!(header(response, "server"), None);
    assert_eq!(header(response, "x-powered-by"), None);
    assert_eq!(header(response, "x-request-id").map(str::len), Some(16));
}

fn assert_dashboard(response: &reqwest::Response) {
    assert_common(response);
    assert_eq!(
        header(response, "content-security-policy"),
        Some(DASHBOARD_CSP)
    );
    assert_eq!(header(response, "referrer-policy"), Some("same-origin"));
    assert_eq!(
        header(response, "cross-origin-resource-policy"),
        Some("same-origin")
    );
    assert_eq!(header(response, "access-control-allow-origin"), None);
}

fn assert_public(response: &reqwest::Response) {
    assert_common(response);
    assert_eq!(
        header(response, "content-security-policy"),
        Some(PUBLIC_CSP)
    );
    assert_eq!(header(response, "referrer-policy"), Some("no-referrer"));
    assert_eq!(
        header(response, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
}

#[tokio::test]
async fn dashboard_responses_carry_the_dashboard_headers_and_no_hsts_over_http() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/", 200),
        ("/healthz", 200),
        ("/api/me", 401),
        ("/api/nothing-here", 404),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_dashboard(&response);
        assert_eq!(
            header(&response, "strict-transport-security"),
            None,
            "{path}"
        );
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn public_responses_carry_the_public_headers() {
    let app = spawn_app().await;
    for (path, status) in [("/v1/health", 200), ("/v1/nothing-here", 404)] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_public(&response);
        assert_eq!(header(&response, "strict-transport-security"), None);
        assert_eq!(
            header(&response, "vary"),
            Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        );
        assert_eq!(header(&response, "set-cookie"), None);
    }
}

#[tokio::test]
async fn an_https_public_url_adds_hsts_on_both_surfaces() {
    let app = spawn_app_with(
        |c| c.public_url = Some("https://witzo.example.com/".parse().unwrap()),
        AppOptions::default(),
    )
    .await;
    let dashboard = app.get("/healthz").await;
    assert_dashboard(&dashboard);
    assert_eq!(
        header(&dashboard, "strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
    let public = app.get("/v1/health").await;
    assert_public(&public);
    assert_eq!(
        header(&public, "strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
}

#[tokio::test]
async fn static_assets_are_cached_immutably_under_their_hashed_name() {
    let app = spawn_app().await;
    let css = app.state.assets.css.path.clone();
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        home.contains(&format!(r#"<link rel="stylesheet" href="{css}">"#)),
        "{home}"
    );
    assert_eq!(
        home.matches("<script").count(),
        home.matches(r#"<script src="/static/app."#).count(),
        "every script is an external file of ours"
    );
    assert!(!home.contains("style="), "the page has no inline styles");
    let response = app.get(&css).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_dashboard(&response);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(app.get("/static/app.css").await.status().as_u16(), 404);
}
