//! The widget's public API (`/v1`) as the embedded script calls it: one
//! builder per endpoint, sent from a page's origin, e.g.
//! `app.chat(&widget, "hi").from(SHOP).reply().await`.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::views::{ChatReply, Widget};
use super::{TestApp, error_code, header};

/// The shop's pages, where the test widgets are allowed.
pub const SHOP: &str = "https://shop.example.com";

/// A fresh visitor id, as the widget makes one per browser.
pub fn visitor() -> String {
    witzo_store::domain::random_public_id("v_")
}

/// What names a widget on the public API: its view, or a key as it is.
pub trait Keyed {
    fn public_key(&self) -> &str;
}

impl Keyed for Widget {
    fn public_key(&self) -> &str {
        &self.key
    }
}

impl Keyed for str {
    fn public_key(&self) -> &str {
        self
    }
}

impl Keyed for String {
    fn public_key(&self) -> &str {
        self
    }
}

/// One public call, sent without an `Origin` until [`PublicCall::from`].
#[must_use]
pub struct PublicCall<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    origin: Option<String>,
    body: Option<Value>,
    stream: bool,
    language: Option<String>,
}

impl TestApp {
    fn public_call(&self, method: Method, path: String, body: Option<Value>) -> PublicCall<'_> {
        PublicCall {
            app: self,
            method,
            path,
            origin: None,
            language: None,
            body,
            stream: false,
        }
    }

    /// `POST /v1/chat`: a new visitor's `message`.
    pub fn chat(&self, widget: &(impl Keyed + ?Sized), message: &str) -> PublicCall<'_> {
        let body = json!({"visitor_id": visitor(), "message": message});
        let path = format!("/v1/chat?key={}", widget.public_key());
        self.public_call(Method::POST, path, Some(body))
    }

    /// `POST /v1/chat` with `body` as it is (to see it refused).
    pub fn chat_with(&self, widget: &(impl Keyed + ?Sized), body: Value) -> PublicCall<'_> {
        let path = format!("/v1/chat?key={}", widget.public_key());
        self.public_call(Method::POST, path, Some(body))
    }

    /// `POST /v1/feedback` with `body`.
    pub fn feedback(&self, widget: &(impl Keyed + ?Sized), body: Value) -> PublicCall<'_> {
        let path = format!("/v1/feedback?key={}", widget.public_key());
        self.public_call(Method::POST, path, Some(body))
    }

    /// `POST /v1/contact` (the lead form) with `body`.
    pub fn contact(&self, widget: &(impl Keyed + ?Sized), body: Value) -> PublicCall<'_> {
        let path = format!("/v1/contact?key={}", widget.public_key());
        self.public_call(Method::POST, path, Some(body))
    }

    /// `POST /v1/events` with `body`.
    pub fn event(&self, widget: &(impl Keyed + ?Sized), body: Value) -> PublicCall<'_> {
        let path = format!("/v1/events?key={}", widget.public_key());
        self.public_call(Method::POST, path, Some(body))
    }

    /// `GET /v1/widgets/{key}/config`.
    pub fn config(&self, widget: &(impl Keyed + ?Sized)) -> PublicCall<'_> {
        let path = format!("/v1/widgets/{}/config", widget.public_key());
        self.public_call(Method::GET, path, None)
    }
}

impl PublicCall<'_> {
    /// Sent from a page at `origin`.
    pub fn from(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_owned());
        self
    }

    /// As the visitor `id` (instead of a new one).
    pub fn visitor(self, id: &str) -> Self {
        self.with("visitor_id", id)
    }

    /// Continuing the conversation `id`.
    pub fn conversation(self, id: &str) -> Self {
        self.with("conversation_id", id)
    }

    /// From the page at `url` (stored with the conversation).
    pub fn page_url(self, url: &str) -> Self {
        self.with("page_url", url)
    }

    /// Sets one field of the JSON body.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.body.get_or_insert_with(|| json!({}))[field] = value.into();
        self
    }

    /// With the dashboard's signed preview token.
    pub fn preview(mut self, token: &str) -> Self {
        let separator = if self.path.contains('?') { '&' } else { '?' };
        self.path = format!("{}{separator}preview={token}", self.path);
        self
    }

    /// From a browser asking for `languages` (`Accept-Language`).
    pub fn languages(mut self, languages: &str) -> Self {
        self.language = Some(languages.to_owned());
        self
    }

    /// Asking for server-sent events (`Accept: text/event-stream`).
    pub fn streamed(mut self) -> Self {
        self.stream = true;
        self
    }

    pub async fn send(self) -> Response {
        let mut request = self
            .app
            .client
            .request(self.method, self.app.url(&self.path));
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        if self.stream {
            request = request.header("accept", "text/event-stream");
        }
        if let Some(languages) = &self.language {
            request = request.header("accept-language", languages);
        }
        if let Some(body) = &self.body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// Sends the chat and reads the answer, asserting `200`.
    pub async fn reply(self) -> ChatReply {
        let response = self.send().await;
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.unwrap()
    }

    /// Sends the call and reads any JSON answer, asserting `200`.
    pub async fn json(self) -> Value {
        let response = self.send().await;
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.unwrap()
    }

    /// Sends the call and returns only the status.
    pub async fn status(self) -> u16 {
        self.send().await.status().as_u16()
    }
}

/// Asserts a refused public call: status, code, and that the page may read it.
pub async fn refused(response: Response, status: u16, code: &str, origin: Option<&str>) {
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        origin,
        "{code}"
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    assert!(header(&response, "vary").unwrap().contains("Origin"));
    assert_eq!(error_code(response, status).await, code);
}
