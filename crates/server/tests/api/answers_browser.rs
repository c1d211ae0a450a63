//! In headless Chromium: a refusal opens the widget's lead form; a
//! greeting and a sourced answer do not.

use std::time::Duration;

use serde_json::json;

use crate::helpers::chromium::{Driver, host_site, poll};
use crate::helpers::trained_widget_with_lead_form;

#[tokio::test]
async fn a_refusal_opens_the_lead_form_and_a_greeting_does_not() {
    let (_app, widget) = trained_widget_with_lead_form(&["localhost"]).await;
    let port = host_site(widget.embed_snippet.clone()).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; b.click(); return true;").await;
    let send = |text: &str| {
        format!(
            "const i = root.querySelector('[part=input]'); \
             if (!i || i.disabled || i.getBoundingClientRect().width === 0) return null; \
             i.value = {text:?}; i.dispatchEvent(new Event('input', {{bubbles: true}})); \
             root.querySelector('button[part=send]').click(); return true;"
        )
    };
    let answered = |n: usize| {
        format!(
            "const a = [...root.querySelectorAll('[data-role=assistant]')]; \
             if (a.length < {n} || a[{n} - 1].dataset.state !== 'done') return null; \
             return {{text: a[{n} - 1].textContent, forms: root.querySelectorAll('form[part=lead-form]').length}};"
        )
    };

    poll(&browser, &send("hi")).await;
    let hi = poll(&browser, &answered(1)).await;
    assert!(
        hi["text"]
            .as_str()
            .unwrap()
            .contains("Hi! Ask me anything about this website."),
        "{hi}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let forms = poll(
        &browser,
        "return root.querySelectorAll('form[part=lead-form]').length;",
    )
    .await;
    assert_eq!(forms, json!(0), "a greeting opens no form");

    poll(&browser, &send("How much is a cappuccino?")).await;
    let priced = poll(&browser, &answered(2)).await;
    assert!(
        priced["text"].as_str().unwrap().contains("$4.20"),
        "{priced}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let forms = poll(
        &browser,
        "return root.querySelectorAll('form[part=lead-form]').length;",
    )
    .await;
    assert_eq!(forms, json!(0), "a sourced answer opens no form");

    poll(&browser, &send("What is the capital of Canada?")).await;
    let refused = poll(&browser, &answered(3)).await;
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("Leave your contact details in the form"),
        "{refused}"
    );
    let form = poll(
        &browser,
        "const f = root.querySelector('form[part=lead-form]'); \
         return f ? [...f.elements].map(e => e.name).filter(Boolean) : null;",
    )
    .await;
    assert_eq!(
        form,
        json!(["name", "email"]),
        "the refusal opened the form"
    );
    browser.close().await.unwrap();
}
