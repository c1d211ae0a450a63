//! Owner API keys: shown once and stored hashed, scopes and bad keys
//! refused with exact codes, revocation and expiry at once (also on a
//! second instance), and plans without keys.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::api_keys::enterprise_owner;
use crate::helpers::{error_code, header, no_workers, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_key_is_shown_once_stored_hashed_and_logged() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let (id, key) = app
        .create_key(&ada, json!({"name": "CRM sync", "scopes": ["read"]}))
        .await;
    assert!(key.starts_with("wsk_") && key.len() == 68, "{key}");
    let listed = app
        .get_as(&ada, "/api/api-keys")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(&key[4..]),
        "the key is never listed: {listed}"
    );
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["keys"][0]["id"], id);
    assert_eq!(listed["keys"][0]["prefix"], key[..12]);
    assert_eq!(listed["keys"][0]["scopes"], json!(["read"]));
    assert_eq!(listed["enabled"], true);
    let stored = app
        .state
        .store
        .execute_for_test(
            "UPDATE api_keys SET name = name WHERE token_hash = $1",
            &key,
        )
        .await;
    assert_eq!(stored, 0, "the key itself is not stored");
    let page = app.get_as(&ada, "/app/account").await.text().await.unwrap();
    assert!(page.contains("API key created (CRM sync wsk_"), "{page}");

    let response = app.v1(&key, Method::GET, "/api/v1/widgets", None).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "ratelimit-limit"), Some("60"));
    assert_eq!(header(&response, "ratelimit-remaining"), Some("59"));
    let listed: Value = app.get_json(&ada, "/api/api-keys").await;
    assert!(listed["keys"][0]["last_used_at"].is_i64(), "{listed}");
    assert_eq!(listed["keys"][0]["last_used_ip"], "127.0.0.1");
}

#[tokio::test]
async fn bad_keys_and_missing_scopes_are_refused_with_exact_codes() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let (_, read) = app
        .create_key(&ada, json!({"name": "Reader", "scopes": ["read"]}))
        .await;
    let unknown = format!("wsk_{}", "a".repeat(64));
    for key in [unknown.as_str(), "wsk_short", "", "not a key"] {
        let response = app.v1(key, Method::GET, "/api/v1/widgets", None).await;
        assert_eq!(error_code(response, 401).await, "api_key_invalid", "{key}");
    }
    let no_header = app
        .client
        .get(app.url("/api/v1/widgets"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(no_header, 401).await, "api_key_invalid");
    // A session cookie is not a key here.
    let with_cookie = app.get_as(&ada, "/api/v1/widgets").await;
    assert_eq!(error_code(with_cookie, 401).await, "api_key_invalid");

    let body = json!({"question": "Do you deliver?", "answer": "Yes, daily."});
    let path = format!("/api/v1/widgets/{}/qa", widget.id);
    let response = app.v1(&read, Method::POST, &path, Some(&body)).await;
    assert_eq!(error_code(response, 403).await, "insufficient_scope");
    let chat = json!({"widget_id": widget.id, "visitor": "user-1", "message": "Hi"});
    let response = app
        .v1(&read, Method::POST, "/api/v1/chat", Some(&chat))
        .await;
    assert_eq!(error_code(response, 403).await, "insufficient_scope");
    let qa = app
        .state
        .store
        .qa_of(
            ada.account,
            witzo_store::domain::WidgetId::from_raw(widget.id),
        )
        .await
        .unwrap();
    assert!(qa.is_empty(), "nothing written");

    for (body, code) in [
        (json!({"name": "", "scopes": ["read"]}), "validation_failed"),
        (json!({"name": "x", "scopes": []}), "validation_failed"),
        (
            json!({"name": "x", "scopes": ["admin"]}),
            "validation_failed",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "expires_in_days": 0}),
            "validation_failed",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "widget_id": 0}),
            "validation_failed",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "extra": 1}),
            "unknown_field",
        ),
    ] {
        let response = app
            .send_as(&ada, Method::POST, "/api/api-keys", Some(&body))
            .await;
        assert_eq!(error_code(response, 422).await, code, "{body}");
    }
    let response = app
        .send_as(
            &ada,
            Method::POST,
            "/api/api-keys",
            Some(&json!({"name": "x", "scopes": ["read"], "widget_id": 999999})),
        )
        .await;
    assert_eq!(error_code(response, 404).await, "not_found");
    let response = app
        .send_as(&ada, Method::DELETE, "/api/api-keys/999999", None)
        .await;
    assert_eq!(error_code(response, 404).await, "not_found");
}

