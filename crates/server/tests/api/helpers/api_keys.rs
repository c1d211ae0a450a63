//! Owner API keys in tests: creating one, calling `/api/v1` with it, and an
//! owner whose plan includes keys.

use reqwest::{Method, Response};
use serde_json::Value;

use super::{Owner, TestApp};

impl TestApp {
    /// Creates a key for `owner` (their plan must include keys): (id, key).
    pub async fn create_key(&self, owner: &Owner, body: Value) -> (i64, String) {
        let response = self
            .send_as(owner, Method::POST, "/api/api-keys", Some(&body))
            .await;
        assert_eq!(response.status().as_u16(), 201);
        let created: Value = response.json().await.unwrap();
        (
            created["id"].as_i64().unwrap(),
            created["key"].as_str().unwrap().to_owned(),
        )
    }

    /// A request to the owner API with `key`.
    pub async fn v1(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }
}

/// A signed-in owner on the enterprise plan (which includes API keys).
pub async fn enterprise_owner(app: &TestApp, email: &str) -> Owner {
    let owner = app.sign_in(email).await;
    app.set_plan(&owner, "enterprise").await;
    owner
}
