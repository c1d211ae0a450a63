//! The owner's JSON API, one method per call: widgets, their conversations,
//! Q&A pairs and leads. Each takes the signed-in [`Owner`].

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::views::{Conversation, EmbedOrigin, Lead, LeadPage, Transcript, Widget};
use witzo_server::app::AppOptions;

use super::{Owner, TestApp, spawn_app_with, unlimited_rates};

impl TestApp {
    /// Creates a widget for `owner` through the API; returns its view.
    pub async fn create_widget(&self, owner: &Owner, domains: &[&str]) -> Widget {
        let body = json!({ "name": "Shop chat", "allowed_domains": domains });
        let response = self
            .send_as(owner, Method::POST, "/api/widgets", Some(&body))
            .await;
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.unwrap()
    }

    /// `GET /api/widgets/{id}`.
    pub async fn widget(&self, owner: &Owner, id: i64) -> Widget {
        self.get_json(owner, &format!("/api/widgets/{id}")).await
    }

    /// `PUT /api/widgets/{id}` with `body` (name, domains, settings…).
    pub async fn update_widget(&self, owner: &Owner, id: i64, body: &Value) -> Response {
        let path = format!("/api/widgets/{id}");
        self.send_as(owner, Method::PUT, &path, Some(body)).await
    }

    /// `POST /api/widgets/{id}/regenerate-key`; returns the renewed view.
    pub async fn regenerate_key(&self, owner: &Owner, id: i64) -> Widget {
        let path = format!("/api/widgets/{id}/regenerate-key");
        let response = self.send_as(owner, Method::POST, &path, None).await;
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.unwrap()
    }

    /// Where the widget was embedded and whether it was allowed there.
    pub async fn embed_health(&self, owner: &Owner, widget: i64) -> Vec<EmbedOrigin> {
        self.get_json(owner, &format!("/api/widgets/{widget}/embed-health"))
            .await
    }

    /// The widget's conversations, newest first.
    pub async fn conversations(&self, owner: &Owner, widget: i64) -> Vec<Conversation> {
        self.get_json(owner, &format!("/api/widgets/{widget}/conversations"))
            .await
    }

    /// One conversation with its messages.
    pub async fn transcript(&self, owner: &Owner, conversation: &str) -> Transcript {
        self.get_json(owner, &format!("/api/conversations/{conversation}"))
            .await
    }

    /// `POST /api/widgets/{widget}/qa`: a question and the owner's answer.
    pub async fn add_pair(
        &self,
        owner: &Owner,
        widget: i64,
        question: &str,
        answer: &str,
    ) -> Response {
        let body = json!({"question": question, "answer": answer});
        let path = format!("/api/widgets/{widget}/qa");
        self.send_as(owner, Method::POST, &path, Some(&body)).await
    }

    /// The widget's Q&A pairs, exactly as listed.
    pub async fn pairs(&self, owner: &Owner, widget: i64) -> Vec<Value> {
        self.get_json(owner, &format!("/api/widgets/{widget}/qa"))
            .await
    }

    /// `POST /api/widgets/{widget}/qa/import` with `file` as `qa.csv`.
    pub async fn import_qa(
        &self,
        owner: &Owner,
        widget: i64,
        file: Vec<u8>,
        replace: bool,
    ) -> Response {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(file).file_name("qa.csv"),
        );
        if replace {
            form = form.text("replace", "true");
        }
        let path = format!("/api/widgets/{widget}/qa/import");
        self.post_multipart(owner, &path, form).await
    }

    /// The owner's leads, newest first (the first page of 50).
    pub async fn leads(&self, owner: &Owner) -> Vec<Lead> {
        self.lead_page(owner, "").await.leads
    }

    /// `GET /api/leads?{query}`.
    pub async fn lead_page(&self, owner: &Owner, query: &str) -> LeadPage {
        self.get_json(owner, &format!("/api/leads?{query}")).await
    }

    /// `GET /api/billing`: the plan, its meters and what is for sale.
    pub async fn billing(&self, owner: &Owner) -> Value {
        self.get_json(owner, "/api/billing").await
    }
}

/// An app (on `database`, or SQLite) with rate limits lifted and two
/// owners, Ada and Bob, each with one widget for `shop.example.com`:
/// (app, ada, ada's widget, bob, bob's widget).
pub async fn app_with_owners_on(database: Option<String>) -> (TestApp, Owner, i64, Owner, i64) {
    let configure = move |c: &mut witzo_app::config::Config| {
        unlimited_rates(c);
        if let Some(url) = database {
            c.database_url = Some(url.into());
        }
    };
    let app = spawn_app_with(configure, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let ada_widget = app.create_widget(&ada, &["shop.example.com"]).await.id;
    let bob = app.sign_in("bob@example.com").await;
    let bob_widget = app.create_widget(&bob, &["shop.example.com"]).await.id;
    (app, ada, ada_widget, bob, bob_widget)
}
