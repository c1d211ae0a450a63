//! The events beyond leads, each emitted where it happens and sent only to
//! the endpoints subscribed to it, signed as documented: a visitor's first
//! message (`conversation.created`), every stored answer
//! (`message.answered`, opt-in), the end of a source's training run
//! (`source.trained`, one per run however many pages), and the month's
//! conversations reaching 90 % and 100 % (`usage.threshold`, once per
//! cycle each). Receivers listen on loopback, allowed through
//! `crawler.allow` as the crawler's test sites are; the test drains the jobs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use witzo_app::config::Config;
use witzo_server::app::AppOptions;

use crate::helpers::site::{page, shop};
use crate::helpers::webhooks::{signed_events, start_receiver};
use crate::helpers::{
    Owner, SHOP, Site, TestApp, error_code, no_workers, spawn_app_with, start_site,
    unlimited_rates, visitor,
};

/// An app that may reach `allowed` (receivers, a site), with no background
/// worker, on `database` (SQLite when `None`), Ada signed in on `plan`.
async fn app_reaching(
    allowed: Vec<SocketAddr>,
    database: Option<String>,
    plan: &str,
) -> (TestApp, Owner) {
    let configure = move |c: &mut Config| {
        c.crawler.allow = allowed;
        c.database_url = database.map(Into::into);
        unlimited_rates(c);
        no_workers(c);
    };
    let app = spawn_app_with(configure, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    app.set_plan(&ada, plan).await;
    (app, ada)
}

/// The `data` of each event, asserting every event is `event`.
fn data_of(events: &[Value], event: &str) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            assert_eq!(e["type"], event, "{e}");
            assert!(e["id"].as_str().unwrap().starts_with("evt_"));
            e["data"].clone()
        })
        .collect()
}

async fn subscriptions_filter_events(database: Option<String>) {
    let (a, b, c) = (
        start_receiver(vec![]).await,
        start_receiver(vec![]).await,
        start_receiver(vec![]).await,
    );
    let addr = start_site(tea_shop()).await;
    let (app, ada) = app_reaching(vec![a.addr, b.addr, c.addr, addr], database, "standard").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    app.add_site(&ada, widget.id, &format!("http://{addr}/"))
        .await;
    assert_eq!(app.drain_jobs().await, 1, "the crawl; no endpoint yet");
    let (a_id, a_secret) = app
        .add_webhook(&ada, &a.url(), &["conversation.created"])
        .await;
    let (b_id, b_secret) = app.add_webhook(&ada, &b.url(), &["message.answered"]).await;
    let (c_id, _) = app.add_webhook(&ada, &c.url(), &["lead.created"]).await;

    // One visitor, one conversation of three messages; the last is refused.
    let before = witzo_store::now();
    let vid = visitor();
    let asked = [
        "When do you open?",
        "Is shipping free within the European Union?",
        "Can you repair my bicycle?",
    ];
    let first = app
        .chat(&widget, asked[0])
        .visitor(&vid)
        .from(SHOP)
        .reply()
        .await;
    let mut replies = vec![first.clone()];
    for question in &asked[1..] {
        let reply = app
            .chat(&widget, question)
            .visitor(&vid)
            .conversation(&first.conversation_id)
            .from(SHOP)
            .reply()
            .await;
        assert_eq!(reply.conversation_id, first.conversation_id);
        replies.push(reply);
    }
    let after = witzo_store::now();
    assert_eq!(
        app.drain_jobs().await,
        4,
        "one conversation.created, three answers"
    );

    let created = data_of(&signed_events(&a, &a_secret), "conversation.created");
    assert_eq!(created.len(), 1);
    let created = &created[0];
    assert_eq!(
        (
            &created["conversation_id"],
            &created["widget_id"],
            &created["visitor_id"],
            &created["question"],
            &created["page_url"],
        ),
        (
            &json!(first.conversation_id),
            &json!(widget.id),
            &json!(vid),
            &json!(asked[0]),
            &json!(""),
        )
    );
    let at = created["created_at"].as_i64().unwrap();
    assert!((before..=after).contains(&at), "{created}");

    let answered = data_of(&signed_events(&b, &b_secret), "message.answered");
    assert_eq!(answered.len(), 3);
    for ((data, reply), question) in answered.iter().zip(&replies).zip(asked) {
        let sources: Vec<Value> = reply
            .sources
            .iter()
            .map(|s| json!({"title": s.title, "url": s.url}))
            .collect();
        assert_eq!(
            (
                &data["conversation_id"],
                &data["message_id"],
                &data["widget_id"],
                &data["question"],
                &data["answer"],
                &data["sources"],
            ),
            (
                &json!(first.conversation_id),
                &json!(reply.message_id),
                &json!(widget.id),
                &json!(question),
                &json!(reply.answer),
                &json!(sources),
            )
        );
        let at = data["answered_at"].as_i64().unwrap();
        assert!((before..=after).contains(&at), "{data}");
    }
    assert_eq!(
        answered[0]["sources"][0]["url"],
        json!(format!("http://{addr}/hours"))
    );
    let refused: Vec<&Value> = answered.iter().map(|d| &d["refused"]).collect();
    assert_eq!(refused, [&json!(false), &json!(false), &json!(true)]);
    assert!(
        answered[2]["answer"]
            .as_str()
            .unwrap()
            .starts_with("I couldn't find that")
    );

    // The lead endpoint got none of it; the logs say the same.
    assert!(c.received().is_empty());
    assert_eq!(app.deliveries(&ada, a_id).await.len(), 1);
    assert_eq!(app.deliveries(&ada, b_id).await.len(), 3);
    assert!(app.deliveries(&ada, c_id).await.is_empty());
}

