//! What the tests share, so that no test module imports another: the app on
//! port 0 ([`TestApp`]) with one method per endpoint family, typed views of
//! its JSON answers, and the local doubles it runs against (websites, an
//! SMTP server, Stripe, a browser).
//!
//! - [`public`]: the widget's public API as a builder,
//!   `app.chat(&widget, "hi").from(SHOP).reply()`.
//! - [`owner`]: the owner's JSON API (widgets, conversations, Q&A, leads).
//! - [`training`]: sources, documents and jobs, with [`TestApp::drain_jobs`].
//! - [`auth`]: sign-in through the real code flow.
//! - [`views`]: typed responses (widget, source, job, chat reply, error).
//! - [`site`], [`mailbox`], [`billing`], [`chromium`]: the doubles.
//! - [`dashboard`]: dashboard pages in Chromium, and their layout check.
//! - [`served`]: the real `witzo serve` as a child process, its log read.

pub mod api_keys;
pub mod auth;
pub mod billing;
pub mod chromium;
pub mod dashboard;
pub mod mailbox;
pub mod owner;
pub mod pages;
pub mod public;
pub mod served;
pub mod site;
pub mod training;
pub mod views;
pub mod webhooks;

use std::net::SocketAddr;

use reqwest::{Client, Response};
use serde_json::Value;
use tokio::sync::oneshot;
use witzo_app::config::Config;
use witzo_server::app::{AppOptions, Application};
use witzo_server::state::AppState;
use witzo_store::domain::{AccountId, EmailAddress};
use witzo_store::sessions::ClientMeta;

/// How long the test clients keep an idle connection: less than the
/// server's 10 s header-read timeout, which closes idle keep-alive
/// connections, so a request never races that close (a loaded machine
/// saw `IncompleteMessage` on a reused connection).
pub const CLIENT_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

pub use auth::{browser, spawn_app_with_mail};
pub use public::{SHOP, refused, visitor};
pub use site::{Site, shop, start_site};
pub use views::{ErrorBody, Widget};

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
        .pool_idle_timeout(CLIENT_IDLE)
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

/// An app, Ada signed in, and her widget allowed on `domains`.
pub async fn app_with_widget(domains: &[&str]) -> (TestApp, Owner, Widget) {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, domains).await;
    (app, owner, widget)
}

/// No background worker: jobs stay queued until the test runs them with
/// [`TestApp::drain_jobs`].
pub fn no_workers(c: &mut Config) {
    c.jobs.workers = 0;
}

/// An app that may crawl the local site at `addr`, without a background
/// worker (the test drains the jobs).
pub async fn app_crawling(addr: SocketAddr) -> TestApp {
    spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await
}

/// The coffee shop's website (see [`site::coffee_shop`]) trained into a
/// widget of Maria's allowed on `domains`.
pub struct TrainedShop {
    pub app: TestApp,
    pub owner: Owner,
    pub widget: Widget,
    /// The site's origin, `http://127.0.0.1:port`.
    pub origin: String,
}

pub async fn trained_coffee_shop(domains: &[&str]) -> TrainedShop {
    let addr = start_site(site::coffee_shop()).await;
    let app = app_crawling(addr).await;
    let owner = app.sign_in("maria@example.com").await;
    let widget = app.create_widget(&owner, domains).await;
    let origin = format!("http://{addr}");
    let (_, job) = app.add_site(&owner, widget.id, &format!("{origin}/")).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, job).await.status, "succeeded");
    TrainedShop {
        app,
        owner,
        widget,
        origin,
    }
}

/// The trained coffee shop with the widget's lead form on.
pub async fn trained_widget_with_lead_form(domains: &[&str]) -> (TestApp, Widget) {
    let TrainedShop {
        app, owner, widget, ..
    } = trained_coffee_shop(domains).await;
    let settings = serde_json::json!({"name": "Shop chat", "allowed_domains": domains,
        "settings": {"lead_form": {"enabled": true, "fields": ["name", "email"], "after_messages": 5}}});
    let updated = app.update_widget(&owner, widget.id, &settings).await;
    assert_eq!(updated.status().as_u16(), 200);
    (app, widget)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
    }
}

impl TestApp {
    /// The instance's data directory (its SQLite database and secrets).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

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

    /// `GET path` as `owner`, asserting 200, read as `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, owner: &Owner, path: &str) -> T {
        let response = self.get_as(owner, path).await;
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.unwrap()
    }

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

    /// A multipart `POST path` as `owner`, with their CSRF token.
    pub async fn post_multipart(
        &self,
        owner: &Owner,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", &owner.csrf)
            .multipart(form)
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
                    .name(witzo_server::cookies::CookieKind::Session),
                token.expose()
            ),
            csrf: self.state.keys.csrf_token(&session.id_hash),
            session_hash: session.id_hash,
        }
    }

    /// Puts `owner`'s account on `plan` (as the operator would).
    pub async fn set_plan(&self, owner: &Owner, plan: &str) {
        self.state
            .store
            .set_plan(owner.account, plan, witzo_store::now())
            .await
            .unwrap();
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
    error(response, status).await.code
}

/// Reads a JSON error body, asserting the status first.
pub async fn error(response: Response, status: u16) -> ErrorBody {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    response.json().await.unwrap()
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
    c.limits.api_key_per_minute = 100_000;
    c.limits.api_key_burst = 100_000;
}

/// An address a separate process (a `witzo` binary, the SMTP or OpenID
/// peer) can listen on: a free port on a random address of 127.0.0.0/8
/// other than 127.0.0.1. The port is free when chosen but not held, so
/// another test could take it before the process binds; on its own
/// address of the 16 million, no other test will.
pub fn free_address() -> SocketAddr {
    let [a, b, c]: [u8; 3] = rand::random();
    let ip = std::net::Ipv4Addr::new(127, a.max(1), b, c.clamp(2, 254));
    std::net::TcpListener::bind((ip, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}
