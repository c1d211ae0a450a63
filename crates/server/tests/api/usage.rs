//! The monthly conversation allowance through the chat API: taken once per
//! answered message by an atomic check-and-increment, never by refused
//! requests, reported with every answer, a 403 with figures at the limit.

use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::domain::EmailAddress;
use witzo_store::domain::SubscriptionStatus;

use crate::helpers::{
    SHOP, TestApp, error_code, no_workers, spawn_app, spawn_app_with, spawn_app_with_mail,
    unlimited_rates, visitor,
};

async fn app_without_rate_limits(database: Option<String>) -> TestApp {
    spawn_app_with(
        move |c| {
            if let Some(url) = database {
                c.database_url = Some(url.into());
            }
            unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await
}

async fn chat(app: &TestApp, key: &str, origin: &str) -> reqwest::Response {
    app.chat(key, "When do you open?").from(origin).send().await
}

async fn fifty_concurrent_chats_with_ten_left(app: TestApp) {
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let key = widget.key;
    let store = &app.state.store;
    let account = store
        .account_by_email(&EmailAddress::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    store.set_usage(account.id, 90).await.unwrap(); // Free: 100 a month

    // Refused before the allowance: unknown key, foreign origin.
    assert_eq!(
        chat(&app, "wk_00000000000000000000000000000000", SHOP)
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        chat(&app, &key, "https://evil.example")
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(store.usage(account.id).await.unwrap().used, 90);

    let requests = (0..50).map(|_| {
        let (app, key) = (&app, key.clone());
        async move {
            let response = chat(app, &key, SHOP).await;
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    });
    let replies = futures_util::future::join_all(requests).await;
    let answered: Vec<&Value> = replies
        .iter()
        .filter(|r| r.0 == 200)
        .map(|r| &r.1)
        .collect();
    let refused: Vec<&Value> = replies
        .iter()
        .filter(|r| r.0 == 403)
        .map(|r| &r.1)
        .collect();
    assert_eq!((answered.len(), refused.len()), (10, 40), "{replies:?}");
    assert_eq!(store.usage(account.id).await.unwrap().used, 100);
    let metrics = app.state.metrics.render();
    assert!(
        metrics.contains("witzo_conversations_total{outcome=\"taken\"} 10"),
        "{metrics}"
    );
    assert!(
        metrics.contains("witzo_conversations_total{outcome=\"refused\"} 40"),
        "{metrics}"
    );
    let reset_at = store.usage(account.id).await.unwrap().resets_at();
    for body in &refused {
        assert_eq!(body["code"], "conversation_limit_reached");
        assert_eq!(
            (
                &body["used"],
                &body["limit"],
                &body["plan"],
                &body["reset_at"]
            ),
            (&json!(100), &json!(100), &json!("free"), &json!(reset_at))
        );
    }
    let mut remaining: Vec<i64> = answered
        .iter()
        .map(|b| b["usage"]["remaining"].as_i64().unwrap())
        .collect();
    remaining.sort_unstable();
    assert_eq!(remaining, (0..10).collect::<Vec<_>>());
    assert!(
        answered.iter().all(|b| b["usage"]["warning"].is_string()),
        "at 90 % and over"
    );
    assert!(
        answered
            .iter()
            .all(|b| b["usage"]["reset_at"] == json!(reset_at))
    );

    // An upgrade applies at once.
    store.set_plan(account.id, "basic", 1).await.unwrap();
    let upgraded = chat(&app, &key, SHOP).await;
    assert_eq!(upgraded.status().as_u16(), 200);
    let body: Value = upgraded.json().await.unwrap();
    assert_eq!(body["usage"]["remaining"], 899);
    assert!(body["usage"].get("warning").is_none(), "{body}");
}

#[tokio::test]
async fn exactly_the_allowance_is_answered_under_concurrency_on_sqlite() {
    fifty_concurrent_chats_with_ten_left(app_without_rate_limits(None).await).await;
}

#[tokio::test]
async fn exactly_the_allowance_is_answered_under_concurrency_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    fifty_concurrent_chats_with_ten_left(app_without_rate_limits(Some(db.url().to_owned())).await)
        .await;
}

/// An answerer whose generation produces nothing (as if it failed after the
/// allowance was taken).
struct FailingAnswerer;

impl witzo_retrieval::Answerer for FailingAnswerer {
    fn answer(&self, _: witzo_retrieval::Question) -> witzo_retrieval::AnswerStream {
        Box::pin(futures_util::stream::empty())
    }
}

#[tokio::test]
async fn a_generation_that_fails_after_the_reservation_still_counts() {
    let app = spawn_app_with(
        no_workers,
        AppOptions {
            answerer: Some(std::sync::Arc::new(FailingAnswerer)),
            ..AppOptions::default()
        },
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    // Knowledge, so the configured (failing) answerer is the one asked.
    let files = vec![("hours.txt", b"Opening hours\n\nWe open at nine.".to_vec())];
    let uploaded = app.upload_documents(&owner, widget.id, files).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, uploaded.job_id).await.status, "succeeded");
    let account = app
        .state
        .store
        .account_by_email(&EmailAddress::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let reply = app
        .chat(&widget, "When do you open?")
        .from(SHOP)
        .reply()
        .await;
    assert_eq!(reply.answer, "");
    assert_eq!(app.state.store.usage(account.id).await.unwrap().used, 1);
}

#[tokio::test]
async fn the_owner_is_emailed_at_90_and_100_percent_once_per_cycle() {
    let (app, mailbox) = spawn_app_with_mail(unlimited_rates).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let key = widget.key.as_str();
    let store = &app.state.store;
    store.set_usage(owner.account, 88).await.unwrap(); // Free: 100
    let subjects = || -> Vec<String> {
        mailbox
            .messages()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
            })
            .collect()
    };
    for _ in 0..3 {
        // 89 (nothing), 90 (the warning), 91 (nothing more)
        assert_eq!(chat(&app, key, SHOP).await.status().as_u16(), 200);
    }
    let warning = mailbox.wait_for("ada@example.com", 1).await;
    assert!(
        warning.contains("answered 90 of the 100 conversations"),
        "{warning}"
    );
    store.set_usage(owner.account, 99).await.unwrap();
    assert_eq!(chat(&app, key, SHOP).await.status().as_u16(), 200);
    let exhausted = mailbox.wait_for("ada@example.com", 2).await;
    assert!(exhausted.contains("all 100 conversations"), "{exhausted}");
    for _ in 0..2 {
        assert_eq!(chat(&app, key, SHOP).await.status().as_u16(), 403);
    }
    // Support lowers the usage within the same cycle: no second e-mails.
    store.set_usage(owner.account, 95).await.unwrap();
    for _ in 0..5 {
        assert_eq!(chat(&app, key, SHOP).await.status().as_u16(), 200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        subjects(),
        [
            "Witzo: 90 % of this month's conversations used",
            "Witzo: this month's conversations are used up"
        ]
    );
}

#[tokio::test]
async fn the_overview_shows_the_meter_and_warns_from_90_percent() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    app.create_widget(&owner, &["shop.example.com"]).await;
    let store = &app.state.store;
    let page = || async {
        let response = app.get_as(&owner, "/app").await;
        assert_eq!(response.status().as_u16(), 200);
        response.text().await.unwrap()
    };
    store.set_usage(owner.account, 12).await.unwrap();
    let calm = page().await;
    assert!(
        calm.contains("12 of 100 conversations on the Free plan"),
        "{calm}"
    );
    assert!(!calm.contains("role=\"status\"") && !calm.contains("role=\"alert\""));
    // The meter turns amber from 90 % and red at 100 % (low/high regions),
    // and dates carry their zone once.
    let meter = r#"<meter min="0" max="100" low="90" high="99.99" optimum="0" value="12">"#;
    assert!(calm.contains(meter), "{calm}");
    assert!(
        calm.contains(" UTC.") && !calm.contains("UTC UTC"),
        "{calm}"
    );
    store.set_usage(owner.account, 92).await.unwrap();
    let warned = page().await;
    assert!(
        warned.contains("used 90 % or more of this month"),
        "{warned}"
    );
    assert!(warned.contains(r#"optimum="0" value="92">"#), "{warned}");
    store.set_usage(owner.account, 100).await.unwrap();
    let stopped = page().await;
    assert!(stopped.contains(r#"optimum="0" value="100">"#), "{stopped}");
    assert!(
        stopped.contains("have answered all the conversations your Free plan includes"),
        "{stopped}"
    );
    store
        .set_plan(owner.account, "enterprise", 1)
        .await
        .unwrap();
    let unlimited = page().await;
    assert!(
        unlimited.contains("100 conversations this cycle on the Enterprise plan (unlimited)"),
        "{unlimited}"
    );
    // A failed payment and a pending cancellation show on the Overview too.
    store
        .set_subscription_status(owner.account, SubscriptionStatus::PastDue, 2)
        .await
        .unwrap();
    assert!(page().await.contains("data-status=\"past_due\""));
    store
        .set_subscription_status(owner.account, SubscriptionStatus::Active, 3)
        .await
        .unwrap();
    store
        .set_cancel_at_period_end(owner.account, true, 3)
        .await
        .unwrap();
    let ending = page().await;
    assert!(!ending.contains("data-status=\"past_due\""));
    assert!(
        ending.contains("Your Enterprise subscription ends on"),
        "{ending}"
    );
}

#[tokio::test]
async fn rate_limited_and_invalid_requests_are_not_counted() {
    let app = spawn_app_with(
        |c| {
            c.limits.visitor_per_minute = 3;
            c.limits.visitor_burst = 3;
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let ada = visitor();
    let send = |message: &str| app.chat(&widget, message).visitor(&ada).from(SHOP).send();
    let too_long = send(&"x".repeat(5_000)).await;
    assert_eq!(error_code(too_long, 422).await, "message_too_long");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(send("When do you open?").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    let usage = app.state.store.usage(owner.account).await.unwrap();
    assert_eq!(usage.used, 3, "only the answered messages count");
}
