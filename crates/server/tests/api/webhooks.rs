//! Webhook endpoints through the JSON API and the page: managed by their
//! owner only (every route answers 404 for another account's ids), the
//! secret shown once, bad input refused with stable codes (never a 500),
//! and the plan's `lead_webhook` flag: off, nothing is queued or added,
//! the log is kept and the page names the plan that includes webhooks.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::{app_with_widget, error, error_code, no_workers, spawn_app_with};

#[tokio::test]
async fn owners_manage_their_endpoints_and_other_accounts_get_404_on_every_route() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    app.set_plan(&ada, "basic").await;
    let body = json!({"url": "https://crm.example.com/witzo", "events": ["lead.created"], "widget_id": widget.id});
    let response = app.create_webhook(&ada, &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    assert_eq!(
        (
            &created["widget_id"],
            &created["events"],
            &created["active"]
        ),
        (&json!(widget.id), &json!(["lead.created"]), &json!(true))
    );
    // The secret is shown once: never listed or read back.
    let listed: Vec<Value> = app.get_json(&ada, "/api/webhooks").await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("secret").is_none() && listed[0].get("account_id").is_none());
    let one: Value = app.get_json(&ada, &format!("/api/webhooks/{id}")).await;
    assert_eq!(one, listed[0]);

    let path = format!("/api/webhooks/{id}");
    let changed: Value = app
        .send_as(&ada, Method::PATCH, &path, Some(&json!({"events": ["lead.updated", "lead.created", "lead.updated"], "active": false})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&changed["events"], &changed["active"], &changed["url"]),
        (
            &json!(["lead.updated", "lead.created"]),
            &json!(false),
            &json!("https://crm.example.com/witzo")
        )
    );
    let rotated: Value = app
        .send_as(&ada, Method::POST, &format!("{path}/secret"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let test = app
        .send_as(&ada, Method::POST, &format!("{path}/test"), None)
        .await;
    assert_eq!(test.status().as_u16(), 202);
    let ping: Value = test.json().await.unwrap();
    assert_eq!(
        (&ping["event"], &ping["status"]),
        (&json!("ping"), &json!("pending"))
    );
    let delivery = ping["id"].as_i64().unwrap();

    // Bob, signed in with a plan of his own, reaches none of it.
    let bob = app.sign_in("bob@example.com").await;
    app.set_plan(&bob, "basic").await;
    let redeliver = format!("/api/webhooks/deliveries/{delivery}/redeliver");
    let routes = [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"active": true}))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/secret"), None),
        (Method::GET, format!("{path}/deliveries"), None),
        (Method::POST, format!("{path}/test"), None),
        (Method::POST, redeliver.clone(), None),
    ];
    for (method, route, body) in routes {
        let response = app
            .send_as(&bob, method.clone(), &route, body.as_ref())
            .await;
        assert_eq!(
            error_code(response, 404).await,
            "not_found",
            "{method} {route}"
        );
    }
    let foreign_widget = json!({"url": "https://b.example.com/", "events": ["lead.created"], "widget_id": widget.id});
    assert_eq!(
        error_code(app.create_webhook(&bob, &foreign_widget).await, 404).await,
        "not_found"
    );
    let pages = [
        format!("/app/webhooks/{id}"),
        format!("/app/webhooks/{id}/delete"),
        format!("/app/webhooks/{id}/secret"),
        format!("/app/webhooks/{id}/test"),
        format!("/app/webhooks/deliveries/{delivery}/redeliver"),
    ];
    for (n, page) in pages.into_iter().enumerate() {
        let mut form = vec![("csrf_token", bob.csrf.as_str())];
        if n == 0 {
            form.push(("url", "https://b.example.com/"));
        }
        let response = app
            .client
            .post(app.url(&page))
            .header("cookie", &bob.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(response, 404).await, "not_found", "{page}");
    }
    assert!(
        app.get_json::<Vec<Value>>(&bob, "/api/webhooks")
            .await
            .is_empty()
    );

    // Ada's redelivery and deletion work.
    let again = app.send_as(&ada, Method::POST, &redeliver, None).await;
    assert_eq!(again.status().as_u16(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["event_id"], ping["event_id"]);
    assert_ne!(again["id"], ping["id"]);
    assert_eq!(app.deliveries(&ada, id).await.len(), 2);
    let deleted = app.send_as(&ada, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        error_code(app.get_as(&ada, &path).await, 404).await,
        "not_found"
    );
}

