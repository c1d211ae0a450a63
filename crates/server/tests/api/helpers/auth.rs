//! Signing in as a browser does: CSRF tokens, e-mailed codes read from a
//! real SMTP server, and the owner's profile.

use reqwest::{Client, Response};
use serde_json::Value;
use witzo_app::config::Config;
use witzo_server::app::AppOptions;

use super::mailbox::{Mailbox, code_in};
use super::{Owner, TestApp, spawn_app_with};

/// An app whose codes go out through a real SMTP server.
pub async fn spawn_app_with_mail(configure: impl FnOnce(&mut Config)) -> (TestApp, Mailbox) {
    let mailbox = Mailbox::start().await;
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
        .pool_idle_timeout(super::CLIENT_IDLE)
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
    pub async fn sign_in_by_email(&self, client: &Client, mailbox: &Mailbox, email: &str) {
        let before = mailbox.messages().len();
        assert_eq!(
            self.request_code(client, email).await.status().as_u16(),
            202
        );
        let code = code_in(&mailbox.wait_for_count(before + 1).await);
        assert_eq!(
            self.verify_code(client, email, &code)
                .await
                .status()
                .as_u16(),
            200
        );
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
