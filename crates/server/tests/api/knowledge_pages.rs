//! The dashboard's knowledge buttons, as forms without JavaScript send
//! them: retrain every source, cancel a job, fetch one page or extract one
//! document again, and read the text extracted from one. Each on SQLite
//! and on PostgreSQL; another account's ids are not found.

use reqwest::Method;
use serde_json::Value;
use witzo_app::config::Config;
use witzo_server::app::AppOptions;
use witzo_store::testing::TestDatabase;

use crate::helpers::site::{coffee_page, coffee_shop, start_site};
use crate::helpers::{TestApp, header, spawn_app_with};

/// The `data-code` of a dashboard error page, with its status.
async fn refused(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let marker = "data-code=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no error code in {html}"))
        + marker.len();
    (status, html[at..].split('"').next().unwrap().to_owned())
}

async fn job_kind(app: &TestApp, owner: &crate::helpers::Owner, job: i64) -> String {
    let job: Value = app.get_json(owner, &format!("/api/jobs/{job}")).await;
    job["kind"].as_str().unwrap().to_owned()
}

/// The newest job of a source, as the JSON API lists it.
async fn newest_job(app: &TestApp, owner: &crate::helpers::Owner, source: i64) -> (i64, String) {
    let detail: Value = app.get_json(owner, &format!("/api/sources/{source}")).await;
    let job = &detail["job"];
    (
        job["id"].as_i64().unwrap(),
        job["kind"].as_str().unwrap().to_owned(),
    )
}

