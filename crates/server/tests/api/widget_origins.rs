//! Which pages may use a widget: allowed origins (exact, wildcard, https
//! unless http is opted in), the preview token, CORS and preflights, and
//! the validation of allowed domains.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{SHOP, app_with_widget, error, header, refused, spawn_app, visitor};

#[tokio::test]
async fn the_config_is_served_to_an_allowed_origin_with_cors_and_recorded() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let response = app.config(&widget).from(SHOP).send().await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some(SHOP));
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("retry-after")
    );
    assert_eq!(
        header(&response, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
    assert_eq!(header(&response, "set-cookie"), None);
    let config: Value = response.json().await.unwrap();
    assert_eq!(
        (config["key"].as_str(), config["title"].as_str()),
        (Some(widget.key.as_str()), Some("Chat with us"))
    );
    let health = app.embed_health(&owner, widget.id).await;
    assert_eq!((health[0].origin.as_str(), health[0].allowed), (SHOP, 1));
}

#[tokio::test]
async fn unknown_and_malformed_keys_are_widget_key_invalid() {
    let (app, _, _) = app_with_widget(&["shop.example.com"]).await;
    let unknown = format!("wk_{}", "0".repeat(32));
    refused(
        app.config(&unknown).from(SHOP).send().await,
        404,
        "widget_key_invalid",
        Some(SHOP),
    )
    .await;
    refused(
        app.config("nope").from(SHOP).send().await,
        404,
        "widget_key_invalid",
        Some(SHOP),
    )
    .await;
    let chat = app.chat("wk_x", "hi").from(SHOP).send().await;
    refused(chat, 404, "widget_key_invalid", Some(SHOP)).await;
}

#[tokio::test]
async fn a_missing_or_null_origin_is_refused() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    refused(
        app.config(&widget).send().await,
        403,
        "origin_missing",
        None,
    )
    .await;
    refused(
        app.config(&widget).from("null").send().await,
        403,
        "origin_missing",
        Some("null"),
    )
    .await;
    let chat = app.chat(&widget, "hi").send().await;
    refused(chat, 403, "origin_missing", None).await;
}

#[tokio::test]
async fn an_inactive_widget_is_refused() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let body =
        json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "active": false});
    assert_eq!(
        app.update_widget(&owner, widget.id, &body)
            .await
            .status()
            .as_u16(),
        200
    );
    refused(
        app.config(&widget).from(SHOP).send().await,
        403,
        "widget_inactive",
        Some(SHOP),
    )
    .await;
}

#[tokio::test]
async fn origins_are_matched_exactly_or_by_wildcard_without_look_alikes() {
    let (app, owner, widget) =
        app_with_widget(&["*.example.com", "EXAMPLE.org", "http://legacy.example.net"]).await;
    assert_eq!(
        widget.allowed_domains,
        ["*.example.com", "example.org", "http://legacy.example.net"]
    );
    for origin in [
        "https://shop.example.com",
        "https://a.b.example.com:8443",
        "https://example.org",
        "http://legacy.example.net",
        "https://legacy.example.net",
    ] {
        let response = app.config(&widget).from(origin).send().await;
        assert_eq!(response.status().as_u16(), 200, "{origin}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(origin)
        );
    }
    for origin in [
        "https://example.com",
        "https://evil-example.com",
        "https://example.com.evil.com",
        "https://EXAMPLE.com.",
        "https://shop.example.com.",
        "https://www.example.org",
        "https://example.org.evil.com",
        "ftp://shop.example.com",
        "https://shop.example.com/path",
        // Plain http only where the owner opted in.
        "http://shop.example.com",
        "http://a.b.example.com:8080",
        "http://example.org",
        // No browser sends these spellings of an allowed origin.
        "https://EXAMPLE.org",
        "HTTPS://SHOP.EXAMPLE.COM",
        "https://shop.example.com/",
        "https://shop.example.com#x",
        "https://sh%6Fp.example.com",
        "https://shop.example.com:0",
    ] {
        let response = app.config(&widget).from(origin).send().await;
        refused(response, 403, "widget_domain_not_allowed", Some(origin)).await;
    }
    let health = app.embed_health(&owner, widget.id).await;
    let evil = health
        .iter()
        .find(|o| o.origin == "https://evil-example.com")
        .unwrap();
    assert_eq!((evil.allowed, evil.hits), (0, 1));
}

#[tokio::test]
async fn a_widget_without_domains_answers_nowhere_but_the_preview() {
    let (app, _, widget) = app_with_widget(&[]).await;
    refused(
        app.config(&widget).from(SHOP).send().await,
        403,
        "widget_domain_not_allowed",
        Some(SHOP),
    )
    .await;
    let token = app
        .state
        .keys
        .preview_token(&widget.key, witzo_store::now() + 60);
    let preview = app.config(&widget).preview(&token).send().await;
    assert_eq!(preview.status().as_u16(), 200);
    let expired = app
        .state
        .keys
        .preview_token(&widget.key, witzo_store::now() - 1);
    let old = app.config(&widget).preview(&expired).send().await;
    refused(old, 403, "preview_token_invalid", None).await;
    let other = app
        .state
        .keys
        .preview_token(&format!("wk_{}", "1".repeat(32)), witzo_store::now() + 60);
    let wrong = app.config(&widget).preview(&other).send().await;
    refused(wrong, 403, "preview_token_invalid", None).await;
}

