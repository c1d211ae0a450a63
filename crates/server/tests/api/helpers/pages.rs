//! The dashboard's HTML pages, driven as a browser without JavaScript
//! would: hidden CSRF fields and form posts.

use reqwest::Response;

use super::{Owner, TestApp};

/// The value of the first hidden `csrf_token` input of a page.
pub fn hidden_csrf(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let at = html.find(marker).expect("a csrf_token field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    /// `POST path` as `owner` with a form body (the CSRF token added).
    pub async fn post_form(&self, owner: &Owner, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &owner.csrf));
        self.client
            .post(self.url(path))
            .header("cookie", &owner.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// The HTML of the page at `path` as `owner`.
    pub async fn page_as(&self, owner: &Owner, path: &str) -> String {
        self.get_as(owner, path).await.text().await.unwrap()
    }
}
