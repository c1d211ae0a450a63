//! Every string of the Big List of Naughty Strings as a chat message and as
//! each widget setting: stored exactly as normalised or refused with a 4xx —
//! never a 5xx — and shown escaped in the dashboard.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::domain::{CleanText, TextRules};

use crate::helpers::{spawn_app_with, unlimited_rates, visitor};

const SHOP: &str = "https://shop.example.com";

#[tokio::test]
async fn naughty_chat_messages_are_stored_normalised_or_refused_and_shown_escaped() {
    let app = spawn_app_with(unlimited_rates, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    // Every BLNS string is one conversation: more than Free's 100 a month.
    let account = app
        .state
        .store
        .account_by_email(&witzo_store::domain::EmailAddress::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .set_plan(account.id, "enterprise", 1)
        .await
        .unwrap();
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    let rules = TextRules {
        max_chars: 2000,
        multiline: true,
        required: true,
    };
    let mut stored = 0;
    for raw in naughty_strings::BLNS {
        let body = json!({"visitor_id": visitor(), "message": raw});
        let response = app
            .public(Method::POST, &path, Some(SHOP), Some(&body))
            .await;
        let status = response.status().as_u16();
        match CleanText::parse(raw, rules) {
            Ok(expected) => {
                assert_eq!(status, 200, "{raw:?}");
                let reply: Value = response.json().await.unwrap();
                let id = reply["conversation_id"].as_str().unwrap();
                let transcript: Value = app
                    .get_as(&owner, &format!("/api/conversations/{id}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                assert_eq!(
                    transcript["messages"][0]["body"],
                    expected.as_str(),
                    "{raw:?}"
                );
                if expected.as_str().contains('<') {
                    let html = app
                        .get_as(&owner, &format!("/app/conversations/{id}"))
                        .await
                        .text()
                        .await
                        .unwrap();
                    assert!(
                        !html.contains(expected.as_str()),
                        "unescaped in the dashboard: {raw:?}"
                    );
                }
                stored += 1;
            }
            Err(_) => assert!((400..500).contains(&status), "{raw:?} → {status}"),
        }
    }
    assert!(stored > 400, "{stored}");
}

#[tokio::test]
async fn naughty_settings_are_stored_normalised_or_refused_and_shown_escaped() {
    let app = spawn_app_with(unlimited_rates, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let fields = [
        "title",
        "welcome_message",
        "placeholder",
        "instructions",
        "suggested_questions",
        "language",
        "primary_color",
    ];
    let mut outcomes = [0usize; 2];
    for raw in naughty_strings::BLNS {
        for field in fields {
            let value = if field == "suggested_questions" {
                json!([raw])
            } else {
                json!(raw)
            };
            let body = json!({"name": raw, "allowed_domains": ["shop.example.com"], "settings": {field: value}});
            let response = app
                .send_as(
                    &owner,
                    Method::PUT,
                    &format!("/api/widgets/{id}"),
                    Some(&body),
                )
                .await;
            let status = response.status().as_u16();
            assert!(
                status == 200 || (400..500).contains(&status),
                "{field} = {raw:?} → {status}"
            );
            outcomes[usize::from(status == 200)] += 1;
            if status == 200 && raw.contains('<') {
                let html = app
                    .get_as(&owner, &format!("/app/widgets/{id}"))
                    .await
                    .text()
                    .await
                    .unwrap();
                let stored: Value = app
                    .get_as(&owner, &format!("/api/widgets/{id}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                let shown = stored["settings"][field]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_default();
                if shown.contains('<') {
                    assert!(!html.contains(&shown), "unescaped {field}: {raw:?}");
                }
                let config: Value = app
                    .public(
                        Method::GET,
                        &format!("/v1/widgets/{}/config", widget["key"].as_str().unwrap()),
                        Some(SHOP),
                        None,
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                assert!(config.is_object());
            }
        }
    }
    assert!(
        outcomes[1] > 500 && outcomes[0] > 500,
        "accepted {} refused {}",
        outcomes[1],
        outcomes[0]
    );
}
