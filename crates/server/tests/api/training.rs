//! Training from a website through the real app: a local site crawled by
//! the background worker, re-scrapes that re-process only what changed,
//! cancellation, plan limits, SSRF refusals at the API, deletion and
//! tenant isolation.

use reqwest::Method;
use serde_json::json;
use witzo_server::app::AppOptions;

use crate::helpers::site::page;
use crate::helpers::{
    Owner, TestApp, app_crawling, error, error_code, no_workers, shop, spawn_app, spawn_app_with,
    start_site,
};

/// Every page of `source` as (url, outcome, reason), sorted.
async fn outcomes(app: &TestApp, owner: &Owner, source: i64) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = app
        .source(owner, source)
        .await
        .pages
        .into_iter()
        .map(|p| (p.url, p.outcome, p.reason))
        .collect();
    rows.sort();
    rows
}

/// The one test of the background worker in this process: nothing but the
/// running app takes the jobs (others drain them in the test).
#[tokio::test]
async fn a_website_is_crawled_in_the_background_and_rescrapes_reprocess_only_changes() {
    let site = shop(3);
    let addr = start_site(site.clone()).await;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            c.jobs.poll_millis = 50;
            c.jobs.lease_secs = 5;
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    let base = format!("http://{addr}");
    let (source, job) = app.add_site(&owner, widget, &format!("{base}/")).await;
    let done = app.wait_job(&owner, job).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
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
    let progress = done.progress();
    assert_eq!(
        (progress["stage"].as_str(), progress["indexed"].as_u64()),
        (Some("done"), Some(4))
    );
    let knowledge = app.knowledge(widget).await;
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
    site.remove("/p3");
    let again = app.retrain(&owner, source).await;
    let done = app.wait_job(&owner, again).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
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
    let knowledge = app.knowledge(widget).await;
    assert_eq!(knowledge.len(), 3, "the removed page left the knowledge");
}

#[tokio::test]
async fn a_job_can_be_cancelled_and_every_source_retrained() {
    let addr = start_site(shop(2)).await;
    // No workers: the job stays queued until cancelled.
    let app = app_crawling(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    let (_, job) = app
        .add_site(&owner, widget, &format!("http://{addr}/"))
        .await;
    assert_eq!(app.job(&owner, job).await.status, "queued");
    assert_eq!(app.cancel_job(&owner, job).await.status().as_u16(), 204);
    assert_eq!(app.job(&owner, job).await.status, "cancelled");
    assert_eq!(
        error_code(app.cancel_job(&owner, job).await, 404).await,
        "not_found"
    );
    let ids = app.retrain_all(&owner, widget).await;
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], job, "a new job after the cancelled one");
    // A worker now runs it to the end.
    assert_eq!(app.drain_jobs().await, 1, "the cancelled job is not run");
    assert_eq!(app.job(&owner, ids[0]).await.status, "succeeded");
}

#[tokio::test]
async fn the_sixteenth_page_on_the_free_plan_is_not_indexed_and_says_why() {
    let addr = start_site(shop(20)).await;
    let app = app_crawling(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    let (source, job) = app
        .add_site(&owner, widget, &format!("http://{addr}/"))
        .await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, job).await.status, "succeeded");
    let rows = outcomes(&app, &owner, source).await;
    assert_eq!(rows.iter().filter(|r| r.1 == "indexed").count(), 15);
    let limited: Vec<_> = rows
        .iter()
        .filter(|r| r.2 == "plan limit: 15 pages on the Free plan")
        .collect();
    assert_eq!(limited.len(), 1, "{rows:?}");
    assert_eq!(limited[0].1, "skipped");
    assert_eq!(
        app.source(&owner, source).await.source.last_error,
        "Stopped at the plan limit of 15 pages (Free plan)."
    );
    let more = app
        .add_source(
            &owner,
            widget,
            &json!({"url": format!("http://{addr}/other")}),
        )
        .await;
    let body = error(more, 403).await;
    assert_eq!(
        (
            body.code.as_str(),
            body.used,
            body.limit,
            body.plan.as_deref()
        ),
        ("plan_limit_pages", Some(15), Some(15), Some("free"))
    );
}

#[tokio::test]
async fn addresses_the_crawler_would_refuse_are_refused_when_added() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    for url in [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "https://example.com:8443/",
    ] {
        let response = app.add_source(&owner, widget, &json!({"url": url})).await;
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
        let response = app.add_source(&owner, widget, &body).await;
        let refused = error(response, 422).await;
        assert_eq!(refused.field.as_deref(), Some(field), "{body}");
    }
    let scheduled = app
        .add_source(
            &owner,
            widget,
            &json!({"url": "https://example.com/", "rescrape_days": 7}),
        )
        .await;
    assert_eq!(error_code(scheduled, 403).await, "plan_limit_auto_rescrape");
}

#[tokio::test]
async fn deleting_a_page_or_a_source_removes_its_knowledge_and_other_accounts_get_404() {
    let addr = start_site(shop(2)).await;
    let app = app_crawling(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    let (source, job) = app
        .add_site(&owner, widget, &format!("http://{addr}/"))
        .await;
    app.drain_jobs().await;
    let bob = app.sign_in("bob@example.com").await;
    let page_id = app.source(&owner, source).await.pages[0].id;
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
    let before = app.knowledge(widget).await.len();
    assert_eq!(
        app.delete_page(&owner, page_id).await.status().as_u16(),
        204
    );
    assert_eq!(app.knowledge(widget).await.len(), before - 1);
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
    assert!(app.knowledge(widget).await.is_empty());
}

/// A website the widget already has is refused (409 `conflict`, field
/// `url`), however its address is spelt, and when adds race only one
/// lands.
#[tokio::test]
async fn the_same_website_twice_is_refused_and_a_race_adds_it_once() {
    let on_postgres = witzo_store::testing::TestDatabase::postgres().await;
    let mut apps = vec![spawn_app_with(no_workers, AppOptions::default()).await];
    if let Some(db) = &on_postgres {
        let url = db.url().to_owned();
        let app = spawn_app_with(
            move |c| {
                c.database_url = Some(url.clone().into());
                c.jobs.workers = 0;
            },
            AppOptions::default(),
        )
        .await;
        apps.push(app);
    }
    for app in &apps {
        let owner = app.sign_in("ada@example.com").await;
        let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
        let first = app
            .add_source(&owner, widget, &json!({"url": "https://example.com/docs"}))
            .await;
        assert_eq!(first.status().as_u16(), 202);
        for spelling in ["https://example.com/docs", "HTTPS://Example.COM:443/docs"] {
            let again = app
                .add_source(&owner, widget, &json!({"url": spelling, "max_depth": 1}))
                .await;
            let refused = error(again, 409).await;
            assert_eq!(
                (refused.code.as_str(), refused.field.as_deref()),
                ("conflict", Some("url")),
                "{spelling}"
            );
        }
        assert_eq!(app.sources(&owner, widget).await.len(), 1);

        let blog = json!({"url": "https://example.com/blog"});
        let racing =
            futures_util::future::join_all((0..4).map(|_| app.add_source(&owner, widget, &blog)))
                .await;
        let mut statuses: Vec<u16> = racing.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [202, 409, 409, 409]);
        assert_eq!(app.sources(&owner, widget).await.len(), 2);
    }
}
