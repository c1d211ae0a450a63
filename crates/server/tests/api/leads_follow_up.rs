//! The follow-up e-mail to each lead (plans with `follow_up_email`) and
//! the owner's alert choices, read from the real SMTP test server: sent
//! once, placeholders filled as plain text, replies to the owner, header
//! injection inert, stopped at once when the plan loses the flag; and a
//! daily digest instead of one e-mail per lead.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::mailbox::Mailbox;
use crate::helpers::{Owner, SHOP, TestApp, Widget, error, error_code, visitor};
use crate::leads::app_with_mail;

const OWNER: &str = "owner@example.com";

async fn follow_up(app: &TestApp, owner: &Owner, body: Value) -> reqwest::Response {
    app.send_as(owner, Method::PUT, "/api/follow-up", Some(&body))
        .await
}

fn settings(subject: &str, body: &str, delay: i64) -> Value {
    json!({"alerts": "off", "follow_up": true, "subject": subject, "body": body, "delay_minutes": delay})
}

async fn leave(app: &TestApp, widget: &Widget, name: &str, email: &str, message: &str) {
    let form = json!({"visitor_id": visitor(), "name": name, "email": email, "message": message});
    let status = app
        .contact(widget, form)
        .from(SHOP)
        .languages("de-CH,de;q=0.9")
        .status()
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_follow_up_is_sent_once_filled_as_text_and_only_on_plans_with_it() {
    let mailbox = Mailbox::start().await;
    let app = app_with_mail(None, &mailbox).await;
    let owner = app.sign_in(OWNER).await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let template = settings(
        "Thanks {name}, from {business}",
        "Hi {name},\n\nYou asked: {question}\n\n{unknown} stays as written.",
        0,
    );

    // Free has no follow-up: refused, naming the plan that has it.
    let refused = error(follow_up(&app, &owner, template.clone()).await, 403).await;
    assert_eq!(refused.code, "plan_limit_follow_up_email");
    let view: Value = app.get_json(&owner, "/api/follow-up").await;
    assert_eq!(
        (
            view["follow_up_available"].as_bool(),
            view["follow_up_plan"].as_str()
        ),
        (Some(false), Some("Basic"))
    );
    let page = app.page_as(&owner, "/app/leads/settings").await;
    assert!(page.contains("data-locked-feature=\"follow_up_email\""));

    app.set_plan(&owner, "basic").await;
    let response = follow_up(&app, &owner, template).await;
    assert_eq!(response.status().as_u16(), 200);

    // A name that tries to add a header stays inside the subject.
    leave(
        &app,
        &widget,
        "Ada Bcc: evil@example.org",
        "ada@example.com",
        "Do you roast decaf?",
    )
    .await;
    assert_eq!(app.drain_jobs().await, 1);
    let mail = mailbox.wait_for("ada@example.com", 1).await;
    assert!(
        mail.contains("Subject: Thanks Ada Bcc: evil@example.org, from Shop chat")
            || mail.contains("Subject: =?utf-8?"),
        "{mail}"
    );
    assert!(
        mail.lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("Reply-To: {OWNER}"))),
        "{mail}"
    );
    assert!(
        !mail
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{mail}"
    );
    assert!(mail.contains("You asked: Do you roast decaf?"), "{mail}");
    assert!(mail.contains("{unknown} stays as written."));
    assert!(
        !mailbox
            .messages()
            .iter()
            .any(|m| m.contains("To: evil@example.org"))
    );
    let lead = &app.leads(&owner).await[0];
    assert!(lead.follow_up_sent_at.is_some());
    assert_eq!(lead.country, "CH");
    assert_eq!(
        lead.contact.as_ref().map(|c| c.name.as_str()),
        Some("Ada Bcc: evil@example.org")
    );
    assert_eq!(
        lead.contact.as_ref().map(|c| c.message.as_str()),
        Some("Do you roast decaf?")
    );

    // Once per lead, whatever runs again.
    assert_eq!(app.drain_jobs().await, 0);
    assert_eq!(mailbox.messages().len(), 1);

    // A name with a line break arrives on one line: the subject stays one
    // header.
    leave(
        &app,
        &widget,
        "Eve\r\nBcc: x@example.org",
        "eve@example.com",
        "",
    )
    .await;
    assert_eq!(app.drain_jobs().await, 1);
    let mail = mailbox.wait_for("eve@example.com", 1).await;
    assert!(
        mail.contains("Subject: Thanks Eve Bcc: x@example.org, from Shop chat"),
        "{mail}"
    );
    assert!(
        !mail
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{mail}"
    );
    assert_eq!(mailbox.messages().len(), 2);

    // With a delay, nothing goes out before it.
    let response = follow_up(&app, &owner, settings("Hello", "Hi {name}", 60)).await;
    assert_eq!(response.status().as_u16(), 200);
    leave(&app, &widget, "Grace", "grace@example.com", "").await;
    assert_eq!(app.drain_jobs().await, 0, "due in an hour");

    // The plan loses the flag: the queued follow-up is not sent, the
    // setting and the log stay.
    app.set_plan(&owner, "free").await;
    let due = app
        .state
        .store
        .execute_for_test(
            "UPDATE jobs SET run_at = 0 WHERE status = 'queued' AND kind = $1",
            "follow_up",
        )
        .await;
    assert_eq!(due, 1);
    assert_eq!(app.drain_jobs().await, 1);
    assert_eq!(mailbox.messages().len(), 2);
    let leads = app.leads(&owner).await;
    assert_eq!(
        leads
            .iter()
            .filter(|l| l.follow_up_sent_at.is_some())
            .count(),
        2
    );
    let view: Value = app.get_json(&owner, "/api/follow-up").await;
    assert_eq!(view["follow_up"], true);
}

