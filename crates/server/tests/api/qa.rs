//! Owner corrections as Q&A pairs through the real app: the JSON API,
//! matching in chat, tenant isolation and the plan's document limit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::views::Cited;
use crate::helpers::{SHOP, app_with_widget, error, error_code};

#[tokio::test]
async fn owners_add_list_edit_and_delete_their_answers() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    let added = app
        .add_pair(
            &ada,
            w,
            "  How much is a teeth cleaning? ",
            "80 EUR.\r\nBook online.",
        )
        .await;
    assert_eq!(added.status().as_u16(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(
        (
            added["question"].as_str(),
            added["answer"].as_str(),
            added["widget_id"].as_i64()
        ),
        (
            Some("How much is a teeth cleaning?"),
            Some("80 EUR.\nBook online."),
            Some(w)
        )
    );
    assert!(added.get("account_id").is_none(), "{added}");
    let qa = added["id"].as_i64().unwrap();
    assert_eq!(app.pairs(&ada, w).await, std::slice::from_ref(&added));

    let path = format!("/api/widgets/{w}/qa/{qa}");
    let edited: Value = app
        .send_as(
            &ada,
            Method::PUT,
            &path,
            Some(&json!({"question": "Cleaning price?", "answer": "90 EUR."})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (edited["id"].as_i64(), edited["answer"].as_str()),
        (Some(qa), Some("90 EUR."))
    );

    for (body, field) in [
        (json!({"question": "q", "answer": " "}), "answer"),
        (
            json!({"question": "q".repeat(501), "answer": "a"}),
            "question",
        ),
        (
            json!({"question": "q", "answer": "a".repeat(4001)}),
            "answer",
        ),
    ] {
        let refused = app.send_as(&ada, Method::PUT, &path, Some(&body)).await;
        let refused = error(refused, 422).await;
        assert_eq!(
            (refused.code.as_str(), refused.field.as_deref()),
            ("validation_failed", Some(field))
        );
    }
    let unknown = app.add_pair(&ada, w, "q", "a").await;
    assert_eq!(unknown.status().as_u16(), 201);
    let extra = json!({"question": "q", "answer": "a", "account_id": 1});
    let refused = app
        .send_as(
            &ada,
            Method::POST,
            &format!("/api/widgets/{w}/qa"),
            Some(&extra),
        )
        .await;
    assert_eq!(error_code(refused, 422).await, "unknown_field");

    assert_eq!(
        app.send_as(&ada, Method::DELETE, &path, None)
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        error_code(app.send_as(&ada, Method::DELETE, &path, None).await, 404).await,
        "not_found"
    );
    assert_eq!(app.pairs(&ada, w).await.len(), 1);
}

#[tokio::test]
async fn a_paraphrase_gets_the_owners_answer_verbatim_with_one_source() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let answer =
        "A cleaning costs 80 EUR (40 with insurance).\n\nBook at https://shop.example.com/book";
    app.add_pair(&ada, widget.id, "How much is a teeth cleaning?", answer)
        .await;

    let reply = app
        .chat(&widget, "What does a cleaning cost?")
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(reply.answer, answer);
    assert_eq!(
        reply.sources,
        [Cited {
            title: "Answer from Shop chat".to_owned(),
            url: None
        }]
    );
    assert_eq!(reply.usage.remaining, Some(99), "metered like any answer");
    let messages = app.transcript(&ada, &reply.conversation_id).await.messages;
    assert_eq!((messages.len(), messages[1].body.as_str()), (2, answer));

    // Streamed, the same words arrive as tokens, then the one source.
    let stream = app
        .chat(&widget, "how much is a TEETH cleaning")
        .from(SHOP)
        .streamed()
        .send()
        .await
        .text()
        .await
        .unwrap();
    let mut streamed = String::new();
    for data in stream.lines().filter_map(|l| l.strip_prefix("data: ")) {
        let event: Value = serde_json::from_str(data).unwrap();
        if let Some(token) = event["text"].as_str() {
            streamed.push_str(token);
        }
    }
    assert_eq!(streamed, answer);
    assert!(
        stream.contains(r#""sources":[{"title":"Answer from Shop chat","url":null}]"#),
        "{stream}"
    );
}

#[tokio::test]
async fn a_question_that_only_shares_a_word_gets_the_normal_answer() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    app.add_pair(&ada, widget.id, "How much is a teeth cleaning?", "80 EUR.")
        .await;
    let reply = app
        .chat(&widget, "Do you sell cleaning products?")
        .from(SHOP)
        .reply()
        .await;
    assert!(
        reply.answer.starts_with("I don't have any knowledge yet"),
        "{reply:?}"
    );
    assert!(reply.sources.is_empty(), "{reply:?}");
}

#[tokio::test]
async fn every_qa_route_is_not_found_for_another_accounts_widget_or_pair() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    let pair: Value = app
        .add_pair(&ada, w, "Ada's?", "Ada's.")
        .await
        .json()
        .await
        .unwrap();
    let qa = pair["id"].as_i64().unwrap();
    let bob = app.sign_in("bob@example.com").await;
    let bobs = app.create_widget(&bob, &["bob.example.com"]).await.id;
    let body = json!({"question": "Stolen?", "answer": "Stolen."});
    for widget in [w, bobs] {
        // Ada's pair through her widget, and through Bob's own widget.
        let item = format!("/api/widgets/{widget}/qa/{qa}");
        for (method, path, body) in [
            (Method::PUT, item.clone(), Some(&body)),
            (Method::DELETE, item.clone(), None),
        ] {
            let response = app.send_as(&bob, method.clone(), &path, body).await;
            assert_eq!(
                error_code(response, 404).await,
                "not_found",
                "{method} {path}"
            );
        }
    }
    for (method, path) in [
        (Method::GET, "/qa"),
        (Method::POST, "/qa"),
        (Method::GET, "/qa/export.csv"),
    ] {
        let path = format!("/api/widgets/{w}{path}");
        let body = (method == Method::POST).then_some(&body);
        let response = app.send_as(&bob, method.clone(), &path, body).await;
        assert_eq!(
            error_code(response, 404).await,
            "not_found",
            "{method} {path}"
        );
    }
    let stolen = app
        .import_qa(
            &bob,
            w,
            b"question,answer\nStolen?,Stolen.\n".to_vec(),
            true,
        )
        .await;
    assert_eq!(error_code(stolen, 404).await, "not_found");
    assert_eq!(app.pairs(&ada, w).await, [pair], "Ada's answers unchanged");
    assert!(app.pairs(&bob, bobs).await.is_empty());
}

