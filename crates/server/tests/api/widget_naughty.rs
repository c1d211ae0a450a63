//! Every string of the Big List of Naughty Strings as a chat message and as
//! each widget setting: stored exactly as normalised or refused with a 4xx —
//! never a 5xx — and shown escaped in the dashboard.

use serde_json::json;
use witzo_server::app::AppOptions;
use witzo_store::domain::{CleanText, TextRules};

use crate::helpers::views::ChatReply;
use crate::helpers::{SHOP, spawn_app_with, unlimited_rates};

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
    let rules = TextRules {
        max_chars: 2000,
        multiline: true,
        required: true,
    };
    let mut stored = 0;
    for raw in naughty_strings::BLNS {
        let response = app.chat(&widget, raw).from(SHOP).send().await;
        let status = response.status().as_u16();
        match CleanText::parse(raw, rules) {
            Ok(expected) => {
                assert_eq!(status, 200, "{raw:?}");
                let reply: ChatReply = response.json().await.unwrap();
                let id = &reply.conversation_id;
                let transcript = app.transcript(&owner, id).await;
                assert_eq!(transcript.messages[0].body, expected.as_str(), "{raw:?}");
                if expected.as_str().contains('<') {
                    let html = app
                        .page_as(&owner, &format!("/app/conversations/{id}"))
                        .await;
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
    let id = widget.id;
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
            let response = app.update_widget(&owner, id, &body).await;
            let status = response.status().as_u16();
            assert!(
                status == 200 || (400..500).contains(&status),
                "{field} = {raw:?} → {status}"
            );
            outcomes[usize::from(status == 200)] += 1;
            if status == 200 && raw.contains('<') {
                let html = app.page_as(&owner, &format!("/app/widgets/{id}")).await;
                let stored = app.widget(&owner, id).await;
                let shown = stored.settings[field]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_default();
                if shown.contains('<') {
                    assert!(!html.contains(&shown), "unescaped {field}: {raw:?}");
                }
                let config = app.config(&widget).from(SHOP).json().await;
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
