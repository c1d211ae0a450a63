use witzo_server::app::AppOptions;
use witzo_store::sessions::ClientMeta;

use crate::helpers::{error_code, header, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_live_session_identifies_its_owner() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let response = app.get_as(&owner, "/api/me").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["account"]["email"], "ada@example.com");
    assert_eq!(body["csrf_token"], owner.csrf.as_str());
}

#[tokio::test]
async fn an_attacker_chosen_session_id_is_never_accepted() {
    let app = spawn_app().await;
    app.sign_in("ada@example.com").await;
    for value in [
        "attacker-chosen".to_owned(),
        "a".repeat(64),
        "0".repeat(64),
        String::new(),
    ] {
        let response = app
            .client
            .get(app.url("/api/me"))
            .header("cookie", format!("witzo_session={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(response, 401).await,
            "unauthenticated",
            "{value}"
        );
    }
}

#[tokio::test]
async fn a_session_past_its_absolute_lifetime_is_refused_and_ended() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let account = store
        .create_account(
            &witzo_store::domain::EmailAddress::parse("ada@example.com").unwrap(),
            0,
        )
        .await
        .unwrap();
    let long_ago = witzo_store::now() - app.state.session_lifetime.absolute_secs - 1;
    let (token, _) = store
        .create_session(
            account.id,
            &ClientMeta::default(),
            app.state.session_lifetime,
            long_ago,
        )
        .await
        .unwrap();
    store
        .touch_session(
            &witzo_store::sessions::token_hash(token.expose()).unwrap(),
            witzo_store::now(),
        )
        .await
        .unwrap();
    let cookie = format!("witzo_session={}", token.expose());
    let response = app
        .client
        .get(app.url("/api/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 401).await, "session_expired");
    assert_eq!(store.sessions_of(account.id).await.unwrap().len(), 0);
}

#[tokio::test]
async fn an_idle_session_is_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let idle_since = witzo_store::now() - app.state.session_lifetime.idle_secs - 1;
    app.state
        .store
        .touch_session(&owner.session_hash, idle_since)
        .await
        .unwrap();
    let response = app.get_as(&owner, "/api/me").await;
    assert_eq!(error_code(response, 401).await, "session_expired");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let response = app
        .client
        .post(app.url("/api/me/sign-out"))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        header(&response, "set-cookie"),
        Some("witzo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    );
    assert_eq!(
        error_code(app.get_as(&owner, "/api/me").await, 401).await,
        "unauthenticated"
    );
    let log = app
        .state
        .store
        .audit_events_of(owner.account, 5)
        .await
        .unwrap();
    assert_eq!(log[0].kind, "signed_out");
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_host_prefixed_and_the_plain_name_is_ignored() {
    let app = spawn_app_with(
        |c| c.public_url = Some("https://witzo.example.com/".parse().unwrap()),
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    assert!(owner.cookie.starts_with("__Host-witzo_session="));
    let plain = owner.cookie.replacen("__Host-", "", 1);
    let response = app
        .client
        .get(app.url("/api/me"))
        .header("cookie", plain)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 401).await, "unauthenticated");
    let response = app
        .client
        .post(app.url("/api/me/sign-out"))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        header(&response, "set-cookie"),
        Some("__Host-witzo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure")
    );
}
