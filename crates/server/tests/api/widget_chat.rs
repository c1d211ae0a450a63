//! What a visitor sends through the widget's public API: chat (JSON and
//! streamed), its validation and rate limits, feedback on answers, the lead
//! form and events.

use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::views::ChatReply;
use crate::helpers::{SHOP, app_with_widget, error, header, refused, spawn_app_with, visitor};

/// The page the chats in this module come from: query and fragment are
/// dropped before it is stored.
const PRICING: &str = "https://shop.example.com/pricing?email=a@b.c#x";

#[tokio::test]
async fn chat_answers_honestly_and_stores_the_exchange() {
    let (app, owner, widget) = app_with_widget(&["shop.example.com"]).await;
    let response = app
        .chat(&widget, "What are your opening hours?")
        .page_url(PRICING)
        .from(SHOP)
        .send()
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some(SHOP));
    let reply: ChatReply = response.json().await.unwrap();
    assert!(reply.answer.starts_with("I don't have any knowledge yet"));
    assert!(reply.sources.is_empty(), "{reply:?}");
    let transcript = app.transcript(&owner, &reply.conversation_id).await;
    let messages = &transcript.messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0].role.as_str(), messages[0].body.as_str()),
        ("visitor", "What are your opening hours?")
    );
    assert_eq!(messages[1].public_id, reply.message_id);
    assert!(messages[1].latency_ms.is_some());
    assert_eq!(transcript.conversation.origin, SHOP);
    assert_eq!(
        transcript.conversation.page_url, "https://shop.example.com/pricing",
        "query and fragment dropped"
    );
}

#[tokio::test]
async fn chat_streams_tokens_as_server_sent_events() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let response = app
        .chat(&widget, "What are your opening hours?")
        .page_url(PRICING)
        .from(SHOP)
        .streamed()
        .send()
        .await;
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
        let response = app.chat_with(&widget, body).from(SHOP).send().await;
        refused(response, status, code, Some(SHOP)).await;
    }
    assert_eq!(
        app.chat(&widget, &"x".repeat(2000))
            .from(SHOP)
            .status()
            .await,
        200
    );
    assert_eq!(
        app.conversations(&owner, widget.id).await.len(),
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
    let same = visitor();
    let hi = |visitor: &str| app.chat(&widget, "hi").visitor(visitor).from(SHOP);
    for _ in 0..2 {
        assert_eq!(hi(&same).status().await, 200);
    }
    let limited = hi(&same).send().await;
    assert!(
        header(&limited, "retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    refused(limited, 429, "rate_limited", Some(SHOP)).await;
    // Another visitor still gets through until the widget's own limit.
    assert_eq!(
        hi(&visitor()).status().await,
        429,
        "the widget's burst of 3 is used up"
    );
}

#[tokio::test]
async fn feedback_rates_only_this_visitors_answers() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let asker = visitor();
    let reply = app
        .chat(&widget, "hi")
        .page_url(PRICING)
        .visitor(&asker)
        .from(SHOP)
        .reply()
        .await;
    let feedback = |visitor_id: &str, rating: &str| {
        let body = json!({"visitor_id": visitor_id, "message_id": reply.message_id, "rating": rating, "reason": "Too vague"});
        app.feedback(&widget, body).from(SHOP)
    };
    assert_eq!(feedback(&asker, "down").status().await, 204);
    assert_eq!(feedback(&asker, "up").status().await, 204, "overwrites");
    refused(
        feedback(&visitor(), "up").send().await,
        404,
        "not_found",
        Some(SHOP),
    )
    .await;
    refused(
        feedback(&asker, "meh").send().await,
        422,
        "validation_failed",
        Some(SHOP),
    )
    .await;
}

#[tokio::test]
async fn the_lead_form_stores_contact_details_and_needs_a_way_to_reply() {
    let (app, _, widget) = app_with_widget(&["shop.example.com"]).await;
    let lead = json!({"visitor_id": visitor(), "name": "Grace", "email": "Grace@Example.com", "message": "Call me"});
    let response = app.contact(&widget, lead).from(SHOP).send().await;
    assert_eq!(response.status().as_u16(), 201);
    let widget_id = witzo_store::domain::WidgetId::from_raw(widget.id);
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
        let response = app.contact(&widget, body).from(SHOP).send().await;
        let error = error(response, 422).await;
        assert_eq!(
            (error.code.as_str(), error.field.as_deref()),
            ("validation_failed", Some(field))
        );
    }
    let event = json!({"visitor_id": visitor(), "kind": "widget_loaded", "page_url": "https://shop.example.com/"});
    assert_eq!(app.event(&widget, event).from(SHOP).status().await, 204);
}
