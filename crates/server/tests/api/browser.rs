//! The dashboard in a real browser: headless Chromium driven through
//! ChromeDriver (WebDriver) with `fantoccini`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::spawn_app_with_mail;

pub struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Driver {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            port,
            _profile: tempfile::tempdir().unwrap(),
        }
    }

    pub async fn browser(&self) -> Client {
        let profile = self._profile.path().display().to_string();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=390,844",
                    format!("--user-data-dir={profile}"),
                ]
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

pub async fn wait_for_text(browser: &Client, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if browser.source().await.unwrap().contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "page never showed {text:?}: {}",
            browser.source().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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