#[tokio::test]
async fn bad_endpoints_are_refused_with_stable_codes_and_never_a_500() {
    let (app, ada, _) = app_with_widget(&["shop.example.com"]).await;
    app.set_plan(&ada, "basic").await;
    let events = json!(["lead.created"]);
    let cases = [
        (
            json!({"url": "ftp://crm.example.com/", "events": events}),
            422,
            "validation_failed",
        ),
        (
            json!({"url": "javascript:alert(1)", "events": events}),
            422,
            "validation_failed",
        ),
        (
            json!({"url": "https://user:pw@crm.example.com/", "events": events}),
            422,
            "validation_failed",
        ),
        (
            json!({"url": format!("https://crm.example.com/{}", "a".repeat(2048)), "events": events}),
            422,
            "validation_failed",
        ),
        (
            json!({"url": "http://127.0.0.1/hook", "events": events}),
            422,
            "url_not_allowed",
        ),
        (
            json!({"url": "http://10.0.0.8/hook", "events": events}),
            422,
            "url_not_allowed",
        ),
        (
            json!({"url": "http://[::1]/hook", "events": events}),
            422,
            "url_not_allowed",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "events": events}),
            422,
            "url_not_allowed",
        ),
        (
            json!({"url": "https://crm.example.com:8443/", "events": events}),
            422,
            "url_not_allowed",
        ),
        (
            json!({"url": "https://crm.example.com/", "events": ["lead.deleted"]}),
            422,
            "unknown_webhook_event",
        ),
        (
            json!({"url": "https://crm.example.com/", "events": ["ping"]}),
            422,
            "unknown_webhook_event",
        ),
        (
            json!({"url": "https://crm.example.com/", "events": []}),
            422,
            "validation_failed",
        ),
        (
            json!({"url": "https://crm.example.com/"}),
            422,
            "missing_field",
        ),
        (
            json!({"url": "https://crm.example.com/", "events": events, "secret": "mine"}),
            422,
            "unknown_field",
        ),
        (json!({"url": 5, "events": events}), 422, "invalid_type"),
    ];
    for (body, status, code) in cases {
        let response = app.create_webhook(&ada, &body).await;
        assert_eq!(error_code(response, status).await, code, "{body}");
    }
    // Every naughty string as the URL and as an event: refused with a 4xx,
    // or (a URL that is a valid public one) stored as parsed; never a 500.
    for raw in naughty_strings::BLNS {
        let as_event = json!({"url": "https://crm.example.com/", "events": [raw]});
        let response = app.create_webhook(&ada, &as_event).await;
        assert_eq!(
            error_code(response, 422).await,
            "unknown_webhook_event",
            "{raw:?}"
        );
        let response = app
            .create_webhook(&ada, &json!({"url": raw, "events": events}))
            .await;
        match response.status().as_u16() {
            201 => {
                let created: Value = response.json().await.unwrap();
                let url = created["url"].as_str().unwrap();
                assert!(url.starts_with("http"), "{raw:?} stored as {url:?}");
                let path = format!("/api/webhooks/{}", created["id"]);
                app.send_as(&ada, Method::DELETE, &path, None).await;
            }
            status => assert!((400..500).contains(&status), "{status} for {raw:?}"),
        }
    }
    assert!(
        app.get_json::<Vec<Value>>(&ada, "/api/webhooks")
            .await
            .is_empty()
    );
    // At most ten endpoints.
    for n in 0..10 {
        app.add_webhook(
            &ada,
            &format!("https://crm{n}.example.com/"),
            &["lead.created"],
        )
        .await;
    }
    let eleventh = app
        .create_webhook(
            &ada,
            &json!({"url": "https://x.example.com/", "events": events}),
        )
        .await;
    assert_eq!(error_code(eleventh, 422).await, "too_many_webhooks");
    let id = app.get_json::<Vec<Value>>(&ada, "/api/webhooks").await[0]["id"]
        .as_i64()
        .unwrap();
    let bad_update = app
        .send_as(
            &ada,
            Method::PATCH,
            &format!("/api/webhooks/{id}"),
            Some(&json!({"url": "http://192.168.1.1/"})),
        )
        .await;
    assert_eq!(error_code(bad_update, 422).await, "url_not_allowed");
    let bad_id = app.get_as(&ada, "/api/webhooks/nope").await;
    assert_eq!(error_code(bad_id, 400).await, "invalid_path");
}

