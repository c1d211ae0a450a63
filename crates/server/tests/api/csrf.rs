use serde_json::Value;

use crate::helpers::{error_code, spawn_app, valid_profile};

#[tokio::test]
async fn a_mutating_request_without_a_token_is_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let response = app
        .client
        .put(app.url("/api/me/profile"))
        .header("cookie", &owner.cookie)
        .json(&valid_profile())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 403).await, "csrf_token_missing");
    let account = app.state.store.account_by_id(owner.account).await.unwrap();
    assert_eq!(account.name, "", "nothing was written");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let mut forged = owner.csrf.clone();
    forged.replace_range(0..1, if forged.starts_with('0') { "1" } else { "0" });
    for token in [forged.as_str(), "nonsense", &owner.session_hash] {
        let response = app
            .client
            .put(app.url("/api/me/profile"))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", token)
            .json(&valid_profile())
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(response, 403).await,
            "csrf_token_invalid",
            "{token}"
        );
    }
}

#[tokio::test]
async fn another_sessions_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_in("ada@example.com").await;
    let ada_elsewhere = app.sign_in("ada@example.com").await;
    let bob = app.sign_in("bob@example.com").await;
    for stolen in [&ada_elsewhere.csrf, &bob.csrf] {
        let response = app
            .client
            .put(app.url("/api/me/profile"))
            .header("cookie", &ada.cookie)
            .header("x-csrf-token", stolen)
            .json(&valid_profile())
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(response, 403).await, "csrf_token_invalid");
    }
}

#[tokio::test]
async fn a_token_without_a_session_is_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let response = app
        .client
        .put(app.url("/api/me/profile"))
        .header("x-csrf-token", &owner.csrf)
        .json(&valid_profile())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 403).await, "csrf_token_invalid");
}

#[tokio::test]
async fn requests_from_another_site_are_refused_even_with_a_valid_token() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let cases = [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ];
    for (name, value) in cases {
        let response = app
            .client
            .put(app.url("/api/me/profile"))
            .header("cookie", &owner.cookie)
            .header("x-csrf-token", &owner.csrf)
            .header(name, value)
            .json(&valid_profile())
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(response, 403).await,
            "cross_site_request",
            "{name}: {value}"
        );
    }
}

#[tokio::test]
async fn a_valid_token_from_the_same_origin_succeeds() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let response = app
        .client
        .put(app.url("/api/me/profile"))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .header("origin", app.origin())
        .header("sec-fetch-site", "same-origin")
        .json(&valid_profile())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Ada");
}

#[tokio::test]
async fn a_form_post_carries_its_token_in_the_csrf_token_field() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let post = |token: String| {
        app.client
            .post(app.url("/api/me/sign-out"))
            .header("cookie", &owner.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("other=1&csrf_token={token}"))
            .send()
    };
    let refused = post("0".repeat(64)).await.unwrap();
    assert_eq!(error_code(refused, 403).await, "csrf_token_invalid");
    let accepted = post(owner.csrf.clone()).await.unwrap();
    assert_eq!(accepted.status().as_u16(), 204);
}

/// Walks every state-changing dashboard route in the OpenAPI document (the
/// inventory the router is built from) and proves each one refuses a request
/// without a CSRF token and a cross-site one, before its handler runs.
#[tokio::test]
async fn every_mutating_dashboard_route_is_csrf_protected() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut checked = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        // The widget's API (Origin-checked) and the owner API (bearer keys,
        // no cookies) have no ambient credentials to forge.
        if path.starts_with("/v1") || path.starts_with("/api/v1/") {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            if !matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                continue;
            }
            let concrete = path.replace(['{', '}'], "");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let request = || {
                app.client
                    .request(method.clone(), app.url(&concrete))
                    .header("cookie", &owner.cookie)
                    .header("content-type", "application/json")
                    .body("{}")
            };
            let missing = request().send().await.unwrap();
            assert_eq!(
                error_code(missing, 403).await,
                "csrf_token_missing",
                "{method} {path}"
            );
            let cross = request()
                .header("x-csrf-token", &owner.csrf)
                .header("sec-fetch-site", "cross-site")
                .send()
                .await
                .unwrap();
            assert_eq!(
                error_code(cross, 403).await,
                "cross_site_request",
                "{method} {path}"
            );
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked.contains(&"PUT /api/me/profile".to_owned()),
        "{checked:?}"
    );
    assert!(
        checked.contains(&"POST /api/me/sign-out".to_owned()),
        "{checked:?}"
    );
    // None of those requests ended the session.
    assert_eq!(app.get_as(&owner, "/api/me").await.status().as_u16(), 200);
}
