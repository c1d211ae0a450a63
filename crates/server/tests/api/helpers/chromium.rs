//! A real browser for tests: headless Chromium driven through ChromeDriver
//! (WebDriver) with `fantoccini`, and a host page on another origin that
//! embeds the widget.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

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
        self.session("default", None).await
    }

    /// A second session shown as a phone 390 px wide (Chromium's windows
    /// are at least 500 px wide, so the device is emulated).
    pub async fn phone(&self) -> Client {
        let metrics = json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1.0, "mobile": true, "touch": true}});
        self.session("phone", Some(metrics)).await
    }

    async fn session(&self, profile: &str, mobile: Option<Value>) -> Client {
        let profile = self._profile.path().join(profile).display().to_string();
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
        if let (Some(mobile), Some(Value::Object(options))) =
            (mobile, capabilities.get_mut("goog:chromeOptions"))
        {
            options.insert("mobileEmulation".to_owned(), mobile);
        }
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

const HOSTILE_CSS: &str = "div, button, span, input, p, ul, li, a, form, textarea { display: none !important; font-size: 80px !important } \
    body { font: 40px serif; color: red; line-height: 5 } * { box-sizing: content-box }";

/// Serves a host page that embeds the widget with `snippet`; returns its port.
pub async fn host_site(snippet: String) -> u16 {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Shop</title><style>{HOSTILE_CSS}</style></head>\
         <body><h1>Our shop</h1><div>Products</div>{snippet}</body></html>"
    );
    let app = Router::new().route(
        "/",
        get(move || {
            let page = page.clone();
            async move { Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    port
}

/// Runs `body` (JavaScript, with `root` bound to the widget's shadow root)
/// until it returns something other than null, or fails after 15 s.
pub async fn poll(browser: &Client, body: &str) -> Value {
    let script = format!(
        "const host = document.querySelector('witzo-chat'); const root = host && host.shadowRoot; \
         if (!root) return null; {body}"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = browser.execute(&script, vec![]).await.unwrap();
        if !value.is_null() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
