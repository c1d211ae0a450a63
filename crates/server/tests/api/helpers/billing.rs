//! Billing doubles: a stand-in for Stripe's API that records what it was
//! sent, webhooks signed inside the test with the endpoint's secret
//! (Stripe's `t=…,v1=…` HMAC-SHA256 scheme), and readers of the account's
//! subscription.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use witzo_server::app::AppOptions;

use crate::helpers::{Owner, TestApp, spawn_app_with};

pub const WEBHOOK_SECRET: &str = "whsec_test_secret_for_witzo";
pub const API_KEY: &str = "sk_test_witzo";

/// What the Stripe double received: path, Authorization, form fields.
pub type Received = Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>;

async fn record(received: &Received, path: String, headers: &HeaderMap, body: &str) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form = form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    received.lock().unwrap().push((path, auth, form));
}

/// A stand-in for `api.stripe.com`: creates Checkout Sessions and updates
/// subscriptions, answering as Stripe does.
pub async fn fake_stripe() -> (SocketAddr, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/v1/checkout/sessions",
            post(
                |State(r): State<Received>, headers: HeaderMap, body: String| async move {
                    record(&r, "/v1/checkout/sessions".into(), &headers, &body).await;
                    axum::Json(json!({
                        "id": "cs_test_1",
                        "object": "checkout.session",
                        "url": "https://checkout.stripe.com/c/pay/cs_test_1"
                    }))
                },
            ),
        )
        .route(
            "/v1/billing_portal/sessions",
            post(
                |State(r): State<Received>, headers: HeaderMap, body: String| async move {
                    record(&r, "/v1/billing_portal/sessions".into(), &headers, &body).await;
                    axum::Json(json!({
                        "id": "bps_1",
                        "object": "billing_portal.session",
                        "url": "https://billing.stripe.com/p/session/bps_1"
                    }))
                },
            ),
        )
        .route(
            "/v1/subscriptions/{id}",
            post(
                |State(r): State<Received>,
                 Path(id): Path<String>,
                 headers: HeaderMap,
                 body: String| async move {
                    record(&r, format!("/v1/subscriptions/{id}"), &headers, &body).await;
                    axum::Json(json!({"id": id, "object": "subscription"}))
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (addr, received)
}

pub async fn billing_app(stripe: SocketAddr, database: Option<String>) -> TestApp {
    spawn_app_with(
        move |c| {
            c.billing.stripe.secret_key = Some(API_KEY.to_owned().into());
            c.billing.stripe.webhook_secret = Some(WEBHOOK_SECRET.to_owned().into());
            c.billing.stripe.api_base = format!("http://{stripe}").parse().unwrap();
            if let Some(url) = database {
                c.database_url = Some(url.into());
            }
        },
        AppOptions::default(),
    )
    .await
}

/// `Stripe-Signature` for `body` signed at `t` with `secret`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "type": kind,
        "api_version": "2024-06-20",
        "created": witzo_store::now(),
        "data": {"object": object}
    })
    .to_string()
}

pub async fn deliver_raw(
    app: &TestApp,
    body: &str,
    signature: Option<String>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/v1/billing/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.unwrap()
}

/// Delivers `body` signed now with the right secret; returns the outcome.
pub async fn deliver(app: &TestApp, body: &str) -> String {
    let signed = signature(WEBHOOK_SECRET, witzo_store::now(), body);
    let response = deliver_raw(app, body, Some(signed)).await;
    assert_eq!(response.status().as_u16(), 200);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack["received"], true);
    ack["outcome"].as_str().unwrap().to_owned()
}

/// (plan, status, cancel_at_period_end) as the account stores them.
pub async fn subscription(app: &TestApp, owner: &Owner) -> (String, String, bool) {
    let s = app.state.store.subscription(owner.account).await.unwrap();
    (s.plan, s.status.to_string(), s.cancel_at_period_end.0)
}

pub fn sub(plan: &str, status: &str, cancelling: bool) -> (String, String, bool) {
    (plan.to_owned(), status.to_owned(), cancelling)
}

pub async fn sell_online(app: &TestApp) {
    let store = &app.state.store;
    for (id, monthly, yearly) in [
        ("basic", "price_basic_m", "price_basic_y"),
        ("standard", "price_std_m", ""),
    ] {
        let mut plan = store.plan(id).await.unwrap();
        plan.price_monthly = monthly.to_owned();
        plan.price_yearly = yearly.to_owned();
        store.update_plan(&plan).await.unwrap();
    }
}