#[tokio::test]
async fn revoked_expired_and_unpaid_keys_stop_at_once_and_stay_listed() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let (id, key) = app
        .create_key(&ada, json!({"name": "CMS", "scopes": ["read", "write"]}))
        .await;
    assert_eq!(
        app.v1(&key, Method::GET, "/api/v1/usage", None)
            .await
            .status()
            .as_u16(),
        200
    );

    // Without api_keys on the plan: creating is refused, existing keys too.
    app.set_plan(&ada, "basic").await;
    let response = app.v1(&key, Method::GET, "/api/v1/usage", None).await;
    assert_eq!(error_code(response, 403).await, "plan_limit_api_keys");
    let response = app
        .send_as(
            &ada,
            Method::POST,
            "/api/api-keys",
            Some(&json!({"name": "x", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(error_code(response, 403).await, "plan_limit_api_keys");
    let listed: Value = app.get_json(&ada, "/api/api-keys").await;
    assert_eq!(
        (
            listed["enabled"].clone(),
            listed["keys"].as_array().map(Vec::len)
        ),
        (json!(false), Some(1))
    );
    app.set_plan(&ada, "enterprise").await;
    assert_eq!(
        app.v1(&key, Method::GET, "/api/v1/usage", None)
            .await
            .status()
            .as_u16(),
        200
    );

    let response = app
        .send_as(&ada, Method::DELETE, &format!("/api/api-keys/{id}"), None)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let response = app.v1(&key, Method::GET, "/api/v1/usage", None).await;
    assert_eq!(error_code(response, 401).await, "api_key_invalid");
    let listed: Value = app.get_json(&ada, "/api/api-keys").await;
    assert!(listed["keys"][0]["revoked_at"].is_i64(), "{listed}");

    let (_, expiring) = app
        .create_key(
            &ada,
            json!({"name": "Soon", "scopes": ["read"], "expires_in_days": 1}),
        )
        .await;
    assert_eq!(
        app.v1(&expiring, Method::GET, "/api/v1/usage", None)
            .await
            .status()
            .as_u16(),
        200
    );
    app.state
        .store
        .execute_for_test("UPDATE api_keys SET expires_at = 1 WHERE name = $1", "Soon")
        .await;
    let response = app.v1(&expiring, Method::GET, "/api/v1/usage", None).await;
    assert_eq!(error_code(response, 401).await, "api_key_invalid");
    let page = app
        .get_as(&ada, "/app/api-keys")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-state=\"revoked\"") && page.contains("data-state=\"expired\""),
        "{page}"
    );
}

/// Revoked on one instance, refused on the other's very next request.
#[tokio::test]
async fn a_key_revoked_on_one_instance_is_refused_by_another_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let url = db.url().to_owned();
    let on_postgres = || {
        let url = url.clone();
        move |c: &mut witzo_app::config::Config| {
            c.database_url = Some(url.into());
            no_workers(c);
        }
    };
    let a = spawn_app_with(on_postgres(), AppOptions::default()).await;
    let b = spawn_app_with(on_postgres(), AppOptions::default()).await;
    let ada = enterprise_owner(&a, "ada@example.com").await;
    let (id, key) = a
        .create_key(&ada, json!({"name": "CRM", "scopes": ["read"]}))
        .await;
    assert_eq!(
        b.v1(&key, Method::GET, "/api/v1/leads", None)
            .await
            .status()
            .as_u16(),
        200
    );
    let revoked = a
        .send_as(&ada, Method::DELETE, &format!("/api/api-keys/{id}"), None)
        .await;
    assert_eq!(revoked.status().as_u16(), 200);
    let response = b.v1(&key, Method::GET, "/api/v1/leads", None).await;
    assert_eq!(error_code(response, 401).await, "api_key_invalid");
}
