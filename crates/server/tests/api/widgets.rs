//! Widgets: the public API's key and origin checks, CORS, chat, feedback,
//! contact, key regeneration, plan limits, tenant isolation, validation.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::{TestApp, error_code, header, spawn_app, spawn_app_with, visitor};

pub const SHOP: &str = "https://shop.example.com";

pub async fn app_with_widget(domains: &[&str]) -> (TestApp, crate::helpers::Owner, Value) {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, domains).await;
    (app, owner, widget)
}

pub fn key(widget: &Value) -> String {
    widget["key"].as_str().unwrap().to_owned()
}

pub fn config_path(widget: &Value) -> String {
    format!("/v1/widgets/{}/config", key(widget))
}

pub fn chat_body(message: &str) -> Value {
    json!({ "visitor_id": visitor(), "message": message, "page_url": "https://shop.example.com/pricing?email=a@b.c#x" })
}

/// Asserts a refused public call: status, code, and that the page may read it.
pub async fn refused(response: reqwest::Response, status: u16, code: &str, origin: Option<&str>) {
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        origin,
        "{code}"
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    assert!(header(&response, "vary").unwrap().contains("Origin"));
    assert_eq!(error_code(response, status).await, code);
}

#[tokio::test]
async fn chat_answers_honestly_and_stores_the_exchange() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", key(&widget));
    let response = app
        .public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&chat_body("What are your opening hours?")),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some(SHOP));
    let reply: Value = response.json().await.unwrap();
    assert!(
        reply["answer"]
            .as_str()
            .unwrap()
            .starts_with("I don't have any knowledge yet")
    );
    assert_eq!(reply["sources"], json!([]));
    let conversation = reply["conversation_id"].as_str().unwrap();
    let transcript: Value = app
        .get_as(&owner, &format!("/api/conversations/{conversation}"))
        .await
        .json()
        .await
        .unwrap();
    let messages = transcript["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0]["role"].as_str(), messages[0]["body"].as_str()),
        (Some("visitor"), Some("What are your opening hours?"))
    );
    assert_eq!(messages[1]["public_id"], reply["message_id"]);
    assert!(messages[1]["latency_ms"].as_i64().is_some());
    assert_eq!(transcript["conversation"]["origin"], SHOP);
    assert_eq!(
        transcript["conversation"]["page_url"], "https://shop.example.com/pricing",
        "query and fragment dropped"
    );
}

