use serde_json::Value;

use crate::helpers::mailbox::code_in;
use crate::helpers::pages::hidden_csrf;
use crate::helpers::{browser, error_code, header, spawn_app_with_mail};

#[tokio::test]
async fn the_right_code_signs_in_and_creates_the_account_on_first_use() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    let sent = app.request_code(&client, "Ada@Example.com").await;
    assert_eq!(sent.status().as_u16(), 202);
    let message = mailbox.wait_for("ada@example.com", 1).await;
    assert!(message.contains("Subject: Your Witzo code"), "{message}");
    assert!(message.contains("It is valid for 10 minutes."), "{message}");
    assert!(
        message.contains("multipart/alternative"),
        "plain text and HTML: {message}"
    );
    let code = code_in(&message);

    let response = app.verify_code(&client, "ada@example.com", &code).await;
    assert_eq!(response.status().as_u16(), 200);
    let cookie = header(&response, "set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("witzo_session="), "{cookie}");
    assert!(cookie.contains("; HttpOnly; SameSite=Lax"), "{cookie}");
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["email"], "ada@example.com");

    let me: Value = client
        .get(app.url("/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account"]["email"], "ada@example.com");
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 1);
    let again = app.verify_code(&client, "ada@example.com", &code).await;
    assert_eq!(
        error_code(again, 400).await,
        "code_invalid",
        "a code works once"
    );
}

#[tokio::test]
async fn five_wrong_codes_void_the_code() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.request_code(&client, "ada@example.com").await;
    let code = mailbox.code("ada@example.com", 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in ["4 tries left", "3 tries left", "2 tries left", "1 try left"] {
        let response = app.verify_code(&client, "ada@example.com", wrong).await;
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "code_invalid");
        assert!(body["message"].as_str().unwrap().contains(left), "{body}");
    }
    let fifth = app.verify_code(&client, "ada@example.com", wrong).await;
    assert_eq!(error_code(fifth, 400).await, "code_invalid");
    let right_too_late = app.verify_code(&client, "ada@example.com", &code).await;
    assert_eq!(error_code(right_too_late, 400).await, "code_invalid");
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 0);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.request_code(&client, "ada@example.com").await;
    let code = mailbox.code("ada@example.com", 1).await;
    let aged = app
        .state
        .store
        .execute_for_test(
            "UPDATE login_codes SET expires_at = created_at - 1 WHERE email = $1",
            "ada@example.com",
        )
        .await;
    assert_eq!(aged, 1);
    let response = app.verify_code(&client, "ada@example.com", &code).await;
    assert_eq!(error_code(response, 400).await, "code_expired");
}

#[tokio::test]
async fn a_new_code_voids_the_older_one() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    app.request_code(&client, "ada@example.com").await;
    let first = mailbox.code("ada@example.com", 1).await;
    app.request_code(&client, "ada@example.com").await;
    let second = mailbox.code("ada@example.com", 2).await;
    if first != second {
        let response = app.verify_code(&client, "ada@example.com", &first).await;
        assert_eq!(error_code(response, 400).await, "code_invalid");
    }
    assert_eq!(
        app.verify_code(&client, "ada@example.com", &second)
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn a_fourth_code_within_the_hour_is_too_many_codes() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    for _ in 0..3 {
        assert_eq!(
            app.request_code(&client, "ada@example.com")
                .await
                .status()
                .as_u16(),
            202
        );
    }
    let fourth = app.request_code(&client, "ada@example.com").await;
    assert_eq!(header(&fourth, "retry-after"), Some("3600"));
    assert_eq!(error_code(fourth, 429).await, "too_many_codes");
    mailbox.wait_for("ada@example.com", 3).await;
    assert_eq!(mailbox.messages().len(), 3, "no fourth e-mail");
    // Another address is not affected.
    assert_eq!(
        app.request_code(&client, "bob@example.com")
            .await
            .status()
            .as_u16(),
        202
    );
}