#[tokio::test]
async fn each_endpoint_gets_only_the_events_it_subscribes_to() {
    subscriptions_filter_events(None).await;
}

#[tokio::test]
async fn each_endpoint_gets_only_the_events_it_subscribes_to_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    subscriptions_filter_events(Some(db.url().to_owned())).await;
}

/// A tea shop small enough to quote: opening hours and shipping.
fn tea_shop() -> Site {
    let site = Site::default();
    site.set(
        "/",
        &page(
            "Home",
            "Welcome to the Graz tea shop.",
            &["/hours", "/shipping"],
        ),
    );
    site.set("/hours", &page("Opening hours", "Our shop opens at 9 am and closes at 6 pm from Monday to Saturday. On Sundays we are closed.", &["/"]));
    site.set("/shipping", &page("Shipping", "We ship to every country in the European Union within three days. Shipping is free above 50 EUR.", &["/"]));
    site
}

async fn one_event_per_training_run(database: Option<String>) {
    let receiver = start_receiver(vec![]).await;
    let site = shop(3);
    let addr = start_site(site.clone()).await;
    let (app, ada) = app_reaching(vec![receiver.addr, addr], database, "standard").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let (_, secret) = app
        .add_webhook(&ada, &receiver.url(), &["source.trained"])
        .await;
    let url = format!("http://{addr}/");
    let (source, crawl) = app.add_site(&ada, widget.id, &url).await;
    assert_eq!(app.drain_jobs().await, 2, "the crawl, then its one event");

    let first_retrain = app.retrain(&ada, source).await;
    assert_eq!(app.drain_jobs().await, 2);

    // The site changes: one page rewritten, one gone.
    site.set(
        "/p1",
        &page("Product 1", "Product 1 is now a green tea.", &["/"]),
    );
    site.remove("/p3");
    let second_retrain = app.retrain(&ada, source).await;
    assert_eq!(app.drain_jobs().await, 2);

    let runs = data_of(&signed_events(&receiver, &secret), "source.trained");
    assert_eq!(runs.len(), 3, "one event per run: {runs:#?}");
    let expected = |job: i64, figures: [i64; 5], failures: Value| {
        let [trained, indexed, unchanged, skipped, failed] = figures;
        json!({
            "source_id": source, "widget_id": widget.id, "kind": "website", "url": url,
            "job_id": job, "job_kind": "crawl", "status": "succeeded",
            "source_status": "ready", "message": "",
            "trained": trained, "indexed": indexed, "unchanged": unchanged,
            "skipped": skipped, "failed": failed, "failures": failures,
        })
    };
    let p3 =
        json!([{"url": format!("http://{addr}/p3"), "status": "failed", "reason": "HTTP 404"}]);
    let wanted = [
        expected(crawl, [4, 4, 0, 0, 0], json!([])),
        expected(first_retrain, [4, 0, 4, 0, 0], json!([])),
        expected(second_retrain, [3, 1, 2, 0, 1], p3),
    ];
    for (run, wanted) in runs.iter().zip(wanted) {
        let mut run = run.clone();
        let finished = run.as_object_mut().unwrap().remove("finished_at").unwrap();
        assert!(finished.as_i64().unwrap() > 0);
        assert_eq!(run, wanted);
    }

    // Documents: one extraction of two files, one event.
    let files = vec![
        ("faq.txt", b"Opening hours\n\nWe open at nine.".to_vec()),
        ("prices.csv", b"Product,Price\nGreen tea,4 EUR\n".to_vec()),
    ];
    let uploaded = app.upload_documents(&ada, widget.id, files).await;
    assert_eq!(app.drain_jobs().await, 2);
    let runs = data_of(&signed_events(&receiver, &secret), "source.trained");
    assert_eq!(runs.len(), 4);
    let documents = &runs[3];
    assert_eq!(
        (
            &documents["kind"],
            &documents["url"],
            &documents["job_id"],
            &documents["job_kind"],
            &documents["status"],
            &documents["trained"],
            &documents["indexed"],
            &documents["failed"],
        ),
        (
            &json!("documents"),
            &json!(""),
            &json!(uploaded.job_id),
            &json!("extract"),
            &json!("succeeded"),
            &json!(2),
            &json!(2),
            &json!(0),
        )
    );
}

#[tokio::test]
async fn a_retrain_sends_exactly_one_source_trained_with_its_counts() {
    one_event_per_training_run(None).await;
}

#[tokio::test]
async fn a_retrain_sends_exactly_one_source_trained_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    one_event_per_training_run(Some(db.url().to_owned())).await;
}