#[tokio::test]
async fn chat_streams_tokens_as_server_sent_events() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let response = app
        .client
        .post(app.url(&format!("/v1/chat?key={}", key(&widget))))
        .header("origin", SHOP)
        .header("accept", "text/event-stream")
        .json(&chat_body("What are your opening hours?"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-type"), Some("text/event-stream"));
    assert_eq!(header(&response, "access-control-allow-origin"), Some(SHOP));
    let body = response.text().await.unwrap();
    let events: Vec<(String, Value)> = body
        .split("\n\n")
        .filter(|block| block.contains("event:"))
        .map(|block| {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap()
                .to_owned();
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect();
    assert_eq!(events.first().unwrap().0, "meta");
    assert_eq!(events.last().unwrap().0, "done");
    let tokens: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(tokens.len() > 5, "token by token: {tokens:?}");
    assert!(
        tokens
            .concat()
            .starts_with("I don't have any knowledge yet")
    );
    assert!(
        events.last().unwrap().1["message_id"]
            .as_str()
            .unwrap()
            .starts_with("m_")
    );
}

#[tokio::test]
async fn chat_bodies_are_validated_before_anything_is_stored() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", key(&widget));
    let cases = [
        (
            json!({"visitor_id": visitor(), "message": "x".repeat(2001)}),
            422,
            "message_too_long",
        ),
        (
            json!({"visitor_id": visitor(), "message": " \u{0} "}),
            422,
            "validation_failed",
        ),
        (
            json!({"visitor_id": "v_nope", "message": "hi"}),
            422,
            "validation_failed",
        ),
        (
            json!({"visitor_id": visitor(), "message": "hi", "conversation_id": "c_bad"}),
            422,
            "validation_failed",
        ),
        (
            json!({"visitor_id": visitor(), "message": "hi", "admin": true}),
            422,
            "unknown_field",
        ),
        (json!({"visitor_id": visitor()}), 422, "missing_field"),
    ];
    for (body, status, code) in cases {
        refused(
            app.public(Method::POST, &path, Some(SHOP), Some(&body))
                .await,
            status,
            code,
            Some(SHOP),
        )
        .await;
    }
    assert_eq!(
        app.public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&json!({"visitor_id": visitor(), "message": "x".repeat(2000)}))
        )
        .await
        .status()
        .as_u16(),
        200
    );
    let id = widget["id"].as_i64().unwrap();
    let list: Vec<Value> = app
        .get_as(&owner, &format!("/api/widgets/{id}/conversations"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.len(),
        1,
        "only the valid message started a conversation"
    );
}

#[tokio::test]
async fn visitors_and_widgets_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(
        |c| {
            c.limits.visitor_per_minute = 1;
            c.limits.visitor_burst = 2;
            c.limits.widget_per_minute = 1;
            c.limits.widget_burst = 3;
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", key(&widget));
    let same = json!({"visitor_id": visitor(), "message": "hi"});
    for _ in 0..2 {
        assert_eq!(
            app.public(Method::POST, &path, Some(SHOP), Some(&same))
                .await
                .status()
                .as_u16(),
            200
        );
    }
    let limited = app
        .public(Method::POST, &path, Some(SHOP), Some(&same))
        .await;
    assert!(
        header(&limited, "retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    refused(limited, 429, "rate_limited", Some(SHOP)).await;
    // Another visitor still gets through until the widget's own limit.
    let other = json!({"visitor_id": visitor(), "message": "hi"});
    assert_eq!(
        app.public(Method::POST, &path, Some(SHOP), Some(&other))
            .await
            .status()
            .as_u16(),
        429,
        "the widget's burst of 3 is used up"
    );
}

#[tokio::test]
async fn a_regenerated_key_is_refused_on_the_very_next_request() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    assert_eq!(
        app.public(Method::GET, &config_path(&widget), Some(SHOP), None)
            .await
            .status()
            .as_u16(),
        200
    );
    let id = widget["id"].as_i64().unwrap();
    let renewed: Value = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/widgets/{id}/regenerate-key"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(renewed["key"], widget["key"]);
    refused(
        app.public(Method::GET, &config_path(&widget), Some(SHOP), None)
            .await,
        404,
        "widget_key_invalid",
        Some(SHOP),
    )
    .await;
    let loader = app.get(&format!("/embed/{}.js", key(&widget))).await;
    assert_eq!(loader.status().as_u16(), 404);
    assert_eq!(
        app.public(Method::GET, &config_path(&renewed), Some(SHOP), None)
            .await
            .status()
            .as_u16(),
        200
    );
    let log: Vec<Value> = app
        .get_as(&owner, "/api/me/security-log")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["kind"], "widget_key_regenerated");
}

#[tokio::test]
async fn the_loader_script_points_at_this_server_with_the_key() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    assert_eq!(
        widget["embed_snippet"],
        format!(
            r#"<script src="{}/embed/{}.js" async></script>"#,
            app.url(""),
            key(&widget)
        )
    );
    let loader = app.get(&format!("/embed/{}.js", key(&widget))).await;
    assert_eq!(loader.status().as_u16(), 200);
    assert_eq!(
        header(&loader, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        header(&loader, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
    let js = loader.text().await.unwrap();
    assert!(js.contains(&format!("\"{}\"", key(&widget))), "{js}");
    assert!(
        js.contains(&format!("/widget.js?v={}", app.state.assets.widget.hash)),
        "{js}"
    );
    let widget_js = app
        .get(&format!("/widget.js?v={}", app.state.assets.widget.hash))
        .await;
    assert_eq!(
        header(&widget_js, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(app.get("/embed/not-a-key.js").await.status().as_u16(), 404);
}

#[tokio::test]
async fn feedback_rates_only_this_visitors_answers() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let body = chat_body("hi");
    let reply: Value = app
        .public(
            Method::POST,
            &format!("/v1/chat?key={}", key(&widget)),
            Some(SHOP),
            Some(&body),
        )
        .await
        .json()
        .await
        .unwrap();
    let feedback = |visitor_id: Value, rating: &str| json!({"visitor_id": visitor_id, "message_id": reply["message_id"], "rating": rating, "reason": "Too vague"});
    let path = format!("/v1/feedback?key={}", key(&widget));
    assert_eq!(
        app.public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&feedback(body["visitor_id"].clone(), "down"))
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_eq!(
        app.public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&feedback(body["visitor_id"].clone(), "up"))
        )
        .await
        .status()
        .as_u16(),
        204,
        "overwrites"
    );
    refused(
        app.public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&feedback(json!(visitor()), "up")),
        )
        .await,
        404,
        "not_found",
        Some(SHOP),
    )
    .await;
    refused(
        app.public(
            Method::POST,
            &path,
            Some(SHOP),
            Some(&feedback(body["visitor_id"].clone(), "meh")),
        )
        .await,
        422,
        "validation_failed",
        Some(SHOP),
    )
    .await;
}

#[tokio::test]
async fn the_lead_form_stores_contact_details_and_needs_a_way_to_reply() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let path = format!("/v1/contact?key={}", key(&widget));
    let lead = json!({"visitor_id": visitor(), "name": "Grace", "email": "Grace@Example.com", "message": "Call me"});
    let response = app
        .public(Method::POST, &path, Some(SHOP), Some(&lead))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let widget_id = witzo_store::domain::WidgetId::from_raw(widget["id"].as_i64().unwrap());
    assert_eq!(app.state.store.leads_count(widget_id).await.unwrap(), 1);
    for (body, field) in [
        (
            json!({"visitor_id": visitor(), "name": "No way to reply"}),
            "email",
        ),
        (
            json!({"visitor_id": visitor(), "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"visitor_id": visitor(), "phone": "call <me>"}),
            "phone",
        ),
    ] {
        let response = app
            .public(Method::POST, &path, Some(SHOP), Some(&body))
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let error: Value = response.json().await.unwrap();
        assert_eq!(
            (error["code"].as_str(), error["field"].as_str()),
            (Some("validation_failed"), Some(field))
        );
    }
    let events = format!("/v1/events?key={}", key(&widget));
    let event = json!({"visitor_id": visitor(), "kind": "widget_loaded", "page_url": "https://shop.example.com/"});
    assert_eq!(
        app.public(Method::POST, &events, Some(SHOP), Some(&event))
            .await
            .status()
            .as_u16(),
        204
    );
}

#[tokio::test]
async fn plan_limits_apply_to_widget_count_and_white_label() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let second = app
        .send_as(
            &owner,
            Method::POST,
            "/api/widgets",
            Some(&json!({"name": "Two"})),
        )
        .await;
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["code"], "plan_limit_widgets");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Free plan allows 1 widget;"),
        "{body}"
    );
    let id = widget["id"].as_i64().unwrap();
    let hide = json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "settings": {"show_branding": false}});
    let refused = app
        .send_as(
            &owner,
            Method::PUT,
            &format!("/api/widgets/{id}"),
            Some(&hide),
        )
        .await;
    assert_eq!(error_code(refused, 403).await, "plan_limit_white_label");
    app.state
        .store
        .set_plan(owner.account, "enterprise", witzo_store::now())
        .await
        .unwrap();
    let allowed = app
        .send_as(
            &owner,
            Method::PUT,
            &format!("/api/widgets/{id}"),
            Some(&hide),
        )
        .await;
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        app.send_as(
            &owner,
            Method::POST,
            "/api/widgets",
            Some(&json!({"name": "Two"}))
        )
        .await
        .status()
        .as_u16(),
        201
    );
}

