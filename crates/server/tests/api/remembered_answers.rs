//! A question asked again of the same knowledge and settings is answered
//! from the answers kept in memory: the same answer, still metered and
//! stored as its own turn; a retrain or an edit of the widget is answered
//! afresh, and an answerer that is not repeatable (an LLM) is never kept.

use std::sync::Arc;

use witzo_retrieval::FixedAnswer;
use witzo_server::app::AppOptions;

use crate::helpers::views::ChatReply;
use crate::helpers::{SHOP, TestApp, Widget, no_workers, spawn_app_with, unlimited_rates};

async fn ask(app: &TestApp, widget: &Widget, question: &str) -> ChatReply {
    app.chat(widget, question).from(SHOP).reply().await
}

/// A widget trained on one document about opening hours.
async fn trained(app: &TestApp, opens: &str) -> (crate::helpers::Owner, Widget) {
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    train(app, &owner, &widget, opens).await;
    (owner, widget)
}

async fn train(app: &TestApp, owner: &crate::helpers::Owner, widget: &Widget, opens: &str) {
    let text = format!("Opening hours\n\nOur shop opens at {opens} in the morning.");
    let files = vec![("hours.txt", text.into_bytes())];
    let uploaded = app.upload_documents(owner, widget.id, files).await;
    app.drain_jobs().await;
    assert_eq!(app.job(owner, uploaded.job_id).await.status, "succeeded");
}

#[tokio::test]
async fn a_question_asked_again_is_answered_from_memory_until_the_knowledge_or_the_widget_changes()
{
    let app = spawn_app_with(
        |c| {
            unlimited_rates(c);
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await;
    let (owner, widget) = trained(&app, "nine").await;
    let remembered = &app.state.remembered;

    let first = ask(&app, &widget, "When does the shop open?").await;
    assert!(first.answer.contains("opens at nine"), "{first:?}");
    assert_eq!((remembered.len(), remembered.hits()), (1, 0));
    let again = ask(&app, &widget, "When does the shop open?").await;
    assert_eq!((remembered.len(), remembered.hits()), (1, 1));
    assert_eq!(again.answer, first.answer);
    assert_eq!(again.urls(), first.urls());
    assert_eq!(again.sources.len(), 1, "{again:?}");
    // Still a turn of its own: another conversation, metered and stored.
    assert_ne!(again.conversation_id, first.conversation_id);
    assert_eq!(
        again.usage.remaining.map(|r| r + 1),
        first.usage.remaining,
        "{again:?}"
    );
    let stored = app
        .transcript(&owner, &again.conversation_id)
        .await
        .messages;
    let turns: Vec<(&str, &str)> = stored
        .iter()
        .map(|m| (m.role.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        turns,
        [
            ("visitor", "When does the shop open?"),
            ("assistant", first.answer.as_str()),
        ]
    );
    // Stored with the visitor's message in one commit, under the id the
    // reply gave (what ratings name).
    assert_eq!(stored[1].public_id, again.message_id);
    assert!(stored[1].latency_ms.is_some(), "{:?}", stored[1]);
    // With retrieval's scores of the cited source, as when first given.
    let first_stored = app
        .transcript(&owner, &first.conversation_id)
        .await
        .messages;
    assert_eq!(stored[1].sources, first_stored[1].sources);
    assert!(
        stored[1].sources.contains(r#""score":"#),
        "{}",
        stored[1].sources
    );

    // Another wording is another question.
    ask(&app, &widget, "When do you open?").await;
    assert_eq!((remembered.len(), remembered.hits()), (2, 1));

    // An edit of the widget (its language) is answered afresh: a question
    // the knowledge does not cover is refused in the new language.
    let refused = ask(&app, &widget, "Do you repair bicycles?").await;
    assert!(
        refused.answer.starts_with("I couldn't find that"),
        "{refused:?}"
    );
    let german = serde_json::json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "settings": {"language": "de"}});
    assert_eq!(
        app.update_widget(&owner, widget.id, &german)
            .await
            .status()
            .as_u16(),
        200
    );
    let refused = ask(&app, &widget, "Do you repair bicycles?").await;
    assert!(refused.answer.starts_with("Dazu habe ich"), "{refused:?}");
    assert_eq!(remembered.hits(), 1);

    // A retrain is answered from the new knowledge at once.
    ask(&app, &widget, "When does the shop open?").await;
    assert_eq!(remembered.hits(), 1, "the edit moved the key");
    train(&app, &owner, &widget, "ten").await;
    let retrained = ask(&app, &widget, "When does the shop open?").await;
    assert!(retrained.answer.contains("opens at ten"), "{retrained:?}");
    assert!(!retrained.answer.contains("nine"), "{retrained:?}");
    assert_eq!(remembered.hits(), 1);
}

/// An answerer that is not repeatable (an LLM, here a stand-in) is asked
/// every time; with `answers.remembered_answers = 0` nothing is kept.
#[tokio::test]
async fn answers_that_may_differ_or_a_capacity_of_zero_are_never_kept() {
    let canned = FixedAnswer {
        text: "Canned reply.".to_owned(),
        sources: Vec::new(),
    };
    let options = AppOptions {
        answerer: Some(Arc::new(canned)),
        ..AppOptions::default()
    };
    let llm_like = spawn_app_with(no_workers, options).await;
    let (_, widget) = trained(&llm_like, "nine").await;
    for _ in 0..2 {
        let reply = ask(&llm_like, &widget, "When does the shop open?").await;
        assert_eq!(reply.answer, "Canned reply.");
    }
    assert!(llm_like.state.remembered.is_empty());

    let forgetful = spawn_app_with(
        |c| {
            no_workers(c);
            c.answers.remembered_answers = 0;
        },
        AppOptions::default(),
    )
    .await;
    let (_, widget) = trained(&forgetful, "nine").await;
    for _ in 0..2 {
        let reply = ask(&forgetful, &widget, "When does the shop open?").await;
        assert!(reply.answer.contains("opens at nine"), "{reply:?}");
    }
    assert!(forgetful.state.remembered.is_empty());
    assert_eq!(forgetful.state.remembered.hits(), 0);
}
