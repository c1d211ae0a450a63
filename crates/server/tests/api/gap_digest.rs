//! The weekly content-gap digest through a real SMTP server (aiosmtpd):
//! sent to owners who opted in, with their biggest open gaps and a link to
//! the page, once per week; nothing to owners who did not opt in.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{SHOP, no_workers, spawn_app_with_mail, unlimited_rates, visitor};

#[tokio::test]
async fn owners_who_opted_in_get_their_biggest_gaps_once_a_week_by_e_mail() {
    // No background scheduler: its hourly run at start-up could claim
    // Ada's digest before the test sends it.
    let (app, mailbox) = spawn_app_with_mail(|c| {
        unlimited_rates(c);
        no_workers(c);
    })
    .await;
    let ada = app.sign_in("ada@example.com").await;
    let bob = app.sign_in("bob@example.com").await;
    let settings = json!({"retention_days": null, "utc_offset_minutes": 0, "gap_digest": true});
    let response = app
        .send_as(
            &ada,
            Method::PUT,
            "/api/analytics/settings",
            Some(&settings),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    for owner in [&ada, &bob] {
        let widget = app.create_widget(owner, &["shop.example.com"]).await;
        for question in ["Do you ship to Norway?", "Can you deliver to Norway?"] {
            let reply = app
                .chat(&widget, question)
                .from(SHOP)
                .visitor(&visitor())
                .reply()
                .await;
            assert!(reply.sources.is_empty(), "refused: {question}");
        }
    }
    // Filing runs beside the chat: wait until both accounts' gaps are in.
    for owner in [&ada, &bob] {
        let mut filed = 0;
        for _ in 0..100 {
            let gaps: Vec<serde_json::Value> = app.get_json(owner, "/api/content-gaps").await;
            filed = gaps
                .iter()
                .filter_map(|g| g["questions"].as_i64())
                .sum::<i64>();
            if filed >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(filed, 2);
    }

    let now = witzo_store::now();
    let sent = witzo_app::gaps::digest::send_due(&app.state, now)
        .await
        .unwrap();
    assert_eq!(sent, 1, "only Ada opted in");
    let mail = mailbox.wait_for("ada@example.com", 1).await;
    assert!(
        mail.contains("Subject: Witzo: what your visitors asked this week that went unanswered"),
        "{mail}"
    );
    assert!(mail.contains("Norway"), "{mail}");
    assert!(mail.contains("/app/gaps"), "{mail}");
    // Claimed for the week: a second run (another instance) sends nothing.
    let again = witzo_app::gaps::digest::send_due(&app.state, now + 3600)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(mailbox.messages().len(), 1);
    assert!(
        !mailbox
            .messages()
            .iter()
            .any(|m| m.contains("To: bob@example.com")),
        "Bob did not opt in"
    );
}
