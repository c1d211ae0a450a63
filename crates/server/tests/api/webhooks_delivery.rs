//! Webhook deliveries against a real receiver on loopback (allowed through
//! `crawler.allow`, like the crawler's test sites): signed as documented,
//! retried with growing delays (made due by the test, then drained), never
//! sent to a refused address or through a redirect (a canary counts the
//! connections), and finished after a worker is killed mid-delivery.

use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use witzo_app::config::Config;
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::webhooks::{
    Answer, canary, start_receiver, start_receiver_on, verify, verify_as_documented,
};
use crate::helpers::{Owner, TestApp, free_address, no_workers, spawn_app_with};

async fn app_delivering_to(
    allowed: std::net::SocketAddr,
    database: Option<String>,
) -> (TestApp, Owner) {
    let configure = move |c: &mut Config| {
        c.crawler.allow = vec![allowed];
        c.database_url = database.map(Into::into);
        no_workers(c);
    };
    let app = spawn_app_with(configure, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    // Standard: webhooks, and widgets enough for scoping.
    app.set_plan(&owner, "standard").await;
    (app, owner)
}

async fn lead_created(app: &TestApp, owner: &Owner, widget: i64) {
    let lead = json!({"id": 7, "name": "Eve", "email": "eve@example.com"});
    witzo_app::webhooks::emit(
        &app.state,
        owner.account,
        Some(WidgetId::from_raw(widget)),
        "lead.created",
        lead,
    )
    .await
    .unwrap();
}

async fn signed_and_retried_until_accepted(database: Option<String>) {
    let receiver = start_receiver(vec![
        Answer::Status(500),
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(200),
    ])
    .await;
    let (app, ada) = app_delivering_to(receiver.addr, database).await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let other = app.create_widget(&ada, &["other.example.com"]).await;
    let (id, secret) = app
        .add_webhook(&ada, &receiver.url(), &["lead.created"])
        .await;
    let scoped = json!({"url": receiver.url(), "events": ["lead.created"], "widget_id": other.id});
    assert_eq!(
        app.create_webhook(&ada, &scoped).await.status().as_u16(),
        201
    );
    lead_created(&app, &ada, widget.id).await;
    assert_eq!(
        app.drain_jobs().await,
        1,
        "one delivery: the other endpoint is another widget's"
    );

    // Each failure waits longer: 1 min, 5 min, 30 min; the fourth try is accepted.
    for (attempt, delay) in [(1, 60), (2, 300), (3, 1800)] {
        let log = app.deliveries(&ada, id).await;
        let d = &log[0];
        assert_eq!(
            (&d["status"], &d["attempts"]),
            (&json!("pending"), &json!(attempt))
        );
        assert_eq!(
            d["next_attempt_at"].as_i64().unwrap() - d["updated_at"].as_i64().unwrap(),
            delay
        );
        assert_eq!(
            d["response_body"].as_str().unwrap().len(),
            1024,
            "the first 1 KB"
        );
        assert_eq!(app.drain_jobs().await, 0, "not due before its time");
        app.make_retries_due().await;
        assert_eq!(app.drain_jobs().await, 1);
    }
    let log = app.deliveries(&ada, id).await;
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert_eq!(
        (
            &d["status"],
            &d["attempts"],
            &d["response_code"],
            &d["next_attempt_at"],
            &d["last_error"]
        ),
        (
            &json!("delivered"),
            &json!(4),
            &json!(200),
            &Value::Null,
            &Value::Null
        )
    );
    assert!(d["latency_ms"].as_i64().unwrap() >= 0);

    // Every attempt carried the same event, signed as the docs say.
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    for request in &received {
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(
            (&body["type"], &body["data"]["email"]),
            (&json!("lead.created"), &json!("eve@example.com"))
        );
        assert_eq!(
            request.header("witzo-event-id"),
            body["id"].as_str().unwrap()
        );
        assert!(request.header("witzo-event-id").starts_with("evt_"));
        assert_eq!(request.header("content-type"), "application/json");
        assert!(request.header("user-agent").starts_with("Witzo-Webhooks/"));
        let signature = request.header("witzo-signature");
        assert!(signature.starts_with(&format!("t={},v1=", request.header("witzo-timestamp"))));
        assert!(verify(
            &secret,
            signature,
            &request.body,
            witzo_store::now()
        ));
        assert!(!verify(
            "whsec_wrong",
            signature,
            &request.body,
            witzo_store::now()
        ));
        assert!(!verify(
            &secret,
            signature,
            &format!("{} ", request.body),
            witzo_store::now()
        ));
    }
    assert_eq!(received[0].body, received[3].body);
    assert_eq!(receiver.accepted(), 1);
    // The documented Python recipe, run as written, agrees.
    assert!(verify_as_documented(&secret, &received[3]));
    assert!(!verify_as_documented("whsec_wrong", &received[3]));
}

#[tokio::test]
async fn deliveries_are_signed_as_documented_and_retried_with_growing_delays_until_accepted() {
    signed_and_retried_until_accepted(None).await;
}

#[tokio::test]
async fn deliveries_are_signed_and_retried_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    signed_and_retried_until_accepted(Some(db.url().to_owned())).await;
}

#[tokio::test]
async fn a_delivery_fails_for_good_after_its_last_attempt() {
    let receiver = start_receiver(vec![Answer::Status(500); 7]).await;
    let (app, ada) = app_delivering_to(receiver.addr, None).await;
    let (id, _) = app
        .add_webhook(&ada, &receiver.url(), &["lead.created"])
        .await;
    lead_created(
        &app,
        &ada,
        app.create_widget(&ada, &["a.example.com"]).await.id,
    )
    .await;
    app.drain_jobs().await;
    for _ in 1..7 {
        app.make_retries_due().await;
        assert_eq!(app.drain_jobs().await, 1);
    }
    let d = &app.deliveries(&ada, id).await[0];
    assert_eq!(
        (
            &d["status"],
            &d["attempts"],
            &d["last_error"],
            &d["next_attempt_at"]
        ),
        (
            &json!("failed"),
            &json!(7),
            &json!("HTTP 500"),
            &Value::Null
        )
    );
    app.make_retries_due().await;
    assert_eq!(app.drain_jobs().await, 0, "nothing left to run");
    assert_eq!(receiver.received().len(), 7);
}

