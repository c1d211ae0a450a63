//! Training through the real app: a local website crawled by the worker,
//! documents uploaded and extracted, plan limits, SSRF refusals at the API,
//! re-scrapes that re-process only what changed, deletion, tenant isolation.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::{Owner, TestApp, error_code, spawn_app_with};

/// A small website whose pages the test can change.
#[derive(Clone, Default)]
pub struct Site {
    pages: Arc<Mutex<HashMap<String, String>>>,
    /// Milliseconds each page takes to serve (to keep a crawl running).
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Site {
    pub fn set(&self, path: &str, body: &str) {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), body.to_owned());
    }
}

async fn serve_page(State(site): State<Site>, Path(path): Path<String>) -> Response {
    let delay = site.delay_ms.load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let key = format!("/{path}");
    match site.pages.lock().unwrap().get(&key) {
        Some(body) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Html(body.clone()),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_home(State(site): State<Site>) -> Response {
    serve_page(State(site), Path(String::new())).await
}

/// Starts `site` on a loopback port.
pub async fn start_site(site: Site) -> SocketAddr {
    let app = Router::new()
        .route("/", get(serve_home))
        .route("/{*path}", get(serve_page))
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

fn page(title: &str, body: &str, links: &[&str]) -> String {
    let links: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title></head><body>\
         <nav><ul>{links}</ul></nav><main><h1>{title}</h1><p>{body}</p></main>\
         <footer>Copyright footer text</footer></body></html>"
    )
}

/// A site with a home page linking to `n` product pages.
pub fn shop(n: usize) -> Site {
    let site = Site::default();
    let links: Vec<String> = (1..=n).map(|i| format!("/p{i}")).collect();
    let refs: Vec<&str> = links.iter().map(String::as_str).collect();
    site.set(
        "/",
        &page("Home", "Welcome to the shop. We sell tea.", &refs),
    );
    for i in 1..=n {
        site.set(
            &format!("/p{i}"),
            &page(
                &format!("Product {i}"),
                &format!("Product {i} is a fine tea from our garden."),
                &["/"],
            ),
        );
    }
    site
}

pub async fn app_for(addr: SocketAddr) -> TestApp {
    spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            c.jobs.poll_millis = 50;
            c.jobs.lease_secs = 5;
        },
        AppOptions::default(),
    )
    .await
}