#[tokio::test]
async fn a_plan_without_lead_webhook_queues_nothing_refuses_changes_keeps_the_log_and_names_the_plan()
 {
    let app = spawn_app_with(no_workers, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let widget_id = WidgetId::from_raw(widget.id);
    // Free lacks the flag: adding is refused, naming Basic.
    let body = json!({"url": "https://crm.example.com/", "events": ["lead.created"]});
    let refused = error(app.create_webhook(&ada, &body).await, 403).await;
    assert_eq!(refused.code, "plan_limit_lead_webhook");
    assert!(refused.message.contains("Basic"), "{}", refused.message);
    let page = app
        .get_as(&ada, "/app/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-plan-lacks=\"lead_webhook\"")
            && page.contains("The Basic plan includes them"),
        "{page}"
    );

    app.set_plan(&ada, "basic").await;
    let (id, _) = app
        .add_webhook(&ada, "https://crm.example.com/", &["lead.created"])
        .await;
    let lead = json!({"id": 1, "email": "eve@example.com"});
    witzo_app::webhooks::emit(
        &app.state,
        ada.account,
        Some(widget_id),
        "lead.created",
        lead.clone(),
    )
    .await
    .unwrap();
    witzo_app::webhooks::emit(
        &app.state,
        ada.account,
        Some(widget_id),
        "lead.updated",
        lead.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.deliveries(&ada, id).await.len(),
        1,
        "only the subscribed event"
    );

    // The flag off: nothing new is queued, the queued one is not sent, the log stays.
    app.set_plan(&ada, "free").await;
    witzo_app::webhooks::emit(
        &app.state,
        ada.account,
        Some(widget_id),
        "lead.created",
        lead,
    )
    .await
    .unwrap();
    assert_eq!(app.drain_jobs().await, 1);
    let log = app.deliveries(&ada, id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (&log[0]["status"], &log[0]["last_error"]),
        (
            &json!("failed"),
            &json!("the plan no longer includes webhooks")
        )
    );
    let test = app
        .send_as(
            &ada,
            Method::POST,
            &format!("/api/webhooks/{id}/test"),
            None,
        )
        .await;
    assert_eq!(error_code(test, 403).await, "plan_limit_lead_webhook");
    let page = app
        .get_as(&ada, "/app/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("data-webhook=\"{id}\"")),
        "the endpoint is still listed"
    );
    assert!(
        page.contains("data-status=\"failed\""),
        "the log is still shown"
    );
}

#[tokio::test]
async fn the_page_adds_an_endpoint_shows_its_secret_once_and_queues_a_test_event() {
    let (app, ada, _) = app_with_widget(&["shop.example.com"]).await;
    app.set_plan(&ada, "basic").await;
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut fields = vec![("csrf_token", ada.csrf.clone())];
        fields.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        fields
    };
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(path))
            .header("cookie", &ada.cookie)
            .form(&fields)
            .send()
    };
    let added = post(
        "/app/webhooks",
        form(&[
            ("url", "https://crm.example.com/<x>"),
            ("lead_created", "on"),
            ("widget_id", ""),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(added.status().as_u16(), 200);
    let page = added.text().await.unwrap();
    assert!(
        page.contains("data-secret-for=") && page.contains("whsec_"),
        "{page}"
    );
    assert!(page.contains("https://crm.example.com/%3Cx%3E") && !page.contains("<x>"));
    let again = app
        .get_as(&ada, "/app/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains("whsec_"), "the secret is shown once");
    let refused = post(
        "/app/webhooks",
        form(&[("url", "http://127.0.0.1/"), ("lead_created", "on")]),
    )
    .await
    .unwrap();
    assert_eq!(error_code(refused, 422).await, "url_not_allowed");
    let id = app.get_json::<Vec<Value>>(&ada, "/api/webhooks").await[0]["id"]
        .as_i64()
        .unwrap();
    let queued = app
        .client
        .post(app.url(&format!("/app/webhooks/{id}/test")))
        .header("cookie", &ada.cookie)
        .form(&[("csrf_token", ada.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status().as_u16(), 303);
    assert_eq!(app.deliveries(&ada, id).await[0]["event"], "ping");
}