#[tokio::test]
async fn a_preview_token_works_only_from_the_dashboard_and_its_chats_are_not_metered() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let token = app
        .state
        .keys
        .preview_token(&widget.key, witzo_store::now() + 60);
    let asker = visitor();
    let ask = || {
        app.chat(&widget, "What are your opening hours?")
            .visitor(&asker)
    };
    // A leaked token used from another site: refused, unreadable.
    for origin in [SHOP, "https://evil.example"] {
        let leaked = ask().preview(&token).from(origin).send().await;
        refused(leaked, 403, "origin_not_allowed", None).await;
    }
    let before = app.state.store.usage(owner.account).await.unwrap().used;
    // From the dashboard's own origin, or with no Origin: answered.
    let dashboard = app.url("/").trim_end_matches('/').to_owned();
    for origin in [Some(dashboard.as_str()), None] {
        let call = ask().preview(&token);
        let call = match origin {
            Some(origin) => call.from(origin),
            None => call,
        };
        assert_eq!(call.status().await, 200, "{origin:?}");
    }
    let after = app.state.store.usage(owner.account).await.unwrap().used;
    assert_eq!(after, before, "previews take nothing from the allowance");
    // The same question from the widget's site is metered.
    assert_eq!(ask().from(SHOP).status().await, 200);
    assert_eq!(
        app.state.store.usage(owner.account).await.unwrap().used,
        before + 1
    );
}

#[tokio::test]
async fn scripts_and_logos_answer_no_preflight_and_no_cors_to_any_origin() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    for path in [
        "/widget.js".to_owned(),
        format!("/embed/{}.js", widget.key),
        format!("/embed/{}/logo", widget.key),
    ] {
        for origin in [SHOP, "https://evil.example"] {
            let preflight = app
                .client
                .request(Method::OPTIONS, app.url(&path))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
                .await
                .unwrap();
            refused(preflight, 403, "origin_not_allowed", None).await;
        }
        // The script itself loads (a plain <script> sends no Origin), and
        // a request that names an origin is not made readable for it.
        let script = app
            .client
            .get(app.url(&path))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&script, "access-control-allow-origin"),
            None,
            "{path}"
        );
    }
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", widget.key);
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url(&path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(SHOP).await.unwrap();
    assert_eq!(allowed.status().as_u16(), 204);
    assert_eq!(header(&allowed, "access-control-allow-origin"), Some(SHOP));
    assert_eq!(
        header(&allowed, "access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        header(&allowed, "access-control-allow-headers"),
        Some("content-type, accept")
    );
    assert_eq!(header(&allowed, "access-control-max-age"), Some("600"));
    assert_eq!(header(&allowed, "access-control-allow-credentials"), None);
    let other = preflight("https://evil.example").await.unwrap();
    assert_eq!(header(&other, "access-control-allow-methods"), None);
    refused(
        other,
        403,
        "widget_domain_not_allowed",
        Some("https://evil.example"),
    )
    .await;
}

#[tokio::test]
async fn allowed_domains_are_validated_with_clear_errors() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    for domain in [
        "ftp://shop.example.com",
        "shop.example.com:8080",
        "shop.example.com/path",
        "*.com",
        "user@example.com",
        "Bücher.DE",
    ] {
        let body = json!({"name": "Shop", "allowed_domains": [domain]});
        let response = app
            .send_as(&owner, Method::POST, "/api/widgets", Some(&body))
            .await;
        let error = error(response, 422).await;
        assert_eq!(
            (error.code.as_str(), error.field.as_deref()),
            ("validation_failed", Some("allowed_domains")),
            "{domain}"
        );
    }
    let widget = app
        .create_widget(
            &owner,
            &[
                "XN--bcher-kva.DE",
                "*.Example.com.",
                "https://a.example",
                "HTTP://legacy.example",
            ],
        )
        .await;
    assert_eq!(
        widget.allowed_domains,
        [
            "xn--bcher-kva.de",
            "*.example.com",
            "a.example",
            "http://legacy.example"
        ]
    );
}

#[tokio::test]
async fn a_plain_http_page_is_refused_and_the_owner_is_told_how_to_allow_it() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let http = "http://shop.example.com";
    refused(
        app.config(&widget).from(http).send().await,
        403,
        "widget_domain_not_allowed",
        Some(http),
    )
    .await;
    let page = app
        .page_as(&owner, &format!("/app/widgets/{}", widget.id))
        .await;
    assert!(
        page.contains(
            "A plain-http page: write http://shop.example.com in the allowed domains to allow it."
        ),
        "the embed health explains the refusal"
    );
}
