//! Billing through Stripe: Checkout against a double that speaks Stripe's
//! API, webhooks signed inside the test with the endpoint's secret,
//! idempotency by event id, cancellation at the end of the cycle, and the
//! Billing page. On SQLite and on PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::billing::{
    API_KEY, Received, WEBHOOK_SECRET, billing_app, deliver, deliver_raw, event, fake_stripe,
    sell_online, signature, sub, subscription,
};
use crate::helpers::{TestApp, error_code};

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
    assert_eq!(app.billing(&owner).await["status"], "past_due");

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