#[tokio::test]
async fn pairs_count_against_the_plans_document_limit() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    // The Free plan allows 4 documents.
    for n in 0..4 {
        assert_eq!(
            app.add_pair(&ada, w, &format!("Question {n}?"), "Answer.")
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let over = error(app.add_pair(&ada, w, "One more?", "No.").await, 403).await;
    assert_eq!(
        (
            over.code.as_str(),
            over.used,
            over.limit,
            over.plan.as_deref(),
            over.upgrade_to.as_deref()
        ),
        (
            "plan_limit_documents",
            Some(4),
            Some(4),
            Some("free"),
            Some("basic")
        )
    );
    let file = b"question,answer\nOne more?,No.\n".to_vec();
    let refused = app.import_qa(&ada, w, file.clone(), false).await;
    assert_eq!(error_code(refused, 403).await, "plan_limit_documents");
    let upload = app
        .upload(&ada, w, vec![("faq.txt", b"We open at nine.".to_vec())])
        .await;
    let refused = error(upload, 403).await;
    assert_eq!(
        (refused.code.as_str(), refused.used),
        ("plan_limit_documents", Some(4))
    );
    assert_eq!(app.pairs(&ada, w).await.len(), 4);

    // Replacing the four with a file of four fits.
    let four = b"question,answer\nA?,A.\nB?,B.\nC?,C.\nD?,D.\n".to_vec();
    let replaced = app.import_qa(&ada, w, four, true).await;
    assert_eq!(
        replaced.json::<Value>().await.unwrap(),
        json!({"imported": 4, "total": 4})
    );
    let billing = app.billing(&ada).await;
    let documents = billing["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "documents")
        .unwrap()
        .clone();
    assert_eq!(
        (documents["used"].as_i64(), documents["limit"].as_i64()),
        (Some(4), Some(4))
    );
}
