//! The dashboard in a real browser: headless Chromium driven through
//! ChromeDriver (WebDriver) with `fantoccini`.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::helpers::chromium::{Driver, wait_for_text};
use crate::helpers::spawn_app_with_mail;

async fn fill(browser: &Client, css: &str, value: &str) {
    let field = browser.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn submit(browser: &Client, form_css: &str) {
    let button = browser
        .find(Locator::Css(&format!("{form_css} button[type=submit]")))
        .await
        .unwrap();
    button.click().await.unwrap();
}

#[tokio::test]
async fn an_owner_signs_in_with_an_emailed_code_edits_the_profile_and_signs_out_in_chromium() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    browser.goto(&app.url("/app")).await.unwrap();
    wait_for_text(&browser, "Sign in to Witzo").await;
    fill(&browser, "#email", "ada@example.com").await;
    submit(&browser, "form[action='/app/sign-in']").await;
    wait_for_text(&browser, "Check your e-mail").await;

    let code = mailbox.code("ada@example.com", 1).await;
    fill(&browser, "#code", &code).await;
    submit(&browser, "form[action='/app/sign-in/verify']").await;
    wait_for_text(&browser, "Welcome to Witzo").await;
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/app/setup",
        "first sign-in: the setup"
    );
    // The page's script ran under the CSP (it is our own, external file).
    let script_ran = browser
        .execute("return document.scripts.length === 1 && !!document.querySelector('meta[name=csrf-token]').content", vec![])
        .await
        .unwrap();
    assert_eq!(script_ran, json!(true));

    browser.goto(&app.url("/app/account")).await.unwrap();
    wait_for_text(&browser, "Security log").await;
    fill(&browser, "#name", "Ada Lovelace").await;
    fill(&browser, "#country", "GB").await;
    submit(&browser, "form[action='/app/account/profile']").await;
    wait_for_text(&browser, "Your profile is saved.").await;
    // Kept for people to look at (phone width): target/tmp/account-390px.png.
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("account-390px.png"),
        png,
    )
    .unwrap();
    let account = app.state.store.list_accounts().await.unwrap().remove(0);
    assert_eq!(
        (account.name.as_str(), account.country.as_str()),
        ("Ada Lovelace", "GB")
    );

    submit(&browser, "form[action='/app/sign-out']").await;
    wait_for_text(&browser, "You are signed out.").await;
    browser.goto(&app.url("/app/account")).await.unwrap();
    wait_for_text(&browser, "Sign in to Witzo").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/app/sign-in");
    browser.close().await.unwrap();
}