#[tokio::test]
async fn a_private_address_or_a_redirect_is_refused_and_the_canary_sees_no_connection() {
    // The canary shares the receiver's port on another loopback address:
    // only the allowed `ip:port` pair may be reached.
    let (canary_addr, connections) = canary("127.0.0.2:0".parse().unwrap()).await;
    let mut receiver_addr = canary_addr;
    receiver_addr.set_ip([127, 0, 0, 1].into());
    let receiver = start_receiver_on(
        receiver_addr,
        vec![Answer::Redirect(format!("http://{canary_addr}/"))],
    )
    .await;
    let (app, ada) = app_delivering_to(receiver.addr, None).await;
    // Refused when it is added…
    let body = json!({"url": format!("http://{canary_addr}/hook"), "events": ["lead.created"]});
    let refused = app.create_webhook(&ada, &body).await;
    assert_eq!(
        crate::helpers::error_code(refused, 422).await,
        "url_not_allowed"
    );
    // …and by the fetcher when a stored endpoint points there (as a DNS
    // name that now resolves to it would).
    let sneaked = app
        .state
        .store
        .create_webhook(
            ada.account,
            &witzo_store::webhooks::NewWebhook {
                widget: None,
                url: &format!("http://{canary_addr}/hook"),
                secret: "whsec_x",
                events: &["lead.created".to_owned()],
                active: true,
            },
            witzo_store::now(),
        )
        .await
        .unwrap();
    let (redirecting, _) = app
        .add_webhook(&ada, &receiver.url(), &["lead.created"])
        .await;
    lead_created(
        &app,
        &ada,
        app.create_widget(&ada, &["a.example.com"]).await.id,
    )
    .await;
    assert_eq!(app.drain_jobs().await, 2);

    let d = &app.deliveries(&ada, sneaked.id.get()).await[0];
    assert_eq!(
        (&d["status"], &d["attempts"]),
        (&json!("failed"), &json!(1))
    );
    // The fetcher's target check refuses it before connecting: an address
    // not in the allow list gets no exception for its port either.
    let port = canary_addr.port();
    assert_eq!(d["last_error"], format!("port {port} not allowed"));
    let d = &app.deliveries(&ada, redirecting).await[0];
    assert_eq!(
        (&d["status"], &d["response_code"], &d["last_error"]),
        (
            &json!("failed"),
            &json!(302),
            &json!("redirect not followed")
        )
    );
    app.make_retries_due().await;
    assert_eq!(app.drain_jobs().await, 0, "refusals are not retried");
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection to the canary"
    );
}

/// The real binary, as `witzo worker`, on the test's database.
fn worker(
    dir: &std::path::Path,
    database: &str,
    allowed: std::net::SocketAddr,
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_witzo"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WITZO_DATABASE_URL", database)
        .env("WITZO_LISTEN", free_address().to_string())
        .env("WITZO_CRAWLER__ALLOW", format!("[\"{allowed}\"]"))
        .env("WITZO_JOBS__LEASE_SECS", "2")
        .env("WITZO_JOBS__POLL_MILLIS", "100")
        .arg("worker")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

// Multi-threaded: the receiver keeps answering while the test waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_delivers_once_after_restart() {
    let receiver = start_receiver(vec![Answer::Hold, Answer::Status(200)]).await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("witzo.db").display()
    );
    let (app, ada) = app_delivering_to(receiver.addr, Some(database.clone())).await;
    let (id, secret) = app
        .add_webhook(&ada, &receiver.url(), &["lead.created"])
        .await;
    lead_created(
        &app,
        &ada,
        app.create_widget(&ada, &["a.example.com"]).await.id,
    )
    .await;

    let mut first = worker(dir.path(), &database, receiver.addr);
    let deadline = Instant::now() + Duration::from_secs(60);
    while receiver.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the worker never sent the delivery"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The receiver holds the request; the worker dies without an answer.
    Command::new("kill")
        .args(["-KILL", &first.id().to_string()])
        .status()
        .unwrap();
    first.wait().unwrap();
    let held = &app.deliveries(&ada, id).await[0];
    assert_eq!(
        (&held["status"], &held["attempts"]),
        (&json!("pending"), &json!(1))
    );

    let mut second = worker(dir.path(), &database, receiver.addr);
    let delivered = loop {
        let d = app.deliveries(&ada, id).await.remove(0);
        if d["status"] != "pending" {
            break d;
        }
        assert!(Instant::now() < deadline, "never finished: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Command::new("kill")
        .args(["-KILL", &second.id().to_string()])
        .status()
        .unwrap();
    second.wait().unwrap();
    assert_eq!(
        (
            &delivered["status"],
            &delivered["attempts"],
            &delivered["response_code"]
        ),
        (&json!("delivered"), &json!(2), &json!(200))
    );
    assert_eq!(receiver.accepted(), 1, "accepted exactly once");
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].header("witzo-event-id"),
        received[1].header("witzo-event-id")
    );
    assert!(verify(
        &secret,
        received[1].header("witzo-signature"),
        &received[1].body,
        witzo_store::now()
    ));
    assert_eq!(
        app.deliveries(&ada, id).await.len(),
        1,
        "one delivery, not a copy"
    );
}
