//! The Analytics and Conversations pages in headless Chromium at phone
//! width (390 px): SVG charts with their titles and the per-day table, the
//! inbox filters, and a transcript's sources.

use fantoccini::{Client, Locator};
use serde_json::json;
use witzo_server::app::AppOptions;

use crate::helpers::chromium::{Driver, wait_for_text};
use crate::helpers::dashboard::signed_in;
use crate::helpers::{SHOP, spawn_app_with, unlimited_rates, visitor};

async fn js(browser: &Client, script: &str) -> serde_json::Value {
    browser.execute(script, vec![]).await.unwrap()
}

#[tokio::test]
async fn analytics_charts_and_the_inbox_filters_work_at_phone_width() {
    let app = spawn_app_with(unlimited_rates, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let added = app
        .add_pair(&ada, widget.id, "Do you deliver?", "Yes, within 10 km.")
        .await;
    assert_eq!(added.status().as_u16(), 201);
    for kind in ["widget_loaded", "widget_loaded", "opened"] {
        let status = app
            .event(&widget, json!({"visitor_id": visitor(), "kind": kind}))
            .from(SHOP)
            .status()
            .await;
        assert_eq!(status, 204);
    }
    let answered = app
        .chat(&widget, "Do you deliver?")
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(answered.sources.len(), 1);
    let v = visitor();
    let refused = app
        .chat(&widget, "Do you sell gift cards?")
        .visitor(&v)
        .from(SHOP)
        .reply()
        .await;
    let rated = app
        .feedback(
            &widget,
            json!({"visitor_id": v, "message_id": refused.message_id, "rating": "down"}),
        )
        .from(SHOP)
        .status()
        .await;
    assert_eq!(rated, 204);

    let driver = Driver::start().await;
    let browser = driver.browser().await;
    signed_in(&browser, &app, &ada).await;

    browser
        .goto(&app.url("/app/analytics?range=30"))
        .await
        .unwrap();
    wait_for_text(&browser, "The same figures, day by day").await;
    let titles = js(&browser, "return [...document.querySelectorAll('figure.chart svg > title')].map(t => t.textContent);").await;
    assert_eq!(titles.as_array().map(Vec::len), Some(4), "{titles}");
    let bars = js(
        &browser,
        "return document.querySelectorAll('figure.chart svg rect.bar').length;",
    )
    .await;
    assert_eq!(bars, json!(30 * 3 + 24));
    let rows = js(
        &browser,
        "return document.querySelectorAll('table.per-day tbody tr').length;",
    )
    .await;
    assert_eq!(rows, json!(30));
    let loads = js(
        &browser,
        "return document.querySelector('[data-figure=loads]').textContent;",
    )
    .await;
    assert_eq!(loads, json!("2"));
    // Nothing wider than the window (Chromium's narrowest, 390 px asked):
    // the per-day table scrolls inside its box.
    let width = js(&browser, "return [document.documentElement.scrollWidth, window.innerWidth, document.querySelector('figure.chart svg').getBoundingClientRect().width];").await;
    let (page, window, chart) = (
        width[0].as_f64().unwrap_or(0.0),
        width[1].as_f64().unwrap_or(0.0),
        width[2].as_f64().unwrap_or(0.0),
    );
    assert!(
        page <= window && window <= 500.0 && chart > 200.0,
        "{width}"
    );
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("analytics-390px.png"),
        png,
    )
    .unwrap();

    // The inbox: both conversations, then only the rated-down one.
    browser.goto(&app.url("/app/conversations")).await.unwrap();
    wait_for_text(&browser, "2 conversation(s) match").await;
    browser
        .find(Locator::Css("input[name=rated_down]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "1 conversation(s) match").await;
    let listed = js(&browser, "return [...document.querySelectorAll('tr[data-conversation]')].map(r => r.dataset.conversation);").await;
    assert_eq!(listed, json!([refused.conversation_id]));
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("inbox-390px.png"),
        png,
    )
    .unwrap();

    // The answered conversation's transcript lists its source.
    browser
        .goto(&app.url(&format!("/app/conversations/{}", answered.conversation_id)))
        .await
        .unwrap();
    wait_for_text(&browser, "Yes, within 10 km.").await;
    let sources = js(
        &browser,
        "return [...document.querySelectorAll('ol.sources li')].map(l => l.textContent.trim());",
    )
    .await;
    assert_eq!(sources, json!(["Answer from Shop chat"]));
}