#[tokio::test]
async fn code_requests_are_limited_per_ip_too() {
    let (app, _mailbox) = spawn_app_with_mail(|c| c.auth.codes_per_ip_per_hour = 4).await;
    let client = browser();
    // burst = a quarter of the hourly allowance = 1
    assert_eq!(
        app.request_code(&client, "a@example.com")
            .await
            .status()
            .as_u16(),
        202
    );
    let refused = app.request_code(&client, "b@example.com").await;
    assert_eq!(error_code(refused, 429).await, "rate_limited");
}

#[tokio::test]
async fn known_and_unknown_addresses_get_byte_identical_answers() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    app.sign_in("known@example.com").await;
    let client = browser();
    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let response = app.request_code(&client, email).await;
        let status = response.status().as_u16();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        answers.push((status, headers, response.bytes().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 202);
    // Both addresses really got a code: the difference is invisible, not absent.
    mailbox.wait_for("known@example.com", 1).await;
    mailbox.wait_for("unknown@example.com", 1).await;
}

#[tokio::test]
async fn signing_in_rotates_the_session_id() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let first = app.sign_in("ada@example.com").await;
    let client = browser();
    app.request_code(&client, "ada@example.com").await;
    let code = mailbox.code("ada@example.com", 1).await;
    // The browser arrives carrying an existing session (e.g. planted) and
    // that session's token.
    let response = client
        .post(app.url("/api/auth/email-code/verify"))
        .header("x-csrf-token", &first.csrf)
        .header("cookie", &first.cookie)
        .json(&serde_json::json!({"email": "ada@example.com", "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let issued = header(&response, "set-cookie").unwrap().to_owned();
    assert!(
        !issued.contains(first.cookie.split('=').nth(1).unwrap()),
        "a new id is issued"
    );
    assert_eq!(
        error_code(app.get_as(&first, "/api/me").await, 401).await,
        "unauthenticated",
        "the old session ended"
    );
    let log = app
        .state
        .store
        .audit_events_of(first.account, 10)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.kind == "signed_in" && e.detail == "email_code"),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_html_sign_in_form_works_without_javascript() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = browser();
    let page = client.get(app.url("/app/sign-in")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    let csrf = hidden_csrf(&html);
    let code_page = client
        .post(app.url("/app/sign-in"))
        .form(&[("email", "ada@example.com"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(code_page.status().as_u16(), 200);
    let html = code_page.text().await.unwrap();
    assert!(html.contains("Check your e-mail"), "{html}");
    let code = mailbox.code("ada@example.com", 1).await;
    let wrong = client
        .post(app.url("/app/sign-in/verify"))
        .form(&[
            ("email", "ada@example.com"),
            ("code", "12"),
            ("csrf_token", &hidden_csrf(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains(r#"data-code="code_invalid""#)
    );
    let done = client
        .post(app.url("/app/sign-in/verify"))
        .form(&[
            ("email", "ada@example.com"),
            ("code", &code),
            ("csrf_token", &hidden_csrf(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(header(&done, "location"), Some("/app"));
    let dashboard = client.get(app.url("/app")).send().await.unwrap();
    assert_eq!(
        header(&dashboard, "location"),
        Some("/app/setup"),
        "first sign-in goes to the setup"
    );
    let setup = client
        .get(app.url("/app/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(setup.contains("ada@example.com"));
    assert!(setup.contains("Welcome to Witzo"));
}

#[tokio::test]
async fn signed_out_pages_redirect_to_sign_in() {
    let (app, _mailbox) = spawn_app_with_mail(|_| {}).await;
    for path in ["/app", "/app/account", "/app/widgets"] {
        let response = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(
            header(&response, "location"),
            Some("/app/sign-in"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_home_page_says_what_witzo_is_and_leads_to_sign_in() {
    let app = crate::helpers::spawn_app().await;
    let home = app.get("/").await;
    assert_eq!(home.status().as_u16(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains(r#"<a class="button" href="/app/sign-in">Sign in</a>"#),
        "{html}"
    );
    assert!(html.contains("How it works"), "{html}");
    assert!(!html.contains("being built"), "{html}");
    let sign_in = app.get("/app/sign-in").await;
    assert_eq!(sign_in.status().as_u16(), 200);
}
