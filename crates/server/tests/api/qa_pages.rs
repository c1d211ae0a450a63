//! The Q&A dashboard: the page's forms, "Correct this answer" in a
//! transcript, and the custom-instructions note.

use witzo_server::app::AppOptions;

use crate::helpers::{SHOP, app_with_widget, header, spawn_app_with};

#[tokio::test]
async fn the_qa_page_adds_edits_deletes_and_imports_through_its_forms() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
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

    let added = app
        .post_form(
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

    let refused = app
        .post_form(&ada, &page, &[("question", "Kept draft?"), ("answer", " ")])
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("data-code=\"validation_failed\"") && html.contains("value=\"Kept draft?\""),
        "{html}"
    );

    let qa = app.pairs(&ada, w).await[0]["id"].as_i64().unwrap();
    let edited = app
        .post_form(
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
        app.pairs(&ada, w).await[0]["answer"],
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
        app.pairs(&ada, w).await.len(),
        2,
        "nothing imported, nothing replaced"
    );

    let deleted = app
        .post_form(&ada, &format!("{page}/{qa}/delete"), &[])
        .await;
    assert_eq!(
        header(&deleted, "location"),
        Some(format!("{page}?notice=deleted").as_str())
    );
    assert_eq!(app.pairs(&ada, w).await.len(), 1);
    let missing = app
        .post_form(
            &ada,
            &format!("{page}/{qa}"),
            &[("question", "q"), ("answer", "a")],
        )
        .await;
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn correcting_an_answer_in_a_transcript_stores_the_visitor_question_as_a_pair() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    let reply = app
        .chat(&widget, "How much is a teeth cleaning?")
        .from(SHOP)
        .reply()
        .await;
    let conversation = &reply.conversation_id;
    let page = format!("/app/conversations/{conversation}");
    let html = app.page_as(&ada, &page).await;
    assert_eq!(
        html.matches("Correct this answer").count(),
        1,
        "one per assistant message"
    );
    let transcript = app.transcript(&ada, conversation).await;
    let visitor = transcript.messages[0].public_id.clone();
    let answer = reply.message_id.as_str();

    let correct = format!("{page}/correct");
    let refused = app
        .post_form(&ada, &correct, &[("message_id", answer), ("answer", "")])
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("data-code=\"validation_failed\"")
    );
    let not_an_answer = app
        .post_form(
            &ada,
            &correct,
            &[("message_id", &visitor), ("answer", "80 EUR.")],
        )
        .await;
    assert_eq!(not_an_answer.status().as_u16(), 404);
    let bob = app.sign_in("bob@example.com").await;
    let stolen = app
        .post_form(
            &bob,
            &correct,
            &[("message_id", answer), ("answer", "Stolen.")],
        )
        .await;
    assert_eq!(stolen.status().as_u16(), 404);
    assert!(app.pairs(&ada, w).await.is_empty());

    let saved = app
        .post_form(
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
    let stored = app.pairs(&ada, w).await;
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
    let corrected = app
        .chat(&widget, "What does a cleaning cost?")
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(corrected.answer, "A cleaning costs 80 EUR.");
}

#[tokio::test]
async fn the_custom_instructions_note_shows_only_while_no_llm_is_configured() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let note = "Only followed when an LLM is configured";
    let page = format!("/app/widgets/{}", widget.id);
    assert!(app.page_as(&ada, &page).await.contains(note));

    let with_llm = spawn_app_with(
        |c| c.answers.llm.base_url = Some(url::Url::parse("http://127.0.0.1:9/v1/").unwrap()),
        AppOptions::default(),
    )
    .await;
    let ada = with_llm.sign_in("ada@example.com").await;
    let widget = with_llm.create_widget(&ada, &["shop.example.com"]).await;
    let html = with_llm
        .page_as(&ada, &format!("/app/widgets/{}", widget.id))
        .await;
    assert!(html.contains("Custom instructions for the assistant") && !html.contains(note));
}