#[tokio::test]
async fn logos_are_uploaded_as_raster_images_only_and_served_cross_origin() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        app.client
            .post(app.url(&format!("/api/widgets/{id}/logo")))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", &owner.csrf)
            .multipart(reqwest::multipart::Form::new().part("logo", part))
            .send()
    };
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    assert_eq!(
        error_code(upload(svg, "logo.png").await.unwrap(), 415).await,
        "unsupported_media_type"
    );
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(300 * 1024, 0);
    assert_eq!(
        error_code(upload(huge, "logo.png").await.unwrap(), 413).await,
        "payload_too_large"
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    assert_eq!(
        upload(png.clone(), "logo.png")
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let config: Value = app
        .public(Method::GET, &config_path(&widget), Some(SHOP), None)
        .await
        .json()
        .await
        .unwrap();
    let logo_url = config["logo_url"].as_str().unwrap();
    let logo = app.client.get(logo_url).send().await.unwrap();
    assert_eq!(header(&logo, "content-type"), Some("image/png"));
    assert_eq!(
        header(&logo, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
    assert_eq!(logo.bytes().await.unwrap().to_vec(), png);
}

/// Every dashboard route that takes a widget or conversation id, called by
/// another account, answers 404 and changes nothing.
#[tokio::test]
async fn another_accounts_widget_is_not_found_on_every_dashboard_route() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let reply: Value = app
        .public(
            Method::POST,
            &format!("/v1/chat?key={}", key(&widget)),
            Some(SHOP),
            Some(&chat_body("hi")),
        )
        .await
        .json()
        .await
        .unwrap();
    let bob = app.sign_in("bob@example.com").await;
    let id = widget["id"].as_i64().unwrap().to_string();
    let conversation = reply["conversation_id"].as_str().unwrap();
    let qa = json!({"question": "Stolen?", "answer": "Stolen."});
    let pair: Value = app
        .send_as(
            &ada,
            Method::POST,
            &format!("/api/widgets/{id}/qa"),
            Some(&qa),
        )
        .await
        .json()
        .await
        .unwrap();
    let qa_id = pair["id"].as_i64().unwrap().to_string();
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let concrete = if path.contains("/widgets/{id}") {
            path.replace("{id}", &id).replace("{qa_id}", &qa_id)
        } else if path.contains("/conversations/{id}") {
            path.replace("{id}", conversation)
        } else {
            continue;
        };
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut request = app
                .client
                .request(method.clone(), app.url(&concrete))
                .header("cookie", &bob.cookie)
                .header("x-csrf-token", &bob.csrf);
            let qa_form = format!("question=Stolen%3F&answer=Stolen.&csrf_token={}", bob.csrf);
            if path.starts_with("/api/widgets/{id}/qa")
                && (method == Method::PUT || path.ends_with("/qa"))
            {
                request = request.json(&qa);
            } else if method == Method::PUT {
                request = request.json(&json!({"name": "Stolen"}));
            } else if method == Method::POST && path.ends_with("/qa/import") {
                let part = reqwest::multipart::Part::bytes(b"question,answer\nq,a\n".to_vec())
                    .file_name("qa.csv");
                request = request.multipart(reqwest::multipart::Form::new().part("file", part));
            } else if method == Method::POST
                && path.starts_with("/app/widgets/{id}/qa")
                && !path.ends_with("/delete")
            {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(qa_form);
            } else if method == Method::POST && path.ends_with("/correct") {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!(
                        "message_id=m_x&answer=Stolen.&csrf_token={}",
                        bob.csrf
                    ));
            } else if method == Method::POST && path.ends_with("/logo") {
                let part = reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n".to_vec())
                    .file_name("l.png");
                request = request.multipart(reqwest::multipart::Form::new().part("logo", part));
            } else if method == Method::POST && path.ends_with("/documents") {
                let part = reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt");
                request = request.multipart(reqwest::multipart::Form::new().part("files", part));
            } else if method == Method::POST && path == "/api/widgets/{id}/sources" {
                request = request.json(&json!({"url": "https://example.com/"}));
            } else if method == Method::POST && path == "/app/widgets/{id}/sources" {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!(
                        "url=https%3A%2F%2Fexample.com%2F&max_depth=3&include_paths=&exclude_paths=&rescrape_days=&csrf_token={}",
                        bob.csrf
                    ));
            } else if method == Method::POST && path == "/app/widgets/{id}" {
                let form = "name=Stolen&allowed_domains=&title=T&welcome_message=&placeholder=&primary_color=%23000000\
                    &position=right&auto_open_secs=&suggested_questions=&language=en&instructions=&lead_after=3";
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("{form}&csrf_token={}", bob.csrf));
            } else if method == Method::POST {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("csrf_token={}", bob.csrf));
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 404, "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} routes checked");
    let still: Value = app
        .get_as(&ada, &format!("/api/widgets/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (still["name"].as_str(), still["key"].clone()),
        (Some("Shop chat"), widget["key"].clone())
    );
    let pairs: Value = app
        .get_as(&ada, &format!("/api/widgets/{id}/qa"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pairs, json!([pair]), "Ada's Q&A unchanged");
}