/// Waits for a job to end; returns its final view.
pub async fn wait_job(app: &TestApp, owner: &Owner, job: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view: Value = app
            .get_as(owner, &format!("/api/jobs/{job}"))
            .await
            .json()
            .await
            .unwrap();
        if matches!(
            view["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "job {job} did not finish: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn add_site(app: &TestApp, owner: &Owner, widget: i64, url: &str) -> (i64, i64) {
    let response = app
        .send_as(
            owner,
            Method::POST,
            &format!("/api/widgets/{widget}/sources"),
            Some(&json!({"url": url})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.unwrap();
    (
        body["source"]["id"].as_i64().unwrap(),
        body["job_id"].as_i64().unwrap(),
    )
}

async fn outcomes(app: &TestApp, owner: &Owner, source: i64) -> Vec<(String, String, String)> {
    let detail: Value = app
        .get_as(owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    let mut rows: Vec<(String, String, String)> = detail["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["url"].as_str().unwrap().to_owned(),
                p["outcome"].as_str().unwrap().to_owned(),
                p["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_website_is_crawled_in_the_background_and_rescrapes_reprocess_only_changes() {
    let site = shop(3);
    let addr = start_site(site.clone()).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    let base = format!("http://{addr}");
    let (source, job) = add_site(&app, &owner, widget, &format!("{base}/")).await;
    let done = wait_job(&app, &owner, job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let rows = outcomes(&app, &owner, source).await;
    let indexed: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 == "indexed")
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(
        indexed,
        [
            format!("{base}/"),
            format!("{base}/p1"),
            format!("{base}/p2"),
            format!("{base}/p3")
        ]
    );
    let progress: Value = serde_json::from_str(done["progress"].as_str().unwrap()).unwrap();
    assert_eq!(
        (progress["stage"].as_str(), progress["indexed"].as_u64()),
        (Some("done"), Some(4))
    );
    let knowledge = app
        .state
        .store
        .knowledge_of(witzo_store::domain::WidgetId::from_raw(widget))
        .await
        .unwrap();
    let p1 = knowledge.iter().find(|k| k.url.ends_with("/p1")).unwrap();
    assert!(p1.text.contains("Product 1 is a fine tea"), "{}", p1.text);
    assert!(
        !p1.text.contains("Copyright footer"),
        "boilerplate removed: {}",
        p1.text
    );

    // Change one page, remove another, re-scrape.
    site.set(
        "/p2",
        &page("Product 2", "Product 2 is now a green tea.", &["/"]),
    );
    site.pages.lock().unwrap().remove("/p3");
    let again: Value = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/sources/{source}/retrain"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let done = wait_job(&app, &owner, again["job_id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let rows = outcomes(&app, &owner, source).await;
    let by_url = |path: &str| {
        rows.iter()
            .find(|r| r.0 == format!("{base}{path}"))
            .map(|r| r.1.clone())
    };
    assert_eq!(by_url("/").as_deref(), Some("unchanged"));
    assert_eq!(by_url("/p1").as_deref(), Some("unchanged"));
    assert_eq!(by_url("/p2").as_deref(), Some("indexed"));
    assert_eq!(by_url("/p3").as_deref(), Some("failed"));
    let knowledge = app
        .state
        .store
        .knowledge_of(witzo_store::domain::WidgetId::from_raw(widget))
        .await
        .unwrap();
    assert_eq!(knowledge.len(), 3, "the removed page left the knowledge");
}

#[tokio::test]
async fn a_job_can_be_cancelled_and_every_source_retrained() {
    let site = shop(2);
    let addr = start_site(site).await;
    // No workers: the job stays queued until cancelled.
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            c.jobs.workers = 0;
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    let (_, job) = add_site(&app, &owner, widget, &format!("http://{addr}/")).await;
    assert_eq!(
        app.send_as(
            &owner,
            Method::POST,
            &format!("/api/jobs/{job}/cancel"),
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    let view: Value = app
        .get_as(&owner, &format!("/api/jobs/{job}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "cancelled");
    assert_eq!(
        error_code(
            app.send_as(
                &owner,
                Method::POST,
                &format!("/api/jobs/{job}/cancel"),
                None
            )
            .await,
            404
        )
        .await,
        "not_found"
    );
    let all: Value = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/widgets/{widget}/retrain"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let ids = all["job_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 1);
    assert_ne!(
        ids[0].as_i64(),
        Some(job),
        "a new job after the cancelled one"
    );
    // A worker now runs it to the end.
    witzo_server::training::worker::run_next(&app.state)
        .await
        .unwrap();
    let view: Value = app
        .get_as(&owner, &format!("/api/jobs/{}", ids[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "succeeded");
}

#[tokio::test]
async fn the_sixteenth_page_on_the_free_plan_is_not_indexed_and_says_why() {
    let addr = start_site(shop(20)).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    let (source, job) = add_site(&app, &owner, widget, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
    let rows = outcomes(&app, &owner, source).await;
    assert_eq!(rows.iter().filter(|r| r.1 == "indexed").count(), 15);
    let limited: Vec<_> = rows
        .iter()
        .filter(|r| r.2 == "plan limit: 15 pages on the Free plan")
        .collect();
    assert_eq!(limited.len(), 1, "{rows:?}");
    assert_eq!(limited[0].1, "skipped");
    let detail: Value = app
        .get_as(&owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["source"]["last_error"],
        "Stopped at the plan limit of 15 pages (Free plan)."
    );
    let more = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/widgets/{widget}/sources"),
            Some(&json!({"url": format!("http://{addr}/other")})),
        )
        .await;
    assert_eq!(more.status().as_u16(), 403);
    let body: Value = more.json().await.unwrap();
    assert_eq!(
        (
            body["code"].as_str(),
            body["used"].as_i64(),
            body["limit"].as_i64(),
            body["plan"].as_str()
        ),
        (Some("plan_limit_pages"), Some(15), Some(15), Some("free"))
    );
}

#[tokio::test]
async fn addresses_the_crawler_would_refuse_are_refused_when_added() {
    let app = spawn_app_with(|_| {}, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    for url in [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "https://example.com:8443/",
    ] {
        let response = app
            .send_as(
                &owner,
                Method::POST,
                &format!("/api/widgets/{widget}/sources"),
                Some(&json!({"url": url})),
            )
            .await;
        assert_eq!(error_code(response, 422).await, "url_not_allowed", "{url}");
    }
    for (body, field) in [
        (json!({"url": "ftp://example.com/"}), "url"),
        (
            json!({"url": "https://example.com/", "max_depth": 11}),
            "max_depth",
        ),
        (
            json!({"url": "https://example.com/", "include_paths": ["docs"]}),
            "include_paths",
        ),
        (
            json!({"url": "https://example.com/", "rescrape_days": 9}),
            "rescrape_days",
        ),
    ] {
        let response = app
            .send_as(
                &owner,
                Method::POST,
                &format!("/api/widgets/{widget}/sources"),
                Some(&body),
            )
            .await;
        assert_eq!(response.status().as_u16(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{body}");
    }
    let scheduled = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/widgets/{widget}/sources"),
            Some(&json!({"url": "https://example.com/", "rescrape_days": 7})),
        )
        .await;
    assert_eq!(error_code(scheduled, 403).await, "plan_limit_auto_rescrape");
}

pub fn upload(
    app: &TestApp,
    owner: &Owner,
    widget: i64,
    files: Vec<(&'static str, Vec<u8>)>,
) -> reqwest::RequestBuilder {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
    }
    app.client
        .post(app.url(&format!("/api/widgets/{widget}/documents")))
        .header("cookie", &owner.cookie)
        .header("x-csrf-token", &owner.csrf)
        .multipart(form)
}

#[tokio::test]
async fn documents_are_uploaded_checked_and_extracted_in_the_background() {
    let app = spawn_app_with(|c| c.jobs.poll_millis = 50, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    let files = vec![
        (
            "faq.txt",
            b"Opening hours\n\nWe open at nine every weekday.".to_vec(),
        ),
        (
            "prices.csv",
            b"Product,Price\nGreen tea,4 EUR\nBlack tea,5 EUR\n".to_vec(),
        ),
    ];
    let response = upload(&app, &owner, widget, files).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["files"], json!(["faq.txt", "prices.csv"]));
    assert_eq!(
        wait_job(&app, &owner, body["job_id"].as_i64().unwrap()).await["status"],
        "succeeded"
    );
    let knowledge = app
        .state
        .store
        .knowledge_of(witzo_store::domain::WidgetId::from_raw(widget))
        .await
        .unwrap();
    let csv = knowledge.iter().find(|k| k.url == "prices.csv").unwrap();
    assert!(csv.text.contains("Product: Green tea"), "{}", csv.text);
    assert!(
        knowledge
            .iter()
            .any(|k| k.url == "faq.txt" && k.text.contains("We open at nine"))
    );

    let mismatch = upload(
        &app,
        &owner,
        widget,
        vec![("report.pdf", b"PK\x03\x04 not a pdf".to_vec())],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(mismatch.status().as_u16(), 415);
    let eleven: Vec<(&'static str, Vec<u8>)> = (0..11).map(|_| ("a.txt", b"x".to_vec())).collect();
    assert_eq!(
        error_code(
            upload(&app, &owner, widget, eleven).send().await.unwrap(),
            422
        )
        .await,
        "too_many_files"
    );
    let three: Vec<(&'static str, Vec<u8>)> = vec![
        ("c.txt", b"c".to_vec()),
        ("d.txt", b"d".to_vec()),
        ("e.txt", b"e".to_vec()),
    ];
    let over = upload(&app, &owner, widget, three).send().await.unwrap();
    assert_eq!(over.status().as_u16(), 403);
    let body: Value = over.json().await.unwrap();
    assert_eq!(
        (
            body["code"].as_str(),
            body["used"].as_i64(),
            body["limit"].as_i64()
        ),
        (Some("plan_limit_documents"), Some(2), Some(4))
    );
}

#[tokio::test]
async fn deleting_a_page_or_a_source_removes_its_knowledge_and_other_accounts_get_404() {
    let addr = start_site(shop(2)).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await["id"]
        .as_i64()
        .unwrap();
    let (source, job) = add_site(&app, &owner, widget, &format!("http://{addr}/")).await;
    wait_job(&app, &owner, job).await;
    let bob = app.sign_in("bob@example.com").await;
    let detail: Value = app
        .get_as(&owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    let page_id = detail["pages"][0]["id"].as_i64().unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/sources/{source}")),
        (Method::DELETE, format!("/api/sources/{source}")),
        (Method::POST, format!("/api/sources/{source}/retrain")),
        (Method::DELETE, format!("/api/pages/{page_id}")),
        (Method::GET, format!("/api/jobs/{job}")),
        (Method::GET, format!("/api/widgets/{widget}/sources")),
    ] {
        let response = app.send_as(&bob, method.clone(), &path, None).await;
        assert_eq!(response.status().as_u16(), 404, "{method} {path}");
    }
    let widget_id = witzo_store::domain::WidgetId::from_raw(widget);
    let before = app.state.store.knowledge_of(widget_id).await.unwrap().len();
    assert_eq!(
        app.send_as(
            &owner,
            Method::DELETE,
            &format!("/api/pages/{page_id}"),
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_eq!(
        app.state.store.knowledge_of(widget_id).await.unwrap().len(),
        before - 1
    );
    assert_eq!(
        app.send_as(
            &owner,
            Method::DELETE,
            &format!("/api/sources/{source}"),
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert!(
        app.state
            .store
            .knowledge_of(widget_id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn visitors_get_grounded_answers_with_sources_and_an_honest_i_dont_know() {
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
    let addr = start_site(site).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let (source, job) = add_site(&app, &owner, id, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    let app = &app;
    let chat = |message: &str| {
        let body = json!({"visitor_id": crate::helpers::visitor(), "message": message});
        let path = path.clone();
        async move {
            app.public(
                Method::POST,
                &path,
                Some("https://shop.example.com"),
                Some(&body),
            )
            .await
            .json::<Value>()
            .await
            .unwrap()
        }
    };
    let reply = chat("When do you open?").await;
    let answer = reply["answer"].as_str().unwrap();
    assert!(
        answer.contains("Our shop opens at 9 am and closes at 6 pm") && answer.contains("[1]"),
        "{reply}"
    );
    assert_eq!(
        reply["sources"][0]["url"],
        format!("http://{addr}/hours"),
        "{reply}"
    );
    let shipping = chat("Is shipping free within the European Union?").await;
    assert_eq!(
        shipping["sources"][0]["url"],
        format!("http://{addr}/shipping"),
        "{shipping}"
    );
    let transcript: Value = app
        .get_as(
            &owner,
            &format!(
                "/api/conversations/{}",
                reply["conversation_id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let stored: Value =
        serde_json::from_str(transcript["messages"][1]["sources"].as_str().unwrap()).unwrap();
    assert_eq!(stored[0]["url"], format!("http://{addr}/hours"));
    assert!(
        stored[0]["score"].as_f64().unwrap() > 0.0,
        "retrieval score kept: {stored}"
    );
    let unknown = chat("Can you repair my bicycle?").await;
    assert!(
        unknown["answer"]
            .as_str()
            .unwrap()
            .starts_with("I couldn't find that"),
        "{unknown}"
    );
    assert_eq!(unknown["sources"], json!([]));

    // A deleted page never appears in sources once the delete commits.
    let detail: Value = app
        .get_as(&owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    let hours = detail["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["url"].as_str().unwrap().ends_with("/hours"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.send_as(&owner, Method::DELETE, &format!("/api/pages/{hours}"), None)
            .await
            .status()
            .as_u16(),
        204
    );
    let after = chat("When do you open?").await;
    assert!(
        after["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["url"].as_str().unwrap_or_default().ends_with("/hours")),
        "{after}"
    );
}

/// A local server speaking the OpenAI streaming chat-completions protocol:
/// answers `reply` in two chunks, or fails with `status`.
async fn fake_llm(reply: &'static str, status: u16) -> SocketAddr {
    let app = Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || async move {
            if status != 200 {
                let body = json!({"error": {"message": "nope", "type": "server_error"}});
                return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
            }
            let (first, second) = reply.split_at(reply.len() / 2);
            let event = |text: &str| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"delta": {"content": text}}]})
                )
            };
            let body = format!("{}{}data: [DONE]\n\n", event(first), event(second));
            ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

async fn ask_with_llm(llm: SocketAddr) -> Value {
    let app = spawn_app_with(
        move |c| {
            c.jobs.poll_millis = 50;
            c.answers.llm.base_url = Some(format!("http://{llm}/v1/").parse().unwrap());
            c.answers.llm.model = "local-test-model".to_owned();
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at nine in the morning.".to_vec(),
    )];
    let uploaded: Value = upload(&app, &owner, id, files)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        wait_job(&app, &owner, uploaded["job_id"].as_i64().unwrap()).await["status"],
        "succeeded"
    );
    let body =
        json!({"visitor_id": crate::helpers::visitor(), "message": "When does the shop open?"});
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    app.public(
        Method::POST,
        &path,
        Some("https://shop.example.com"),
        Some(&body),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_configured_llm_answers_and_its_failures_fall_back_to_the_extractive_answer() {
    let answered = ask_with_llm(fake_llm("We open at nine. [1]", 200).await).await;
    assert_eq!(answered["answer"], "We open at nine. [1]", "{answered}");
    assert_eq!(answered["sources"][0]["title"], "hours.txt");
    let fallback = ask_with_llm(fake_llm("", 500).await).await;
    let answer = fallback["answer"].as_str().unwrap();
    assert!(
        answer.contains("Our shop opens at nine in the morning.") && answer.contains("[1]"),
        "{fallback}"
    );
}

/// Two instances on one PostgreSQL database: what one trains or deletes,
/// the other answers from (or stops citing) on its next request, because
/// every instance keys its in-memory index by the stored knowledge version.
#[tokio::test]
async fn two_instances_on_one_postgresql_database_answer_from_the_same_knowledge() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let url = db.url().to_owned();
    let on_postgres = |workers: usize| {
        let url = url.clone();
        move |c: &mut witzo_server::config::Config| {
            c.database_url = Some(url.into());
            c.jobs.workers = workers;
            c.jobs.poll_millis = 50;
        }
    };
    let a = spawn_app_with(on_postgres(1), AppOptions::default()).await;
    let b = spawn_app_with(on_postgres(0), AppOptions::default()).await;
    let owner = a.sign_in("ada@example.com").await;
    let widget = a.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at nine in the morning.".to_vec(),
    )];
    let uploaded: Value = upload(&a, &owner, id, files)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        wait_job(&a, &owner, uploaded["job_id"].as_i64().unwrap()).await["status"],
        "succeeded"
    );

    let ask = |app: &TestApp| {
        let body =
            json!({"visitor_id": crate::helpers::visitor(), "message": "When does the shop open?"});
        let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
        let request = app
            .client
            .post(app.url(&path))
            .header("origin", "https://shop.example.com")
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let from_b = ask(&b).await;
    assert!(
        from_b["answer"].as_str().unwrap().contains("opens at nine"),
        "{from_b}"
    );
    // Retrained on instance a (the same file name, new content): b answers
    // from the new knowledge at once.
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at ten in the morning.".to_vec(),
    )];
    let uploaded: Value = upload(&a, &owner, id, files)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        wait_job(&a, &owner, uploaded["job_id"].as_i64().unwrap()).await["status"],
        "succeeded"
    );
    let retrained = ask(&b).await;
    let answer = retrained["answer"].as_str().unwrap();
    assert!(answer.contains("opens at ten"), "{retrained}");
    assert!(!answer.contains("nine"), "{retrained}");

    let sources: Vec<Value> = a
        .get_as(&owner, &format!("/api/widgets/{id}/sources"))
        .await
        .json()
        .await
        .unwrap();
    let source = sources[0]["source"]["id"].as_i64().unwrap();
    let pages: Value = a
        .get_as(&owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    let page = pages["pages"][0]["id"].as_i64().unwrap();
    assert_eq!(
        a.send_as(&owner, Method::DELETE, &format!("/api/pages/{page}"), None)
            .await
            .status()
            .as_u16(),
        204
    );
    let after = ask(&b).await;
    assert!(
        after["answer"]
            .as_str()
            .unwrap()
            .starts_with("I don't have any knowledge yet"),
        "{after}"
    );
    assert_eq!(after["sources"], json!([]));
}

/// Sets every page of a 12-page site to one edition of its text.
fn edition(site: &Site, edition: &str) {
    let links: Vec<String> = (1..=12).map(|i| format!("/t{i}")).collect();
    let refs: Vec<&str> = links.iter().map(String::as_str).collect();
    site.set(
        "/",
        &page(
            "Tea shop",
            &format!("Every tea ships in {edition} tins."),
            &refs,
        ),
    );
    for i in 1..=12 {
        site.set(
            &format!("/t{i}"),
            &page(
                &format!("Tea {i}"),
                &format!("Tea number {i} ships in {edition} tins from the garden."),
                &["/"],
            ),
        );
    }
}

#[tokio::test]
async fn answers_during_a_retrain_come_from_the_old_or_the_new_knowledge_never_a_mix() {
    let site = Site::default();
    edition(&site, "copper");
    let addr = start_site(site.clone()).await;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            c.jobs.poll_millis = 50;
            crate::helpers::unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    // Questions are asked until the retrain ends: more than Free's allowance.
    app.state
        .store
        .set_plan(owner.account, "enterprise", 1)
        .await
        .unwrap();
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let (source, job) = add_site(&app, &owner, id, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");

    edition(&site, "silver");
    site.delay_ms
        .store(40, std::sync::atomic::Ordering::Relaxed);
    let retrain: Value = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/sources/{source}/retrain"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let job = retrain["job_id"].as_i64().unwrap();
    let widget_id = witzo_store::domain::WidgetId::from_raw(id);
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    let question = "Which tins does the tea ship in?";
    let mut seen = HashMap::new();
    loop {
        let view: Value = app
            .get_as(&owner, &format!("/api/jobs/{job}"))
            .await
            .json()
            .await
            .unwrap();
        let index = app
            .state
            .indexes
            .get(&app.state.store, widget_id)
            .await
            .unwrap();
        let found = index.search(question, None);
        let editions: std::collections::BTreeSet<&str> = found
            .passages
            .iter()
            .flat_map(|p| {
                ["copper", "silver"]
                    .into_iter()
                    .filter(|e| p.text.contains(e))
            })
            .collect();
        assert_eq!(
            editions.len(),
            1,
            "one edition per answer: {:?}",
            found.passages
        );
        *seen
            .entry(editions.into_iter().next().unwrap().to_owned())
            .or_insert(0) += 1;
        // The same through the chat API: never an error, never a mix.
        let reply = app
            .client
            .post(app.url(&path))
            .header("origin", "https://shop.example.com")
            .json(&json!({"visitor_id": crate::helpers::visitor(), "message": question}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200);
        let answer = reply.json::<Value>().await.unwrap()["answer"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !(answer.contains("copper") && answer.contains("silver")),
            "{answer}"
        );
        if view["status"] == "succeeded" {
            break;
        }
        assert!(
            matches!(view["status"].as_str(), Some("queued" | "running")),
            "{view}"
        );
    }
    assert!(
        seen.get("copper").is_some_and(|n| *n > 1),
        "questions were asked mid-retrain: {seen:?}"
    );
    let index = app
        .state
        .indexes
        .get(&app.state.store, widget_id)
        .await
        .unwrap();
    let after = index.search(question, None);
    assert!(
        after.passages.iter().all(|p| p.text.contains("silver")),
        "{:?}",
        after.passages
    );
}
