//! Billing without a payment provider: the operator changes plans, the
//! Stripe routes answer that billing is not configured, and a cancellation
//! waits for the end of the cycle.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::billing::{sub, subscription};
use crate::helpers::{error_code, header, spawn_app_with};

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
    let view = app.billing(&owner).await;
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
        header(&response, "location"),
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