#[tokio::test]
async fn lead_settings_refuse_bad_values_with_their_codes() {
    let mailbox = Mailbox::start().await;
    let app = app_with_mail(None, &mailbox).await;
    let owner = app.sign_in(OWNER).await;
    app.set_plan(&owner, "basic").await;
    for (body, field) in [
        (settings("Hi", "Body", 20_000), "delay_minutes"),
        (settings("Hi", "Body", -1), "delay_minutes"),
        (settings(&"s".repeat(201), "Body", 0), "subject"),
    ] {
        let response = follow_up(&app, &owner, body.clone()).await;
        assert_eq!(response.status().as_u16(), 422, "{body}");
        let refused: crate::helpers::ErrorBody = response.json().await.unwrap();
        assert_eq!(
            (refused.code.as_str(), refused.field.as_deref()),
            ("validation_failed", Some(field))
        );
    }
    let response = follow_up(&app, &owner, json!({"alerts": "hourly", "follow_up": false, "subject": "", "body": "", "delay_minutes": 0})).await;
    assert_eq!(error_code(response, 422).await, "validation_failed");
    let view: Value = app.get_json(&owner, "/api/follow-up").await;
    assert_eq!(
        (view["alerts"].as_str(), view["follow_up"].as_bool()),
        (Some("each"), Some(false))
    );
    // A subject is one line: a line break in it is stored as a space.
    let saved = follow_up(&app, &owner, settings("Two\nlines", "Body", 0)).await;
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["subject"], "Two lines");
}

#[tokio::test]
async fn owners_on_a_daily_digest_get_one_e_mail_for_the_day_s_leads() {
    let mailbox = Mailbox::start().await;
    let app = app_with_mail(None, &mailbox).await;
    let owner = app.sign_in(OWNER).await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let daily = json!({"alerts": "daily", "follow_up": false, "subject": "", "body": "", "delay_minutes": 0});
    assert_eq!(follow_up(&app, &owner, daily).await.status().as_u16(), 200);
    leave(&app, &widget, "Ada", "ada@example.com", "").await;
    leave(&app, &widget, "Grace", "grace@example.com", "").await;
    assert_eq!(app.drain_jobs().await, 0, "no alert per lead");
    witzo_app::leads::notify::send_digests(&app.state).await;
    witzo_app::leads::notify::send_digests(&app.state).await;
    let digest = mailbox.wait_for(OWNER, 1).await;
    assert!(digest.contains("Subject: Witzo: 2 new leads"), "{digest}");
    assert!(digest.contains("ada@example.com") && digest.contains("grace@example.com"));
    assert_eq!(mailbox.messages().len(), 1, "one digest a day");
}
