//! Errors on dashboard pages and forms come back as pages a person can
//! read (same status, the message, a way back), while the JSON API keeps
//! answering `{code,message}`.

use reqwest::{Method, Response};

use crate::helpers::pages::hidden_csrf;
use crate::helpers::{header, spawn_app_with_mail};

/// The status, the error code shown on the page, and its back link.
async fn page_error(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = response.text().await.unwrap();
    let after = |marker: &str| {
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {html}"))
            + marker.len();
        html[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (
        status,
        after("data-code=\""),
        after("class=\"button\" href=\""),
    )
}

#[tokio::test]
async fn refused_forms_bad_paths_and_unknown_methods_are_pages_on_the_dashboard() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let setup_url = app.url("/app/setup");
    let setup = client.get(&setup_url).send().await.unwrap();
    let csrf = hidden_csrf(&setup.text().await.unwrap());

    // A field the form does not have: refused by the extractor.
    let unknown = client
        .post(&setup_url)
        .header("referer", &setup_url)
        .form(&[("name", "Shop"), ("colour", "red"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        page_error(unknown).await,
        (422, "unknown_field".to_owned(), "/app/setup".to_owned())
    );

    // No CSRF token: refused before the handler.
    let forged = client
        .post(&setup_url)
        .form(&[("name", "Shop")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        page_error(forged).await,
        (403, "csrf_token_missing".to_owned(), "/app".to_owned())
    );

    // Not a form at all.
    let json = client
        .post(&setup_url)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name": "Shop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 415);
    assert_eq!(page_error(json).await.1, "unsupported_media_type");

    // A path parameter that is not a number, and an unknown page.
    let bad_path = client
        .get(app.url("/app/widgets/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(page_error(bad_path).await.1, "invalid_path");
    let missing = client
        .get(app.url("/app/widgets/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(page_error(missing).await.0, 404);
    // A dashboard address no page answers (there are no placeholder
    // sections): the 404 page, signed in or not.
    let nowhere = client.get(app.url("/app/reports")).send().await.unwrap();
    let (status, code, _) = page_error(nowhere).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));

    // A method the route does not declare: 405 with Allow, as a page.
    let delete = client
        .request(Method::DELETE, &setup_url)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&delete, "allow"), Some("GET,HEAD,POST"));
    assert_eq!(page_error(delete).await.1, "method_not_allowed");

    // A referer on another host is never offered as the way back.
    let elsewhere = client
        .post(&setup_url)
        .header("referer", "https://evil.example/app/setup")
        .form(&[("name", "Shop"), ("colour", "red"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(page_error(elsewhere).await.2, "/app");

    // The JSON API keeps answering JSON.
    let api = client
        .post(app.url("/api/widgets"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name": "Shop", "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 422);
    assert_eq!(header(&api, "content-type"), Some("application/json"));
}
