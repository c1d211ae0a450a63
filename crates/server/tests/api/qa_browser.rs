//! Owner corrections in headless Chromium: a visitor's answer corrected in
//! the dashboard's transcript reaches the next visitor who asks in other
//! words.

use fantoccini::Locator;
use serde_json::json;
use witzo_server::app::AppOptions;

use crate::helpers::chromium::{Driver, host_site, poll, wait_for_text};
use crate::helpers::{no_workers, spawn_app_with};

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
    let app = spawn_app_with(no_workers, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["localhost"]).await;
    let faq = b"Opening hours\n\nWe open at nine every weekday and close at six.".to_vec();
    let uploaded = app
        .upload_documents(&ada, widget.id, vec![("faq.txt", faq)])
        .await;
    app.drain_jobs().await;
    assert_eq!(app.job(&ada, uploaded.job_id).await.status, "succeeded");
    let port = host_site(widget.embed_snippet.clone()).await;
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
    let list = app.conversations(&ada, widget.id).await;
    let conversation = &list[0].public_id;
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
    let list = app.conversations(&ada, widget.id).await;
    assert_eq!(list.len(), 2, "a new visitor's conversation");
    browser.close().await.unwrap();
}
