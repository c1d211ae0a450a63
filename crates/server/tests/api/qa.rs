//! Owner corrections as Q&A pairs through the real app: the JSON API,
//! matching in chat, tenant isolation and the plan's document limit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Owner, TestApp, error_code, spawn_app, visitor};

pub const SHOP: &str = "https://shop.example.com";

/// An app, Ada signed in, and her widget (allowed on shop.example.com).
pub async fn ada_with_widget() -> (TestApp, Owner, Value) {
    let app = spawn_app().await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    (app, ada, widget)
}

pub fn id(widget: &Value) -> i64 {
    widget["id"].as_i64().unwrap()
}

pub async fn add_pair(
    app: &TestApp,
    owner: &Owner,
    widget: i64,
    question: &str,
    answer: &str,
) -> reqwest::Response {
    let body = json!({"question": question, "answer": answer});
    app.send_as(
        owner,
        Method::POST,
        &format!("/api/widgets/{widget}/qa"),
        Some(&body),
    )
    .await
}

pub async fn pairs(app: &TestApp, owner: &Owner, widget: i64) -> Vec<Value> {
    app.get_as(owner, &format!("/api/widgets/{widget}/qa"))
        .await
        .json()
        .await
        .unwrap()
}

/// A visitor's question to the widget, from the shop's pages.
pub async fn ask(app: &TestApp, widget: &Value, message: &str) -> Value {
    let body = json!({"visitor_id": visitor(), "message": message});
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    let response = app
        .public(Method::POST, &path, Some(SHOP), Some(&body))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

pub fn import(
    app: &TestApp,
    owner: &Owner,
    widget: i64,
    file: Vec<u8>,
    replace: bool,
) -> reqwest::RequestBuilder {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("qa.csv"),
    );
    if replace {
        form = form.text("replace", "true");
    }
    app.client
        .post(app.url(&format!("/api/widgets/{widget}/qa/import")))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .multipart(form)
}

#[tokio::test]
async fn owners_add_list_edit_and_delete_their_answers() {
    let (app, ada, widget) = ada_with_widget().await;
    let w = id(&widget);
    let added = add_pair(
        &app,
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
    assert_eq!(pairs(&app, &ada, w).await, std::slice::from_ref(&added));

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
        assert_eq!(refused.status().as_u16(), 422);
        let error: Value = refused.json().await.unwrap();
        assert_eq!(
            (error["code"].as_str(), error["field"].as_str()),
            (Some("validation_failed"), Some(field))
        );
    }
    let unknown = add_pair(&app, &ada, w, "q", "a").await;
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
    assert_eq!(pairs(&app, &ada, w).await.len(), 1);
}

#[tokio::test]
async fn a_paraphrase_gets_the_owners_answer_verbatim_with_one_source() {
    let (app, ada, widget) = ada_with_widget().await;
    let answer =
        "A cleaning costs 80 EUR (40 with insurance).\n\nBook at https://shop.example.com/book";
    add_pair(
        &app,
        &ada,
        id(&widget),
        "How much is a teeth cleaning?",
        answer,
    )
    .await;

    let reply = ask(&app, &widget, "What does a cleaning cost?").await;
    assert_eq!(reply["answer"], answer);
    assert_eq!(
        reply["sources"],
        json!([{"title": "Answer from Shop chat", "url": null}])
    );
    assert_eq!(reply["usage"]["remaining"], 99, "metered like any answer");
    let transcript: Value = app
        .get_as(
            &ada,
            &format!(
                "/api/conversations/{}",
                reply["conversation_id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let messages = transcript["messages"].as_array().unwrap();
    assert_eq!(
        (messages.len(), messages[1]["body"].as_str()),
        (2, Some(answer))
    );

    // Streamed, the same words arrive as tokens, then the one source.
    let body = json!({"visitor_id": visitor(), "message": "how much is a TEETH cleaning"});
    let stream = app
        .client
        .post(app.url(&format!("/v1/chat?key={}", widget["key"].as_str().unwrap())))
        .header("origin", SHOP)
        .header("accept", "text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
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
    let (app, ada, widget) = ada_with_widget().await;
    add_pair(
        &app,
        &ada,
        id(&widget),
        "How much is a teeth cleaning?",
        "80 EUR.",
    )
    .await;
    let reply = ask(&app, &widget, "Do you sell cleaning products?").await;
    assert!(
        reply["answer"]
            .as_str()
            .unwrap()
            .starts_with("I don't have any knowledge yet"),
        "{reply}"
    );
    assert_eq!(reply["sources"], json!([]));
}

#[tokio::test]
async fn every_qa_route_is_not_found_for_another_accounts_widget_or_pair() {
    let (app, ada, widget) = ada_with_widget().await;
    let w = id(&widget);
    let pair: Value = add_pair(&app, &ada, w, "Ada's?", "Ada's.")
        .await
        .json()
        .await
        .unwrap();
    let qa = pair["id"].as_i64().unwrap();
    let bob = app.sign_in("bob@example.com").await;
    let bobs = id(&app.create_widget(&bob, &["bob.example.com"]).await);
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
    let stolen = import(
        &app,
        &bob,
        w,
        b"question,answer\nStolen?,Stolen.\n".to_vec(),
        true,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(error_code(stolen, 404).await, "not_found");
    assert_eq!(
        pairs(&app, &ada, w).await,
        [pair],
        "Ada's answers unchanged"
    );
    assert!(pairs(&app, &bob, bobs).await.is_empty());
}

#[tokio::test]
async fn pairs_count_against_the_plans_document_limit() {
    let (app, ada, widget) = ada_with_widget().await;
    let w = id(&widget);
    // The Free plan allows 4 documents.
    for n in 0..4 {
        assert_eq!(
            add_pair(&app, &ada, w, &format!("Question {n}?"), "Answer.")
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let over = add_pair(&app, &ada, w, "One more?", "No.").await;
    assert_eq!(over.status().as_u16(), 403);
    let body: Value = over.json().await.unwrap();
    assert_eq!(
        (
            body["code"].as_str(),
            body["used"].as_i64(),
            body["limit"].as_i64(),
            body["plan"].as_str(),
            body["upgrade_to"].as_str()
        ),
        (
            Some("plan_limit_documents"),
            Some(4),
            Some(4),
            Some("free"),
            Some("basic")
        )
    );
    let file = b"question,answer\nOne more?,No.\n".to_vec();
    let refused = import(&app, &ada, w, file.clone(), false)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(refused, 403).await, "plan_limit_documents");
    let upload = crate::training::upload(
        &app,
        &ada,
        w,
        vec![("faq.txt", b"We open at nine.".to_vec())],
    );
    let refused: Value = upload.send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (refused["code"].as_str(), refused["used"].as_i64()),
        (Some("plan_limit_documents"), Some(4))
    );
    assert_eq!(pairs(&app, &ada, w).await.len(), 4);

    // Replacing the four with a file of four fits.
    let four = b"question,answer\nA?,A.\nB?,B.\nC?,C.\nD?,D.\n".to_vec();
    let replaced = import(&app, &ada, w, four, true).send().await.unwrap();
    assert_eq!(
        replaced.json::<Value>().await.unwrap(),
        json!({"imported": 4, "total": 4})
    );
    let billing: Value = app.get_as(&ada, "/api/billing").await.json().await.unwrap();
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
