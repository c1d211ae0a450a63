use serde_json::{Value, json};

use crate::helpers::{browser, error_code, header, spawn_app, spawn_app_with_mail};

#[tokio::test]
async fn the_session_list_shows_each_device_and_marks_this_one() {
    let app = spawn_app().await;
    let here = app.sign_in("ada@example.com").await;
    app.sign_in("ada@example.com").await;
    app.sign_in("bob@example.com").await;
    let list: Vec<Value> = app
        .get_as(&here, "/api/me/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "only ada's sessions: {list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &list {
        assert_eq!(session["id"].as_str().unwrap().len(), 24);
        assert!(session.get("id_hash").is_none());
    }
}

#[tokio::test]
async fn a_revoked_session_is_refused_on_its_next_request() {
    let app = spawn_app().await;
    let here = app.sign_in("ada@example.com").await;
    let other = app.sign_in("ada@example.com").await;
    let list: Vec<Value> = app
        .get_as(&here, "/api/me/sessions")
        .await
        .json()
        .await
        .unwrap();
    let other_id = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .delete(app.url(&format!("/api/me/sessions/{other_id}")))
        .header("cookie", &here.cookie)
        .header("x-csrf-token", &here.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(header(&response, "set-cookie"), None, "this session stays");
    assert_eq!(
        error_code(app.get_as(&other, "/api/me").await, 401).await,
        "unauthenticated"
    );
    assert_eq!(app.get_as(&here, "/api/me").await.status().as_u16(), 200);
    let log: Vec<Value> = app
        .get_as(&here, "/api/me/security-log")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["kind"], "session_revoked");
}

#[tokio::test]
async fn another_owners_session_cannot_be_revoked() {
    let app = spawn_app().await;
    let ada = app.sign_in("ada@example.com").await;
    let bob = app.sign_in("bob@example.com").await;
    let bobs: Vec<Value> = app
        .get_as(&bob, "/api/me/sessions")
        .await
        .json()
        .await
        .unwrap();
    let bob_id = bobs[0]["id"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/api/me/sessions/{bob_id}")))
        .header("cookie", &ada.cookie)
        .header("x-csrf-token", &ada.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 404).await, "not_found");
    assert_eq!(app.get_as(&bob, "/api/me").await.status().as_u16(), 200);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_account_only() {
    let app = spawn_app().await;
    let here = app.sign_in("ada@example.com").await;
    let elsewhere = app.sign_in("ada@example.com").await;
    let bob = app.sign_in("bob@example.com").await;
    let response = app
        .client
        .post(app.url("/api/me/sessions/revoke-all"))
        .header("cookie", &here.cookie)
        .header("x-csrf-token", &here.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        header(&response, "set-cookie"),
        Some("witzo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    );
    for owner in [&here, &elsewhere] {
        assert_eq!(
            error_code(app.get_as(owner, "/api/me").await, 401).await,
            "unauthenticated"
        );
    }
    assert_eq!(app.get_as(&bob, "/api/me").await.status().as_u16(), 200);
}

#[tokio::test]
async fn deleting_the_account_needs_a_fresh_code_and_removes_everything() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let other_device = app.sign_in("ada@example.com").await;
    let account = other_device.account;
    let bob = app.sign_in("bob@example.com").await;

    let csrf = app.csrf(&client).await;
    let sent = client
        .post(app.url("/api/me/delete-code"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    let code = mailbox.code("ada@example.com", 2).await;
    let wrong = app
        .post_json(&client, "/api/me/delete", &json!({"code": "999999x"}))
        .await;
    assert_eq!(error_code(wrong, 400).await, "code_invalid");
    // A sign-in code is not a deletion code.
    assert!(app.state.store.account_by_id(account).await.is_ok());

    let deleted = app
        .post_json(&client, "/api/me/delete", &json!({"code": code}))
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert!(
        header(&deleted, "set-cookie")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        error_code(client.get(app.url("/api/me")).send().await.unwrap(), 401).await,
        "unauthenticated"
    );
    assert_eq!(
        error_code(app.get_as(&other_device, "/api/me").await, 401).await,
        "unauthenticated"
    );
    let store = &app.state.store;
    for sql in [
        "SELECT COUNT(*) FROM accounts WHERE id = $1",
        "SELECT COUNT(*) FROM sessions WHERE account_id = $1",
        "SELECT COUNT(*) FROM audit_events WHERE account_id = $1",
        "SELECT COUNT(*) FROM account_identities WHERE account_id = $1",
    ] {
        assert_eq!(store.count_for_test(sql, account.get()).await, 0, "{sql}");
    }
    assert_eq!(
        store
            .count_by_text_for_test(
                "SELECT COUNT(*) FROM login_codes WHERE email = $1",
                "ada@example.com"
            )
            .await,
        0
    );
    assert_eq!(
        app.get_as(&bob, "/api/me").await.status().as_u16(),
        200,
        "other accounts untouched"
    );
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_the_security_log() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let page = client.get(app.url("/app/account")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("(this device)"), "{html}");
    assert!(html.contains("Signed in with an e-mailed code"), "{html}");
    assert!(
        html.contains("A sign-in code was sent") || html.contains("Signed in"),
        "{html}"
    );
    assert!(html.contains(r#"action="/app/account/delete/code""#));
    assert!(!html.contains("style="), "no inline styles");
}

#[tokio::test]
async fn the_profile_form_saves_and_shows_field_errors() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let csrf = app.csrf(&client).await;
    let form = |country: &'static str| {
        client.post(app.url("/app/account/profile")).form(&[
            ("name", "Ada <b>Lovelace</b>"),
            ("company", "Engines"),
            ("website", "https://example.com"),
            ("country", country),
            ("csrf_token", csrf.as_str()),
        ])
    };
    let refused = form("XX").send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains(r#"data-code="validation_failed""#)
    );
    let saved = form("gb").send().await.unwrap();
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        header(&saved, "location"),
        Some("/app/account?notice=profile_saved")
    );
    let html = client
        .get(app.url("/app/account?notice=profile_saved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your profile is saved."));
    assert!(
        html.contains("Ada &#60;b&#62;Lovelace&#60;/b&#62;")
            || html.contains("Ada &lt;b&gt;Lovelace&lt;/b&gt;"),
        "escaped: {html}"
    );
}