/// Waits until `endpoint`'s log holds `n` deliveries (the allowance's
/// notices are queued in the background after the answer).
async fn wait_for_deliveries(app: &TestApp, owner: &Owner, endpoint: i64, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let queued = app.deliveries(owner, endpoint).await.len();
        if queued >= n {
            assert_eq!(queued, n);
            return;
        }
        assert!(Instant::now() < deadline, "{queued} of {n} deliveries");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn usage_thresholds(database: Option<String>) {
    let (receiver, leads) = (start_receiver(vec![]).await, start_receiver(vec![]).await);
    let (app, ada) = app_reaching(vec![receiver.addr, leads.addr], database, "standard").await;
    // A plan of ten conversations a month, with webhooks.
    let store = &app.state.store;
    let mut tiny = store.plan("standard").await.unwrap();
    tiny.id = "tiny".to_owned();
    tiny.name = "Tiny".to_owned();
    tiny.conversations = Some(10);
    tiny.price_monthly = String::new();
    tiny.price_yearly = String::new();
    store.create_plan(&tiny).await.unwrap();
    app.set_plan(&ada, "tiny").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    // Limited to the widget: the allowance is every widget's, so it still
    // gets the account's event.
    let body =
        json!({"url": receiver.url(), "events": ["usage.threshold"], "widget_id": widget.id});
    let created: Value = app.create_webhook(&ada, &body).await.json().await.unwrap();
    let (id, secret) = (
        created["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_owned(),
    );
    let (leads_id, _) = app.add_webhook(&ada, &leads.url(), &["lead.created"]).await;
    let chat = || async {
        app.chat(&widget, "When do you open?")
            .from(SHOP)
            .status()
            .await
    };

    for _ in 0..8 {
        assert_eq!(chat().await, 200);
    }
    assert_eq!(chat().await, 200, "the ninth: 90 %");
    wait_for_deliveries(&app, &ada, id, 1).await;
    assert_eq!(chat().await, 200, "the tenth: 100 %");
    wait_for_deliveries(&app, &ada, id, 2).await;
    assert_eq!(chat().await, 403, "none left");
    // Support lowers the usage within the cycle: crossing again sends nothing.
    store.set_usage(ada.account, 5).await.unwrap();
    for _ in 0..5 {
        assert_eq!(chat().await, 200);
    }
    assert_eq!(chat().await, 403);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.drain_jobs().await, 2);

    let reset_at = store.usage(ada.account).await.unwrap().resets_at();
    let thresholds = data_of(&signed_events(&receiver, &secret), "usage.threshold");
    assert_eq!(
        thresholds,
        [
            json!({"plan": "tiny", "used": 9, "limit": 10, "percent": 90, "reset_at": reset_at}),
            json!({"plan": "tiny", "used": 10, "limit": 10, "percent": 100, "reset_at": reset_at}),
        ]
    );
    assert!(leads.received().is_empty());
    assert!(app.deliveries(&ada, leads_id).await.is_empty());
}

#[tokio::test]
async fn the_allowance_sends_usage_threshold_at_90_and_100_percent_once_per_cycle() {
    usage_thresholds(None).await;
}

#[tokio::test]
async fn usage_threshold_is_sent_once_per_cycle_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    usage_thresholds(Some(db.url().to_owned())).await;
}

/// A new endpoint's boxes on the page: every event but the opt-in
/// `message.answered` starts ticked; the API needs the events named.
#[tokio::test]
async fn message_answered_is_opt_in_on_the_page_and_never_a_default() {
    let (app, ada) = app_reaching(vec![], None, "standard").await;
    let page = app
        .get_as(&ada, "/app/webhooks")
        .await
        .text()
        .await
        .unwrap();
    for event in witzo_app::webhooks::EVENTS {
        let name = event.replace('.', "_");
        let ticked = format!("name=\"{name}\" checked>");
        let unticked = format!("name=\"{name}\">");
        if *event == "message.answered" {
            assert!(
                page.contains(&unticked) && !page.contains(&ticked),
                "{event}"
            );
        } else {
            assert!(page.contains(&ticked), "{event}");
        }
    }
    // Added from the page with the boxes as they start: no message.answered.
    let mut form = vec![
        ("csrf_token".to_owned(), ada.csrf.clone()),
        ("url".to_owned(), "https://crm.example.com/".to_owned()),
        ("widget_id".to_owned(), String::new()),
    ];
    for event in witzo_app::webhooks::EVENTS {
        if *event != "message.answered" {
            form.push((event.replace('.', "_"), "on".to_owned()));
        }
    }
    let added = app
        .client
        .post(app.url("/app/webhooks"))
        .header("cookie", &ada.cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 200);
    let listed: Vec<Value> = app.get_json(&ada, "/api/webhooks").await;
    assert_eq!(
        listed[0]["events"],
        json!([
            "lead.created",
            "lead.updated",
            "conversation.created",
            "source.trained",
            "usage.threshold"
        ])
    );
    let without = json!({"url": "https://crm2.example.com/"});
    let refused = app.create_webhook(&ada, &without).await;
    assert_eq!(error_code(refused, 422).await, "missing_field");
}
