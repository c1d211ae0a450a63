//! Widgets on the owner's side: key regeneration, the loader script,
//! plan limits, logos, and tenant isolation on every dashboard route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ErrorBody, SHOP, app_with_widget, error_code, header, refused};

#[tokio::test]
async fn a_regenerated_key_is_refused_on_the_very_next_request() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    assert_eq!(app.config(&widget).from(SHOP).status().await, 200);
    let renewed = app.regenerate_key(&owner, widget.id).await;
    assert_ne!(renewed.key, widget.key);
    refused(
        app.config(&widget).from(SHOP).send().await,
        404,
        "widget_key_invalid",
        Some(SHOP),
    )
    .await;
    let loader = app.get(&format!("/embed/{}.js", widget.key)).await;
    assert_eq!(loader.status().as_u16(), 404);
    assert_eq!(app.config(&renewed).from(SHOP).status().await, 200);
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
        widget.embed_snippet,
        format!(
            r#"<script src="{}/embed/{}.js" async></script>"#,
            app.url(""),
            widget.key
        )
    );
    let loader = app.get(&format!("/embed/{}.js", widget.key)).await;
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
    assert!(js.contains(&format!("\"{}\"", widget.key)), "{js}");
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
    let body: ErrorBody = second.json().await.unwrap();
    assert_eq!(body.code, "plan_limit_widgets");
    assert!(
        body.message.contains("Free plan allows 1 widget;"),
        "{body:?}"
    );
    let id = widget.id;
    let hide = json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "settings": {"show_branding": false}});
    let refused = app.update_widget(&owner, id, &hide).await;
    assert_eq!(error_code(refused, 403).await, "plan_limit_white_label");
    app.set_plan(&owner, "enterprise").await;
    let allowed = app.update_widget(&owner, id, &hide).await;
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
    let path = format!("/api/widgets/{}/logo", widget.id);
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        let form = reqwest::multipart::Form::new().part("logo", part);
        app.post_multipart(&owner, &path, form)
    };
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    assert_eq!(
        error_code(upload(svg, "logo.png").await, 415).await,
        "unsupported_media_type"
    );
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(300 * 1024, 0);
    assert_eq!(
        error_code(upload(huge, "logo.png").await, 413).await,
        "payload_too_large"
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    assert_eq!(upload(png.clone(), "logo.png").await.status().as_u16(), 200);
    let config = app.config(&widget).from(SHOP).json().await;
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
    let reply = app.chat(&widget, "hi").from(SHOP).reply().await;
    let bob = app.sign_in("bob@example.com").await;
    let id = widget.id.to_string();
    let conversation = reply.conversation_id.as_str();
    let qa = json!({"question": "Stolen?", "answer": "Stolen."});
    let pair: Value = app
        .add_pair(&ada, widget.id, "Stolen?", "Stolen.")
        .await
        .json()
        .await
        .unwrap();
    let qa_id = pair["id"].as_i64().unwrap().to_string();
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        // The owner API takes keys, not sessions (tests/api/api_keys.rs
        // walks it with another account's key).
        if path.starts_with("/api/v1/") {
            continue;
        }
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
    let still = app.widget(&ada, widget.id).await;
    assert_eq!(
        (still.name.as_str(), still.key.as_str()),
        ("Shop chat", widget.key.as_str())
    );
    let pairs = app.pairs(&ada, widget.id).await;
    assert_eq!(pairs, [pair], "Ada's Q&A unchanged");
}
