use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use serde_json::Value;
use tower::ServiceExt;
use witzo_server::app::{AppOptions, with_global_layers};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }
}

#[tokio::test]
async fn readyz_is_unavailable_without_the_database_and_says_nothing_internal() {
    let app = spawn_app().await;
    app.state.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "service_unavailable");
    assert_eq!(
        body["message"],
        "The service is unavailable right now. Please try again shortly."
    );
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(app.get("/metrics").await, 404).await,
        "not_found"
    );
}

#[tokio::test]
async fn metrics_need_the_configured_bearer_token() {
    let app = spawn_app_with(
        |c| c.metrics.token = Some("metrics-token-0123456789".to_owned().into()),
        AppOptions::default(),
    )
    .await;
    app.get("/healthz").await;
    assert_eq!(
        error_code(app.get("/metrics").await, 401).await,
        "unauthenticated"
    );
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(wrong, 401).await, "unauthenticated");
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    let text = right.text().await.unwrap();
    assert!(
        text.contains(r#"witzo_http_requests_total{surface="dashboard",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains("witzo_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_can_be_served_on_a_separate_listener_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = witzo_app::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        metrics: witzo_app::config::MetricsConfig {
            token: None,
            listen: Some("127.0.0.1:0".parse().unwrap()),
        },
        ..Default::default()
    };
    let app = witzo_server::app::Application::build(config, AppOptions::default())
        .await
        .unwrap();
    let (main, metrics) = (app.local_addr().unwrap(), app.metrics_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        rx.await.ok();
    }));
    let client = reqwest::Client::new();
    let separate = client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(separate.status().as_u16(), 200);
    let on_main = client
        .get(format!("http://{main}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(on_main.status().as_u16(), 404);
    tx.send(()).ok();
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_errors() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(app.get("/no/such/page").await, 404).await,
        "not_found"
    );
    let response = app
        .client
        .delete(app.url("/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 405).await, "method_not_allowed");
    // A method no route declares is a 405 with Allow, before the CSRF
    // check (nothing would run for it), on every surface.
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/healthz", "GET,HEAD"),
        (reqwest::Method::PUT, "/api/me/sign-out", "POST"),
        (reqwest::Method::PATCH, "/v1/health", "GET,HEAD"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let allowed = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.replace(' ', ""));
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert_eq!(error_code(response, 405).await, "method_not_allowed");
    }
    // A declared unsafe method is still CSRF-checked first.
    let refused = app
        .client
        .post(app.url("/api/me/sign-out"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(refused, 403).await, "csrf_token_missing");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/me",
        "/api/me/profile",
        "/api/me/sign-out",
        "/v1/health",
        "/static/{file}",
    ] {
        assert!(paths.contains(&path), "{path} missing from {paths:?}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn the_openapi_document_places_parameters_and_constrains_ids_as_validation_does() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut misplaced = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                if parameter["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
                    misplaced.push(format!("{method} {path} {name}"));
                }
            }
        }
    }
    assert_eq!(misplaced, Vec::<String>::new());
    let key = doc["paths"]["/v1/chat"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "key")
        .unwrap();
    assert_eq!(
        (key["in"].as_str(), key["required"].as_bool()),
        (Some("query"), Some(true))
    );
    // Request schemas are as strict as validation.
    let chat = &doc["components"]["schemas"]["ChatRequest"];
    assert_eq!(
        chat["properties"]["visitor_id"]["pattern"],
        "^v_[0-9a-f]{32}$"
    );
    assert_eq!(chat["properties"]["message"]["maxLength"], 2000);
    assert_eq!(chat["additionalProperties"], false);
    for schema in ["FeedbackRequest", "ContactRequest", "EventRequest"] {
        // A type with a rule across fields is `allOf` its derived schema and the rule.
        let schema_of = &doc["components"]["schemas"][schema];
        let derived = schema_of["allOf"].get(0).unwrap_or(schema_of);
        assert_eq!(
            derived["properties"]["visitor_id"]["pattern"], "^v_[0-9a-f]{32}$",
            "{schema}"
        );
    }
}

fn layered(routes: Router<witzo_server::state::AppState>, app: &crate::helpers::TestApp) -> Router {
    with_global_layers(routes, app.state.clone())
}

async fn boom() -> &'static str {
    panic!("secret detail in a panic")
}

#[tokio::test]
async fn a_panicking_handler_answers_a_generic_500_with_headers() {
    let app = spawn_app().await;
    let router = layered(Router::new().route("/boom", get(boom)), &app);
    let response = router
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert!(response.headers().contains_key("x-request-id"));
    assert!(response.headers().contains_key("content-security-policy"));
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "internal_error");
    assert!(!body.to_string().contains("secret"), "{body}");
}

#[tokio::test]
async fn a_slow_handler_is_cut_off_at_the_request_timeout() {
    let app = spawn_app_with(|c| c.limits.request_timeout_secs = 1, AppOptions::default()).await;
    let router = layered(
        Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        ),
        &app,
    );
    let response = router
        .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "request_timeout");
}
