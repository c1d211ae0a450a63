//! The Q&A dashboard: the page's forms, "Correct this answer" in a
//! transcript, and the custom-instructions note.

use serde_json::Value;
use witzo_server::app::AppOptions;

use crate::helpers::{Owner, TestApp, header, spawn_app_with};
use crate::qa::{ada_with_widget, ask, id, pairs};

/// `POST path` as `owner` with a form body (the CSRF token added).
async fn form(
    app: &TestApp,
    owner: &Owner,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &owner.csrf));
    app.client
        .post(app.url(path))
        .header("cookie", &owner.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_qa_page_adds_edits_deletes_and_imports_through_its_forms() {
    let (app, ada, widget) = ada_with_widget().await;
    let w = id(&widget);
    let page = format!("/app/widgets/{w}/qa");
    let html = app
        .get_as(&ada, &format!("/app/widgets/{w}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"{page}\"")),
        "linked from the widget's page"
    );

    let added = form(
        &app,
        &ada,
        &page,
        &[
            ("question", "Parking?"),
            ("answer", "<script>alert(1)</script> Behind the shop."),
        ],
    )
    .await;
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(
        header(&added, "location"),
        Some(format!("{page}?notice=added").as_str())
    );
    let html = app
        .get_as(&ada, &format!("{page}?notice=added"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("alert(1)") && html.contains("Behind the shop."));
    assert!(!html.contains("<script>alert(1)"), "escaped");
    assert!(html.contains("Visitors asking this now get your answer."));

    let refused = form(
        &app,
        &ada,
        &page,
        &[("question", "Kept draft?"), ("answer", " ")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("data-code=\"validation_failed\"") && html.contains("value=\"Kept draft?\""),
        "{html}"
    );

    let qa = pairs(&app, &ada, w).await[0]["id"].as_i64().unwrap();
    let edited = form(
        &app,
        &ada,
        &format!("{page}/{qa}"),
        &[
            ("question", "Parking?"),
            ("answer", "Free, behind the shop."),
        ],
    )
    .await;
    assert_eq!(
        header(&edited, "location"),
        Some(format!("{page}?notice=saved").as_str())
    );
    assert_eq!(
        pairs(&app, &ada, w).await[0]["answer"],
        "Free, behind the shop."
    );

    let csv = reqwest::multipart::Part::bytes(b"question,answer\nOpen on Sundays?,No.\n".to_vec())
        .file_name("qa.csv");
    let imported = app
        .client
        .post(app.url(&format!("{page}/import?csrf_token={}", ada.csrf)))
        .header("cookie", &ada.cookie)
        .multipart(reqwest::multipart::Form::new().part("file", csv))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&imported, "location"),
        Some(format!("{page}?notice=imported").as_str())
    );
    let bad = reqwest::multipart::Part::bytes(b"question,answer\nfine,fine\nempty,\n".to_vec())
        .file_name("qa.csv");
    let refused = app
        .client
        .post(app.url(&format!("{page}/import?csrf_token={}", ada.csrf)))
        .header("cookie", &ada.cookie)
        .multipart(
            reqwest::multipart::Form::new()
                .part("file", bad)
                .text("replace", "on"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Row 3: answer must not be empty.")
    );
    assert_eq!(
        pairs(&app, &ada, w).await.len(),
        2,
        "nothing imported, nothing replaced"
    );

    let deleted = form(&app, &ada, &format!("{page}/{qa}/delete"), &[]).await;
    assert_eq!(
        header(&deleted, "location"),
        Some(format!("{page}?notice=deleted").as_str())
    );
    assert_eq!(pairs(&app, &ada, w).await.len(), 1);
    let missing = form(
        &app,
        &ada,
        &format!("{page}/{qa}"),
        &[("question", "q"), ("answer", "a")],
    )
    .await;
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn correcting_an_answer_in_a_transcript_stores_the_visitor_question_as_a_pair() {
    let (app, ada, widget) = ada_with_widget().await;
    let w = id(&widget);
    let reply = ask(&app, &widget, "How much is a teeth cleaning?").await;
    let conversation = reply["conversation_id"].as_str().unwrap();
    let page = format!("/app/conversations/{conversation}");
    let html = app.get_as(&ada, &page).await.text().await.unwrap();
    assert_eq!(
        html.matches("Correct this answer").count(),
        1,
        "one per assistant message"
    );
    let transcript: Value = app
        .get_as(&ada, &format!("/api/conversations/{conversation}"))
        .await
        .json()
        .await
        .unwrap();
    let visitor = transcript["messages"][0]["public_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = reply["message_id"].as_str().unwrap();

    let correct = format!("{page}/correct");
    let refused = form(
        &app,
        &ada,
        &correct,
        &[("message_id", answer), ("answer", "")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("data-code=\"validation_failed\"")
    );
    let not_an_answer = form(
        &app,
        &ada,
        &correct,
        &[("message_id", &visitor), ("answer", "80 EUR.")],
    )
    .await;
    assert_eq!(not_an_answer.status().as_u16(), 404);
    let bob = app.sign_in("bob@example.com").await;
    let stolen = form(
        &app,
        &bob,
        &correct,
        &[("message_id", answer), ("answer", "Stolen.")],
    )
    .await;
    assert_eq!(stolen.status().as_u16(), 404);
    assert!(pairs(&app, &ada, w).await.is_empty());

    let saved = form(
        &app,
        &ada,
        &correct,
        &[
            ("message_id", answer),
            ("answer", "A cleaning costs 80 EUR."),
        ],
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        header(&saved, "location"),
        Some(format!("{page}?notice=corrected").as_str())
    );
    let stored = pairs(&app, &ada, w).await;
    assert_eq!(
        (
            stored.len(),
            stored[0]["question"].as_str(),
            stored[0]["answer"].as_str()
        ),
        (
            1,
            Some("How much is a teeth cleaning?"),
            Some("A cleaning costs 80 EUR.")
        )
    );
    assert_eq!(
        ask(&app, &widget, "What does a cleaning cost?").await["answer"],
        "A cleaning costs 80 EUR."
    );
}

#[tokio::test]
async fn the_custom_instructions_note_shows_only_while_no_llm_is_configured() {
    let (app, ada, widget) = ada_with_widget().await;
    let note = "Only followed when an LLM is configured";
    let page = format!("/app/widgets/{}", id(&widget));
    assert!(
        app.get_as(&ada, &page)
            .await
            .text()
            .await
            .unwrap()
            .contains(note)
    );

    let with_llm = spawn_app_with(
        |c| c.answers.llm.base_url = Some(url::Url::parse("http://127.0.0.1:9/v1/").unwrap()),
        AppOptions::default(),
    )
    .await;
    let ada = with_llm.sign_in("ada@example.com").await;
    let widget = with_llm.create_widget(&ada, &["shop.example.com"]).await;
    let html = with_llm
        .get_as(&ada, &format!("/app/widgets/{}", id(&widget)))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Custom instructions for the assistant") && !html.contains(note));
}
