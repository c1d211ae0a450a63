use std::net::SocketAddr;

use reqwest::{Client, Response};
use serde_json::Value;
use tokio::sync::oneshot;
use witzo_server::app::{AppOptions, Application};
use witzo_server::config::Config;
use witzo_server::state::AppState;
use witzo_store::domain::{AccountId, EmailAddress};
use witzo_store::sessions::ClientMeta;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// A signed-in owner: the cookie to send and the session's CSRF token.
pub struct Owner {
    pub account: AccountId,
    pub cookie: String,
    pub csrf: String,
    pub session_hash: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, AppOptions::default()).await
}

/// Spawns the app with `configure` applied over test defaults: port 0, a
/// fresh data directory and SQLite database, a fixed secret key.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config), options: AppOptions) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(
            "test-secret-key-of-at-least-32-characters"
                .to_owned()
                .into(),
        ),
        log_level: "warn".to_owned(),
        ..Config::default()
    };
    configure(&mut config);
    config.check().unwrap();
    let app = Application::build(config, options).await.unwrap();
    let addr = app.local_addr().unwrap();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(app.run_until(async move {
        rx.await.ok();
    }));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        addr,
        client,
        state,
        shutdown: Some(tx),
        _dir: dir,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The origin browsers see for this app (its public URL's origin).
    pub fn origin(&self) -> String {
        self.state.public_origin.to_string()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_as(&self, owner: &Owner, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("cookie", &owner.cookie)
            .send()
            .await
            .unwrap()
    }

    /// Creates an account and a live session for it, as sign-in will.
    pub async fn sign_in(&self, email: &str) -> Owner {
        let store = &self.state.store;
        let email = EmailAddress::parse(email).unwrap();
        let account = match store.account_by_email(&email).await.unwrap() {
            Some(account) => account,
            None => store
                .create_account(&email, witzo_store::now())
                .await
                .unwrap(),
        };
        let (token, session) = store
            .create_session(
                account.id,
                &ClientMeta::default(),
                self.state.session_lifetime,
                witzo_store::now(),
            )
            .await
            .unwrap();
        Owner {
            account: account.id,
            cookie: format!(
                "{}={}",
                self.state
                    .cookies
                    .name(witzo_server::security::cookie::CookieKind::Session),
                token.expose()
            ),
            csrf: self.state.keys.csrf_token(&session.id_hash),
            session_hash: session.id_hash,
        }
    }

    /// `PUT /api/me/profile` as `owner`, with a valid CSRF token.
    pub async fn put_profile(&self, owner: &Owner, body: &Value) -> Response {
        self.client
            .put(self.url("/api/me/profile"))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", &owner.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Reads an error response's `code`, asserting the status first: from the
/// JSON body, or from the error page dashboard pages (`/app…`) answer.
pub async fn error_code(response: Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    if header(&response, "content-type").is_some_and(|t| t.starts_with("text/html")) {
        let page = response.text().await.unwrap();
        let marker = "role=\"alert\" class=\"error\" data-code=\"";
        let start = page.find(marker).expect("an error page") + marker.len();
        return page[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].is_string(), "error without message: {body}");
    body["code"].as_str().unwrap().to_owned()
}

pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

pub fn valid_profile() -> Value {
    serde_json::json!({"name": "Ada", "company": "Engines", "website": "https://example.com", "country": "GB"})
}

/// Raises every public rate limit out of the way (tests sending many chats).
pub fn unlimited_rates(c: &mut Config) {
    c.limits.visitor_per_minute = 100_000;
    c.limits.visitor_burst = 100_000;
    c.limits.widget_per_minute = 100_000;
    c.limits.widget_burst = 100_000;
    c.limits.public_per_ip_per_minute = 100_000;
    c.limits.public_per_ip_burst = 100_000;
}

/// An app whose codes go out through a real SMTP server.
pub async fn spawn_app_with_mail(
    configure: impl FnOnce(&mut Config),
) -> (TestApp, crate::mailbox::Mailbox) {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let url = mailbox.url();
    let app = spawn_app_with(
        move |c| {
            c.smtp.url = Some(url.into());
            configure(c);
        },
        AppOptions::default(),
    )
    .await;
    (app, mailbox)
}

/// A browser-like client: keeps cookies, follows no redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// A CSRF token for `client` (bound to its session or pre-session cookie).
    pub async fn csrf(&self, client: &Client) -> String {
        let body: Value = client
            .get(self.url("/api/auth/csrf"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["csrf_token"].as_str().unwrap().to_owned()
    }

    /// `POST path` with a JSON body and the client's CSRF token.
    pub async fn post_json(&self, client: &Client, path: &str, body: &Value) -> Response {
        let csrf = self.csrf(client).await;
        client
            .post(self.url(path))
            .header("x-csrf-token", csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn request_code(&self, client: &Client, email: &str) -> Response {
        self.post_json(
            client,
            "/api/auth/email-code",
            &serde_json::json!({ "email": email }),
        )
        .await
    }

    pub async fn verify_code(&self, client: &Client, email: &str, code: &str) -> Response {
        self.post_json(
            client,
            "/api/auth/email-code/verify",
            &serde_json::json!({ "email": email, "code": code }),
        )
        .await
    }

    /// Signs `client` in through the real code flow, reading the code from the mailbox.
    pub async fn sign_in_by_email(
        &self,
        client: &Client,
        mailbox: &crate::mailbox::Mailbox,
        email: &str,
    ) {
        let before = mailbox.messages().len();
        assert_eq!(
            self.request_code(client, email).await.status().as_u16(),
            202
        );
        let code = crate::mailbox::code_in(&mailbox.wait_for_count(before + 1).await);
        assert_eq!(
            self.verify_code(client, email, &code)
                .await
                .status()
                .as_u16(),
            200
        );
    }
}

impl TestApp {
    /// `method path` as `owner` with a JSON body and their CSRF token.
    pub async fn send_as(
        &self,
        owner: &Owner,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", &owner.csrf);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// Creates a widget for `owner` through the API; returns its view.
    pub async fn create_widget(&self, owner: &Owner, domains: &[&str]) -> Value {
        let body = serde_json::json!({ "name": "Shop chat", "allowed_domains": domains });
        let response = self
            .send_as(owner, reqwest::Method::POST, "/api/widgets", Some(&body))
            .await;
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.unwrap()
    }

    /// A public API call from a page at `origin` (none: no `Origin` header).
    pub async fn public(
        &self,
        method: reqwest::Method,
        path: &str,
        origin: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }
}

pub fn visitor() -> String {
    witzo_store::domain::random_public_id("v_")
}