async fn the_knowledge_buttons_work_and_keep_to_their_owner(database: Option<&TestDatabase>) {
    let site = coffee_shop();
    let addr = start_site(site.clone()).await;
    let url = database.map(|db| db.url().to_owned());
    let app = spawn_app_with(
        move |c: &mut Config| {
            c.crawler.allow = vec![addr];
            c.jobs.workers = 0;
            if let Some(url) = url {
                c.database_url = Some(url.into());
            }
        },
        AppOptions::default(),
    )
    .await;
    let maria = app.sign_in("maria@example.com").await;
    let widget = app.create_widget(&maria, &["shop.example.com"]).await;
    let (source, job) = app
        .add_site(&maria, widget.id, &format!("http://{addr}/"))
        .await;

    // Cancel the queued crawl with the button: back to its source, cancelled.
    let cancel = app
        .post_form(&maria, &format!("/app/jobs/{job}/cancel"), &[])
        .await;
    assert_eq!(cancel.status().as_u16(), 303);
    assert_eq!(
        header(&cancel, "location"),
        Some(format!("/app/sources/{source}?notice=cancelled").as_str())
    );
    assert_eq!(app.job(&maria, job).await.status, "cancelled");
    // A job that has ended cannot be cancelled again.
    let again = app
        .post_form(&maria, &format!("/app/jobs/{job}/cancel"), &[])
        .await;
    assert_eq!(refused(again).await, (404, "not_found".to_owned()));

    // Retrain all: every source queued again; the crawl then succeeds.
    let all = app
        .post_form(&maria, &format!("/app/widgets/{}/retrain", widget.id), &[])
        .await;
    assert_eq!(all.status().as_u16(), 303);
    assert_eq!(
        header(&all, "location"),
        Some(format!("/app/widgets/{}/sources?notice=retrain_all", widget.id).as_str())
    );
    let (crawl, kind) = newest_job(&app, &maria, source).await;
    assert_eq!(kind, "crawl");
    assert_ne!(crawl, job);
    app.drain_jobs().await;
    assert_eq!(app.job(&maria, crawl).await.status, "succeeded");
    let about = app.source(&maria, source).await.page("/about").id;
    let menu = app.source(&maria, source).await.page("/menu").id;

    // The extracted text, with its exact length, on its page and in the API.
    let text: Value = app.get_json(&maria, &format!("/api/pages/{about}")).await;
    let extracted = text["text"].as_str().unwrap().to_owned();
    assert!(
        extracted.contains("Bean There was founded in 2012 by Maria Lopez"),
        "{extracted}"
    );
    let chars = i64::try_from(extracted.chars().count()).unwrap();
    assert_eq!(text["chars"].as_i64(), Some(chars));
    assert_eq!(text["source_id"].as_i64(), Some(source));
    let page = app.page_as(&maria, &format!("/app/pages/{about}")).await;
    assert!(
        page.contains(&format!(r#"data-chars="{chars}">({chars} characters)"#)),
        "{page}"
    );
    assert!(page.contains("Bean There was founded in 2012 by Maria Lopez"));
    let listed = app.page_as(&maria, &format!("/app/sources/{source}")).await;
    assert!(
        listed
            .contains("succeeded: 4 of 4 processed — 4 indexed, 0 unchanged, 0 skipped, 0 failed"),
        "{listed}"
    );
    assert!(
        listed.contains(&format!(
            r#"<a href="/app/pages/{about}" data-chars="{chars}">{chars} characters</a>"#
        )),
        "{listed}"
    );

    // Fetch one page again: only it changes, the rest keeps answering.
    site.set(
        "/about",
        &coffee_page(
            "About us",
            "<h1>About us</h1><p>Bean There moved to a new roastery by the river in 2025.</p>",
        ),
    );
    let one = app
        .post_form(&maria, &format!("/app/pages/{about}/retrain"), &[])
        .await;
    assert_eq!(one.status().as_u16(), 303);
    assert_eq!(
        header(&one, "location"),
        Some(format!("/app/sources/{source}?notice=page_queued").as_str())
    );
    let (single, kind) = newest_job(&app, &maria, source).await;
    assert_eq!(kind, "crawl_page");
    assert_eq!(app.drain_jobs().await, 1);
    assert_eq!(app.job(&maria, single).await.status, "succeeded");
    let detail = app.source(&maria, source).await;
    assert_eq!(detail.pages.len(), 4, "no page lost: {:?}", detail.pages);
    let text: Value = app.get_json(&maria, &format!("/api/pages/{about}")).await;
    assert!(
        text["text"]
            .as_str()
            .unwrap()
            .contains("new roastery by the river")
    );
    let menu_text: Value = app.get_json(&maria, &format!("/api/pages/{menu}")).await;
    assert_eq!(menu_text["outcome"], "indexed");
    let chunks: Vec<String> = app
        .knowledge(widget.id)
        .await
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert!(
        chunks
            .iter()
            .any(|c| c.contains("new roastery by the river")),
        "{chunks:?}"
    );
    assert!(
        chunks.iter().any(|c| c.contains("decaf beans")),
        "the menu still answers: {chunks:?}"
    );
    assert!(
        !chunks.iter().any(|c| c.contains("Maria Lopez")),
        "the old text left: {chunks:?}"
    );

    // Extract one document again.
    let uploaded = app
        .upload_documents(
            &maria,
            widget.id,
            vec![("hours.txt", b"Opening hours\n\nWe open at nine.".to_vec())],
        )
        .await;
    app.drain_jobs().await;
    assert_eq!(app.job(&maria, uploaded.job_id).await.status, "succeeded");
    let docs = app
        .sources(&maria, widget.id)
        .await
        .into_iter()
        .map(|s| s.source.id)
        .find(|id| *id != source)
        .unwrap();
    let doc = app.source(&maria, docs).await.page("hours.txt").id;
    let extract = app
        .post_form(&maria, &format!("/app/pages/{doc}/retrain"), &[])
        .await;
    assert_eq!(
        header(&extract, "location"),
        Some(format!("/app/sources/{docs}?notice=document_queued").as_str())
    );
    let (reextract, kind) = newest_job(&app, &maria, docs).await;
    assert_eq!(kind, "reextract_page");
    assert_eq!(job_kind(&app, &maria, reextract).await, "reextract_page");
    assert_eq!(app.drain_jobs().await, 1);
    assert_eq!(app.job(&maria, reextract).await.status, "succeeded");
    let doc_text: Value = app.get_json(&maria, &format!("/api/pages/{doc}")).await;
    assert_eq!(doc_text["text"], "Opening hours\n\nWe open at nine.");
    assert_eq!(doc_text["chars"], 31);
    // The JSON API queues the same job (one code path), answering 202.
    let api = app
        .send_as(
            &maria,
            Method::POST,
            &format!("/api/pages/{doc}/retrain"),
            None,
        )
        .await;
    assert_eq!(api.status().as_u16(), 202);
    let queued: Value = api.json().await.unwrap();
    assert_eq!(
        job_kind(&app, &maria, queued["job_id"].as_i64().unwrap()).await,
        "reextract_page"
    );

    // Ids that are not ids, or no one's.
    let malformed = app.post_form(&maria, "/app/pages/abc/retrain", &[]).await;
    assert_eq!(refused(malformed).await, (400, "invalid_path".to_owned()));
    let malformed = app.post_form(&maria, "/app/jobs/1x/cancel", &[]).await;
    assert_eq!(refused(malformed).await, (400, "invalid_path".to_owned()));
    let missing = app.get_as(&maria, "/app/pages/999999").await;
    assert_eq!(refused(missing).await, (404, "not_found".to_owned()));
    let missing = app
        .post_form(&maria, "/app/widgets/999999/retrain", &[])
        .await;
    assert_eq!(refused(missing).await, (404, "not_found".to_owned()));

    // Another account's ids: not found, and nothing queued or cancelled.
    let bob = app.sign_in("bob@example.com").await;
    let (running, _) = newest_job(&app, &maria, docs).await;
    for (path, form) in [
        (format!("/app/pages/{about}/retrain"), true),
        (format!("/app/pages/{doc}/retrain"), true),
        (format!("/app/jobs/{running}/cancel"), true),
        (format!("/app/widgets/{}/retrain", widget.id), true),
        (format!("/app/pages/{about}"), false),
    ] {
        let response = if form {
            app.post_form(&bob, &path, &[]).await
        } else {
            app.get_as(&bob, &path).await
        };
        assert_eq!(
            refused(response).await,
            (404, "not_found".to_owned()),
            "{path}"
        );
    }
    for (method, path) in [
        (Method::GET, format!("/api/pages/{about}")),
        (Method::POST, format!("/api/pages/{about}/retrain")),
        (Method::POST, format!("/api/jobs/{running}/cancel")),
    ] {
        let response = app.send_as(&bob, method, &path, None).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
    assert_eq!(
        app.job(&maria, running).await.status,
        "queued",
        "bob cancelled nothing"
    );
}

#[tokio::test]
async fn the_knowledge_buttons_work_and_keep_to_their_owner_on_sqlite() {
    the_knowledge_buttons_work_and_keep_to_their_owner(None).await;
}

#[tokio::test]
async fn the_knowledge_buttons_work_and_keep_to_their_owner_on_postgresql() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    the_knowledge_buttons_work_and_keep_to_their_owner(Some(&db)).await;
}
