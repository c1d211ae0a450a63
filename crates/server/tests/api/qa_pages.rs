//! The Q&A dashboard: the page's forms, "Correct this answer" in a
//! transcript, the custom-instructions note, and the whole loop in
//! headless Chromium.

use fantoccini::Locator;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::browser::{Driver, wait_for_text};
use crate::helpers::{Owner, TestApp, header, spawn_app_with};
use crate::qa::{ada_with_widget, ask, id, pairs};
use crate::widget_browser::{host_site, poll};

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

/// Sends `message` in the embedded widget and returns the text of the
/// assistant's `nth` finished answer.
async fn say(browser: &fantoccini::Client, message: &str, nth: usize) -> String {
    let send = format!(
        "const i = root.querySelector('[part=input]'); if (!i || i.disabled) return null; i.value = {}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}})); root.querySelector('button[part=send]').click(); return true;",
        json!(message)
    );
    poll(browser, &send).await;
    let done = format!(
        "const a = [...root.querySelectorAll('[data-role=assistant]')].filter(e => e.dataset.state === 'done'); \
         return a.length > {nth} ? a[{nth}].textContent : null;"
    );
    poll(browser, &done).await.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_owner_corrects_an_answer_in_the_transcript_and_the_next_visitor_gets_it() {
    let app = spawn_app_with(|c| c.jobs.poll_millis = 50, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["localhost"]).await;
    let faq = b"Opening hours\n\nWe open at nine every weekday and close at six.".to_vec();
    let uploaded: Value = crate::training::upload(&app, &ada, id(&widget), vec![("faq.txt", faq)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = crate::training::wait_job(&app, &ada, uploaded["job_id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded");
    let port = host_site(widget["embed_snippet"].as_str().unwrap().to_owned()).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    // A visitor says hi, then asks what the knowledge does not say.
    browser
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; b.click(); return true;").await;
    say(&browser, "hi", 0).await;
    let first = say(&browser, "How much is a teeth cleaning?", 1).await;
    assert!(!first.contains("80 EUR"), "{first}");

    // The owner corrects that answer in the transcript.
    let list: Vec<Value> = app
        .get_as(&ada, &format!("/api/widgets/{}/conversations", id(&widget)))
        .await
        .json()
        .await
        .unwrap();
    let conversation = list[0]["public_id"].as_str().unwrap();
    browser.goto(&app.url("/app/sign-in")).await.unwrap();
    let token = ada.cookie.split_once('=').unwrap().1.to_owned();
    let cookie = format!(
        "witzo_session={token}; Domain={}; Path=/; SameSite=Lax",
        app.addr.ip()
    );
    let cookie = fantoccini::cookies::Cookie::parse(cookie).unwrap();
    browser.add_cookie(cookie).await.unwrap();
    browser
        .goto(&app.url(&format!("/app/conversations/{conversation}")))
        .await
        .unwrap();
    let corrections = browser
        .find_all(Locator::Css("details.correct"))
        .await
        .unwrap();
    assert_eq!(corrections.len(), 2, "one per answer");
    let second = &corrections[1];
    second
        .find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    second
        .find(Locator::Css("textarea[name=answer]"))
        .await
        .unwrap()
        .send_keys("A teeth cleaning costs 80 EUR, 40 EUR with insurance.")
        .await
        .unwrap();
    second
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Saved as a Q&amp;A answer").await;

    // The next visitor asks in other words and gets the owner's answer.
    let shop = format!("http://localhost:{port}/");
    browser.goto(&shop).await.unwrap();
    browser
        .execute(
            "localStorage.clear(); sessionStorage.clear(); return true;",
            vec![],
        )
        .await
        .unwrap();
    browser.goto(&shop).await.unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; \
        if (root.querySelectorAll('[data-role=visitor]').length) return null; b.click(); return true;").await;
    let answer = say(&browser, "What does a cleaning cost?", 0).await;
    assert!(
        answer.contains("A teeth cleaning costs 80 EUR, 40 EUR with insurance."),
        "{answer}"
    );
    assert!(
        answer.contains("Answer from Shop chat"),
        "the one source: {answer}"
    );
    let list: Vec<Value> = app
        .get_as(&ada, &format!("/api/widgets/{}/conversations", id(&widget)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "a new visitor's conversation");
    browser.close().await.unwrap();
}
