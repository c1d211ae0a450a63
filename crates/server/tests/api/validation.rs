use serde_json::{Value, json};
use witzo_server::owner::PROFILE_TEXT;
use witzo_store::domain::CleanText;

use crate::helpers::{error_code, spawn_app, valid_profile};

async fn put_raw(
    app: &crate::helpers::TestApp,
    owner: &crate::helpers::Owner,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .put(app.url("/api/me/profile"))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn error_body(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn malformed_json_is_invalid_json() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    for body in [
        "{",
        "",
        "not json",
        r#"{"name": "a",}"#,
        r#"{"name":"a","company":"","website":"","country":""} trailing"#,
    ] {
        let response = put_raw(&app, &owner, "application/json", body.into()).await;
        assert_eq!(error_code(response, 400).await, "invalid_json", "{body:?}");
    }
}

#[tokio::test]
async fn wrong_types_unknown_and_missing_fields_are_named() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let cases = [
        (
            json!({"name": 5, "company": "", "website": "", "country": ""}),
            "invalid_type",
            "name",
        ),
        (json!(["a"]), "invalid_type", ""),
        (json!("a"), "invalid_type", ""),
        (
            json!({"name": "a", "company": "", "website": "", "country": "", "is_admin": true}),
            "unknown_field",
            "is_admin",
        ),
        (
            json!({"name": "a", "company": "", "website": ""}),
            "missing_field",
            "country",
        ),
    ];
    for (body, code, field) in cases {
        let response = app.put_profile(&owner, &body).await;
        let error = error_body(response, 422).await;
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["field"].as_str().unwrap_or_default(), field, "{body}");
    }
}

#[tokio::test]
async fn invalid_values_are_refused_per_field_and_nothing_stored_is_lost() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    assert_eq!(
        app.put_profile(&owner, &valid_profile())
            .await
            .status()
            .as_u16(),
        200
    );
    let long = "x".repeat(101);
    let cases = [
        ("name", json!(long)),
        ("company", json!(long)),
        ("website", json!("javascript:alert(1)")),
        ("website", json!("https://user:pw@example.com")),
        ("country", json!("XX")),
    ];
    for (field, value) in cases {
        let mut body = valid_profile();
        body[field] = value;
        body["name"] = if field == "name" {
            body["name"].clone()
        } else {
            json!("Changed")
        };
        let error = error_body(app.put_profile(&owner, &body).await, 422).await;
        assert_eq!(
            (error["code"].as_str(), error["field"].as_str()),
            (Some("validation_failed"), Some(field))
        );
    }
    let account = app.state.store.account_by_id(owner.account).await.unwrap();
    assert_eq!(
        (account.name.as_str(), account.country.as_str()),
        ("Ada", "GB")
    );
}

#[tokio::test]
async fn an_oversized_body_is_payload_too_large() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let body = json!({"name": "a".repeat(70 * 1024), "company": "", "website": "", "country": ""});
    let response = put_raw(
        &app,
        &owner,
        "application/json",
        serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(error_code(response, 413).await, "payload_too_large");
}

#[tokio::test]
async fn a_wrong_content_type_is_unsupported_media_type() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let body = serde_json::to_vec(&valid_profile()).unwrap();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = put_raw(&app, &owner, content_type, body.clone()).await;
        assert_eq!(
            error_code(response, 415).await,
            "unsupported_media_type",
            "{content_type}"
        );
    }
    let response = put_raw(&app, &owner, "application/json; charset=utf-8", body).await;
    assert_eq!(response.status().as_u16(), 200);
}

/// Every string of the Big List of Naughty Strings, as a profile name, is
/// either stored exactly as normalised or refused with a 4xx — never a 5xx.
#[tokio::test]
async fn naughty_strings_are_stored_normalised_or_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let (mut stored, mut refused) = (0, 0);
    for raw in naughty_strings::BLNS {
        let mut body = valid_profile();
        body["name"] = json!(raw);
        let response = app.put_profile(&owner, &body).await;
        let status = response.status().as_u16();
        match CleanText::parse(raw, PROFILE_TEXT) {
            Ok(expected) => {
                assert_eq!(status, 200, "{raw:?}");
                let account = app.state.store.account_by_id(owner.account).await.unwrap();
                assert_eq!(account.name, expected.as_str(), "{raw:?}");
                stored += 1;
            }
            Err(_) => {
                assert_eq!(
                    error_code(response, 422).await,
                    "validation_failed",
                    "{raw:?}"
                );
                refused += 1;
            }
        }
    }
    assert!(stored > 400, "stored {stored}, refused {refused}");
}
