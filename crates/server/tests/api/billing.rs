//! Billing through the real app: Stripe Checkout against a double that
//! speaks Stripe's API, webhooks signed inside the test with the endpoint's
//! secret (Stripe's `t=…,v1=…` HMAC-SHA256 scheme), idempotency by event
//! id, cancellation at the end of the cycle, and the Billing page.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use witzo_server::app::AppOptions;

use crate::helpers::{Owner, TestApp, error_code, spawn_app_with};

const WEBHOOK_SECRET: &str = "whsec_test_secret_for_witzo";
const API_KEY: &str = "sk_test_witzo";

/// What the Stripe double received: path, Authorization, form fields.
type Received = Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>;

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
async fn fake_stripe() -> (SocketAddr, Received) {
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

async fn billing_app(stripe: SocketAddr, database: Option<String>) -> TestApp {
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
fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn event(id: &str, kind: &str, object: Value) -> String {
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

async fn deliver_raw(app: &TestApp, body: &str, signature: Option<String>) -> reqwest::Response {
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
async fn deliver(app: &TestApp, body: &str) -> String {
    let signed = signature(WEBHOOK_SECRET, witzo_store::now(), body);
    let response = deliver_raw(app, body, Some(signed)).await;
    assert_eq!(response.status().as_u16(), 200);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack["received"], true);
    ack["outcome"].as_str().unwrap().to_owned()
}

async fn billing(app: &TestApp, owner: &Owner) -> Value {
    let response = app.get_as(owner, "/api/billing").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// (plan, status, cancel_at_period_end) as the account stores them.
async fn subscription(app: &TestApp, owner: &Owner) -> (String, String, bool) {
    let s = app.state.store.subscription(owner.account).await.unwrap();
    (s.plan, s.status.to_string(), s.cancel_at_period_end.0)
}

fn sub(plan: &str, status: &str, cancelling: bool) -> (String, String, bool) {
    (plan.to_owned(), status.to_owned(), cancelling)
}

async fn sell_online(app: &TestApp) {
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

async fn checkout_and_webhooks_drive_the_subscription(app: TestApp, received: Received) {
    sell_online(&app).await;
    let owner = app.sign_in("ada@example.com").await;
    let id = owner.account.get();

    // The Billing page offers what Stripe sells, at the intervals it has prices for.
    let page = app
        .get_as(&owner, "/app/billing")
        .await
        .text()
        .await
        .unwrap();
    let row = |plan: &str| {
        let start = page.find(&format!("data-plan=\"{plan}\"")).unwrap();
        let end = page[start..].find("</tr>").unwrap() + start;
        page[start..end].to_owned()
    };
    assert!(
        row("basic").contains("<option value=\"month\">")
            && row("basic").contains("<option value=\"year\">")
    );
    assert!(
        row("standard").contains("<option value=\"month\">")
            && !row("standard").contains("value=\"year\"")
    );
    assert!(
        !row("enterprise").contains("<form"),
        "custom pricing is not sold online"
    );
    assert!(!row("free").contains("<form"), "the current plan");
    assert!(!page.contains("data-billing=\"operator\""));

    // Checkout: the plan does not change until Stripe confirms the payment.
    let response = app
        .send_as(
            &owner,
            Method::POST,
            "/api/billing/checkout",
            Some(&json!({"plan": "basic", "interval": "year"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["url"], "https://checkout.stripe.com/c/pay/cs_test_1");
    {
        let calls = received.lock().unwrap();
        assert_eq!(calls.len(), 1);
        let (path, auth, form) = &calls[0];
        assert_eq!(path, "/v1/checkout/sessions");
        assert_eq!(auth, &format!("Bearer {API_KEY}"));
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("mode"), Some("subscription"));
        assert_eq!(field("line_items[0][price]"), Some("price_basic_y"));
        assert_eq!(field("client_reference_id"), Some(id.to_string().as_str()));
        assert_eq!(field("customer_email"), Some("ada@example.com"));
        assert_eq!(field("metadata[plan]"), Some("basic"));
    }
    assert_eq!(
        subscription(&app, &owner).await,
        sub("free", "active", false)
    );
    for (input, code) in [
        (json!({"plan": "enterprise"}), "plan_not_for_sale"),
        (json!({"plan": "platinum"}), "plan_not_for_sale"),
        (
            json!({"plan": "basic", "interval": "week"}),
            "validation_failed",
        ),
        (json!({"plan": "basic", "coupon": "x"}), "unknown_field"),
    ] {
        let response = app
            .send_as(&owner, Method::POST, "/api/billing/checkout", Some(&input))
            .await;
        assert_eq!(error_code(response, 422).await, code, "{input}");
    }

    // A bank debit completes the checkout unpaid: nothing is granted yet.
    let unpaid = event(
        "evt_0",
        "checkout.session.completed",
        json!({"id": "cs_test_0", "object": "checkout.session", "client_reference_id": id.to_string(),
               "customer": "cus_1", "subscription": "sub_1", "payment_status": "unpaid",
               "metadata": {"plan": "basic"}}),
    );
    assert_eq!(deliver(&app, &unpaid).await, "awaiting_payment");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("free", "active", false)
    );

    // The payment is confirmed.
    let completed = event(
        "evt_1",
        "checkout.session.completed",
        json!({"id": "cs_test_1", "object": "checkout.session", "client_reference_id": id.to_string(),
               "customer": "cus_1", "subscription": "sub_1", "metadata": {"plan": "basic"}}),
    );
    assert_eq!(deliver(&app, &completed).await, "applied");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("basic", "active", false)
    );

    // A running subscription changes in Stripe's portal, never by a second checkout.
    let again = app
        .send_as(
            &owner,
            Method::POST,
            "/api/billing/checkout",
            Some(&json!({"plan": "standard"})),
        )
        .await;
    assert_eq!(error_code(again, 409).await, "subscription_exists");
    let portal = app
        .send_as(&owner, Method::POST, "/api/billing/portal", None)
        .await;
    assert_eq!(portal.status().as_u16(), 200);
    assert_eq!(
        portal.json::<Value>().await.unwrap()["url"],
        "https://billing.stripe.com/p/session/bps_1"
    );
    {
        let calls = received.lock().unwrap();
        let (path, auth, form) = calls.last().unwrap();
        assert_eq!(path, "/v1/billing_portal/sessions");
        assert_eq!(auth, &format!("Bearer {API_KEY}"));
        assert_eq!(form[0], ("customer".to_owned(), "cus_1".to_owned()));
        assert_eq!(form[1].0, "return_url");
        assert!(form[1].1.ends_with("/app/billing"), "{form:?}");
    }
    let page = app
        .get_as(&owner, "/app/billing")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/app/billing/portal\""), "{page}");
    assert!(!page.contains("action=\"/app/billing/checkout\""), "{page}");
    let hosted = app
        .client
        .post(app.url("/app/billing/portal"))
        .header("cookie", &owner.cookie)
        .header("origin", app.origin())
        .form(&[("csrf_token", owner.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(hosted.status().as_u16(), 200);
    assert!(
        hosted
            .text()
            .await
            .unwrap()
            .contains("href=\"https://billing.stripe.com/p/session/bps_1\"")
    );

    // A plan change in Stripe's portal: the price names the plan.
    let updated = event(
        "evt_2",
        "customer.subscription.updated",
        json!({"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
               "cancel_at_period_end": false,
               "items": {"data": [{"price": {"id": "price_std_m"}}]}}),
    );
    assert_eq!(deliver(&app, &updated).await, "applied");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("standard", "active", false)
    );

    // A replayed event id is acknowledged and changes nothing.
    assert_eq!(deliver(&app, &completed).await, "duplicate");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("standard", "active", false)
    );

    // A failed renewal: past due, service continues.
    let failed = event(
        "evt_3",
        "invoice.payment_failed",
        json!({"id": "in_1", "object": "invoice", "customer": "cus_1", "subscription": "sub_1"}),
    );
    assert_eq!(deliver(&app, &failed).await, "applied");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("standard", "past_due", false)
    );
    assert_eq!(billing(&app, &owner).await["status"], "past_due");

    // Cancel at period end: Stripe is told, the plan stays until then.
    let response = app
        .send_as(
            &owner,
            Method::PUT,
            "/api/billing/cancel",
            Some(&json!({"cancel_at_period_end": true})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(
        (&view["plan"]["id"], &view["cancel_at_period_end"]),
        (&json!("standard"), &json!(true))
    );
    {
        let calls = received.lock().unwrap();
        let (path, auth, form) = calls.last().unwrap();
        assert_eq!(path, "/v1/subscriptions/sub_1");
        assert_eq!(auth, &format!("Bearer {API_KEY}"));
        assert_eq!(
            form,
            &vec![("cancel_at_period_end".to_owned(), "true".to_owned())]
        );
    }

    // Refused deliveries change nothing.
    let now = witzo_store::now();
    let deleted = event(
        "evt_4",
        "customer.subscription.deleted",
        json!({"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "canceled"}),
    );
    let refusals = [
        (
            Some(signature("whsec_someone_else", now, &deleted)),
            "webhook_signature_invalid",
        ),
        (
            Some(signature(
                WEBHOOK_SECRET,
                now,
                &deleted.replace("sub_1", "sub_2"),
            )),
            "webhook_signature_invalid",
        ),
        (
            Some(signature(WEBHOOK_SECRET, now - 301, &deleted)),
            "webhook_timestamp_stale",
        ),
        (
            Some(signature(WEBHOOK_SECRET, now + 301, &deleted)),
            "webhook_timestamp_stale",
        ),
        (
            Some(format!("t={now},v0=abcdef")),
            "webhook_signature_missing",
        ),
        (None, "webhook_signature_missing"),
    ];
    for (signed, code) in refusals {
        let response = deliver_raw(&app, &deleted, signed).await;
        assert_eq!(error_code(response, 400).await, code);
    }
    let huge = format!(
        "{{\"id\": \"evt_big\", \"pad\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let response = deliver_raw(&app, &huge, Some(signature(WEBHOOK_SECRET, now, &huge))).await;
    assert_eq!(error_code(response, 413).await, "payload_too_large");
    let garbage = "{\"id\": \"evt_5\", \"type\": ";
    let response = deliver_raw(&app, garbage, Some(signature(WEBHOOK_SECRET, now, garbage))).await;
    assert_eq!(error_code(response, 400).await, "webhook_payload_invalid");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("standard", "past_due", true)
    );

    // Types Witzo does not act on, and other customers' events, are acknowledged.
    let other_type = event("evt_6", "customer.created", json!({"id": "cus_1"}));
    assert_eq!(deliver(&app, &other_type).await, "ignored");
    let stranger = event(
        "evt_7",
        "customer.subscription.deleted",
        json!({"id": "sub_999", "object": "subscription", "customer": "cus_999"}),
    );
    assert_eq!(deliver(&app, &stranger).await, "unknown_account");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("standard", "past_due", true)
    );
    let response = app
        .client
        .post(app.url("/v1/billing/webhooks/paypal"))
        .body(deleted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 404).await, "not_found");

    // The period ends: Stripe deletes the subscription.
    assert_eq!(deliver(&app, &deleted).await, "applied");
    assert_eq!(
        subscription(&app, &owner).await,
        sub("free", "cancelled", false)
    );
    assert_eq!(deliver(&app, &deleted).await, "duplicate");

    let metrics = app.state.metrics.render();
    for line in [
        "witzo_billing_webhooks_total{outcome=\"applied\"} 4",
        "witzo_billing_webhooks_total{outcome=\"duplicate\"} 2",
        "witzo_billing_webhooks_total{outcome=\"refused\"} 7",
        "witzo_billing_webhooks_total{outcome=\"ignored\"} 1",
        "witzo_billing_webhooks_total{outcome=\"unknown_account\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn checkout_and_signed_webhooks_drive_the_subscription_on_sqlite() {
    let (stripe, received) = fake_stripe().await;
    checkout_and_webhooks_drive_the_subscription(billing_app(stripe, None).await, received).await;
}

#[tokio::test]
async fn checkout_and_signed_webhooks_drive_the_subscription_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let (stripe, received) = fake_stripe().await;
    checkout_and_webhooks_drive_the_subscription(
        billing_app(stripe, Some(db.url().to_owned())).await,
        received,
    )
    .await;
}

#[tokio::test]
async fn without_stripe_the_operator_changes_plans_and_cancellation_waits_for_the_cycle_end() {
    let app = spawn_app_with(|_| {}, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;

    let page = app.get_as(&owner, "/app/billing").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-billing=\"operator\""), "{html}");
    assert!(html.contains("witzo admin account set-plan"), "{html}");
    assert!(!html.contains("action=\"/app/billing/checkout\""), "{html}");

    let response = app
        .send_as(
            &owner,
            Method::POST,
            "/api/billing/checkout",
            Some(&json!({"plan": "basic"})),
        )
        .await;
    assert_eq!(error_code(response, 409).await, "billing_not_configured");
    let response = app
        .send_as(&owner, Method::POST, "/api/billing/portal", None)
        .await;
    assert_eq!(error_code(response, 409).await, "billing_not_configured");
    let response = app
        .client
        .post(app.url("/v1/billing/webhooks/stripe"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 404).await, "not_found");
    let cancel = |on: bool| {
        let body = json!({"cancel_at_period_end": on});
        let (app, owner) = (&app, &owner);
        async move {
            app.send_as(owner, Method::PUT, "/api/billing/cancel", Some(&body))
                .await
        }
    };
    assert_eq!(
        error_code(cancel(true).await, 409).await,
        "nothing_to_cancel"
    );

    let store = &app.state.store;
    store
        .set_plan(owner.account, "basic", witzo_store::now())
        .await
        .unwrap();
    let view: Value = billing(&app, &owner).await;
    assert_eq!(
        (&view["plan"]["id"], &view["status"], &view["provider"]),
        (&json!("basic"), &json!("active"), &Value::Null)
    );

    // The dashboard's form: cancel, then keep, then cancel again.
    let form = |path: &'static str| {
        app.client
            .post(app.url(path))
            .header("cookie", &owner.cookie)
            .header("origin", app.origin())
            .form(&[("csrf_token", owner.csrf.as_str())])
            .send()
    };
    let response = form("/app/billing/cancel").await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::helpers::header(&response, "location"),
        Some("/app/billing?notice=cancelled")
    );
    assert_eq!(
        subscription(&app, &owner).await,
        sub("basic", "active", true)
    );
    let page = app
        .get_as(&owner, "/app/billing?notice=cancelled")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your subscription ends on"), "{page}");
    assert_eq!(
        form("/app/billing/resume").await.unwrap().status().as_u16(),
        303
    );
    assert_eq!(
        subscription(&app, &owner).await,
        sub("basic", "active", false)
    );
    assert_eq!(cancel(true).await.status().as_u16(), 200);

    // Before the cycle ends nothing changes; at its end the account is on Free.
    let ends = store.usage(owner.account).await.unwrap().resets_at();
    assert_eq!(store.reset_due_usage(ends - 1).await.unwrap(), 0);
    assert_eq!(
        subscription(&app, &owner).await,
        sub("basic", "active", true)
    );
    assert_eq!(store.reset_due_usage(ends).await.unwrap(), 1);
    assert_eq!(
        subscription(&app, &owner).await,
        sub("free", "cancelled", false)
    );
    assert_eq!(store.reset_due_usage(ends).await.unwrap(), 0);
    assert_eq!(
        subscription(&app, &owner).await,
        sub("free", "cancelled", false)
    );

    // Each change is in the owner's security log, newest first.
    let log: Vec<Value> = app
        .get_as(&owner, "/api/me/security-log")
        .await
        .json()
        .await
        .unwrap();
    let described: Vec<&str> = log
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        described,
        [
            "Plan changed (basic→free)",
            "Subscription set to end with the cycle",
            "Subscription kept",
            "Subscription set to end with the cycle",
            "Plan changed (free→basic)",
        ]
    );
}
