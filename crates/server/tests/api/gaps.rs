//! Content gaps over the JSON API: refused questions grouped by meaning,
//! an owner's answer resolving its group, and each owner seeing only
//! their own gaps.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use witzo_app::core::Core;

use crate::helpers::owner::app_with_owners_on;
use crate::helpers::{Owner, SHOP, TestApp, error_code, visitor};

const FAMILIES: [[&str; 10]; 3] = [
    [
        "Do you sell gift cards?",
        "Can I buy a gift card?",
        "Are gift cards available?",
        "gift card for a friend",
        "Do you have gift cards?",
        "Where can I get a gift card?",
        "Can I purchase gift cards online?",
        "Is there a gift card?",
        "Do you offer gift cards?",
        "I want to buy a gift card",
    ],
    [
        "Is there parking nearby?",
        "Where can I park my car?",
        "Do you have parking?",
        "Is parking free?",
        "car parking near the shop?",
        "Can I park outside?",
        "Where is the nearest car park?",
        "Is there a parking lot?",
        "parking for customers?",
        "Where do I park?",
    ],
    [
        "Are dogs allowed inside?",
        "Can I bring my dog?",
        "Is my dog welcome?",
        "Do you allow dogs?",
        "dogs allowed in the shop?",
        "Can dogs come in?",
        "Are pets like dogs allowed?",
        "May I bring the dog inside?",
        "Is it ok to bring dogs?",
        "dog friendly?",
    ],
];

async fn open_gaps(app: &TestApp, owner: &Owner, expected: i64) -> Vec<Value> {
    for _ in 0..100 {
        let gaps: Vec<Value> = app.get_json(owner, "/api/content-gaps").await;
        let filed: i64 = gaps.iter().filter_map(|g| g["questions"].as_i64()).sum();
        if filed >= expected {
            return gaps;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the questions were not filed");
}

#[tokio::test]
async fn refused_questions_group_by_meaning_and_an_answer_resolves_the_group() {
    gaps_flow(None).await;
}

#[tokio::test]
async fn refused_questions_group_by_meaning_and_an_answer_resolves_the_group_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    gaps_flow(Some(db.url().to_owned())).await;
}

async fn gaps_flow(database: Option<String>) {
    let (app, ada, widget, bob, _) = app_with_owners_on(database).await;
    let key = app.widget(&ada, widget).await.key;
    // Each a new conversation: the refusal is known before the turn is
    // written, and filed with it.
    let mut first = None;
    for family in FAMILIES {
        for question in family {
            let who = visitor();
            let reply = app
                .chat(&key, question)
                .visitor(&who)
                .from(SHOP)
                .reply()
                .await;
            assert!(reply.sources.is_empty(), "refused: {question}");
            first.get_or_insert((who, reply.conversation_id, question));
        }
    }
    // A question continuing a conversation is answered after its turn is
    // written, and filed with its answer.
    let (who, conversation, question) = first.unwrap();
    let reply = app
        .chat(&key, question)
        .visitor(&who)
        .conversation(&conversation)
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(reply.conversation_id, conversation);
    let gaps = open_gaps(&app, &ada, 31).await;
    let mut sizes: Vec<i64> = gaps
        .iter()
        .filter_map(|g| g["questions"].as_i64())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [10, 10, 11], "{gaps:#?}");
    assert!(
        gaps.iter()
            .all(|g| g["examples"].as_array().map(Vec::len) == Some(3))
    );
    let parking = gaps
        .iter()
        .find(|g| g["examples"].to_string().to_lowercase().contains("park"))
        .and_then(|g| g["id"].as_i64())
        .unwrap();
    let path = format!("/api/content-gaps/{parking}/answer");
    let body = json!({"question": "Where can I park?", "answer": "Free parking behind the shop."});
    let response = app.send_as(&bob, Method::POST, &path, Some(&body)).await;
    assert_eq!(error_code(response, 404).await, "not_found");
    let response = app.send_as(&ada, Method::POST, &path, Some(&body)).await;
    assert_eq!(response.status().as_u16(), 201);
    let response = app.send_as(&ada, Method::POST, &path, Some(&body)).await;
    assert_eq!(error_code(response, 409).await, "conflict");
    let open: Vec<Value> = app.get_json(&ada, "/api/content-gaps").await;
    assert_eq!(open.len(), 2);
    let resolved: Vec<Value> = app.get_json(&ada, "/api/content-gaps?state=resolved").await;
    assert_eq!(resolved.len(), 1);
    let reply = app
        .chat(&key, "Where could I park my car?")
        .visitor(&visitor())
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(reply.answer, "Free parking behind the shop.");

    let report: Value = app.get_json(&ada, "/api/analytics?range=7").await;
    assert_eq!(report["totals"]["messages"], 32);
    assert_eq!(report["totals"]["refused"], 31);
    assert_eq!(report["totals"]["answered"], 1);
    assert_eq!(report["days"].as_array().map(Vec::len), Some(7));
    let core: &Core = &app.state;
    assert_eq!(
        core.store
            .report_settings(ada.account)
            .await
            .unwrap()
            .retention_days,
        None
    );
}
