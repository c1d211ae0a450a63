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

/// Reads an error response's `code`, asserting the status first.
pub async fn error_code(response: Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
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
