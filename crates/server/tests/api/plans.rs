//! Plans as data and what a lowered limit does: nothing is deleted; pages
//! and documents over it stay stored and answering but are not
//! re-processed; leads over it are locked; new ones are refused or locked.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::{
    Owner, SHOP, Site, TestApp, Widget, error, error_code, no_workers, shop, spawn_app,
    spawn_app_with, start_site, unlimited_rates, visitor,
};

#[tokio::test]
async fn the_plans_are_seeded_with_the_product_defaults() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let view = app.billing(&owner).await;
    let plans: Vec<Value> = view["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["id"],
                p["price_cents"],
                p["conversations"],
                p["pages"],
                p["documents"],
                p["leads"],
                p["widgets"],
                p["features"]
            ])
        })
        .collect();
    assert_eq!(
        plans,
        vec![
            json!(["free", 0, 100, 15, 4, 3, 1, []]),
            json!([
                "basic",
                2000,
                1000,
                30,
                10,
                10,
                1,
                [
                    "lead_form_fallback",
                    "follow_up_email",
                    "lead_webhook",
                    "auto_rescrape"
                ]
            ]),
            json!([
                "standard",
                6000,
                5000,
                100,
                50,
                null,
                3,
                [
                    "lead_form_fallback",
                    "follow_up_email",
                    "lead_webhook",
                    "auto_rescrape"
                ]
            ]),
            json!([
                "enterprise",
                null,
                null,
                null,
                null,
                null,
                null,
                [
                    "lead_form_fallback",
                    "follow_up_email",
                    "lead_webhook",
                    "auto_rescrape",
                    "white_label",
                    "api_keys"
                ]
            ]),
        ]
    );
    assert_eq!(view["plan"]["id"], "free");
    // Enterprise includes the owner API.
    let enterprise = app.state.store.plan("enterprise").await.unwrap();
    assert!(enterprise.features.api_keys.0);
}

/// (used, limit, over_limit) of each meter, by name.
async fn meters(app: &TestApp, owner: &Owner) -> Vec<(String, Value, Value, Value)> {
    app.billing(owner).await["meters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["used"].clone(),
                m["limit"].clone(),
                m["over_limit"].clone(),
            )
        })
        .collect()
}

fn meter(name: &str, used: i64, limit: Option<i64>, over: i64) -> (String, Value, Value, Value) {
    (name.to_owned(), json!(used), json!(limit), json!(over))
}

async fn lead(app: &TestApp, widget: &Widget, n: usize) {
    let body = json!({"visitor_id": visitor(), "name": format!("Lead {n}"),
                      "email": format!("lead{n}@example.org")});
    assert_eq!(app.contact(widget, body).from(SHOP).status().await, 201);
}

/// Every page of `source` as (url, holds knowledge, over the limit).
async fn pages(app: &TestApp, owner: &Owner, source: i64) -> Vec<(String, bool, bool)> {
    app.source(owner, source)
        .await
        .pages
        .into_iter()
        .map(|p| {
            let knows = matches!(p.outcome.as_str(), "indexed" | "unchanged");
            (p.url, knows, p.over_limit)
        })
        .collect()
}

fn edition(site: &Site, n: usize, word: &str) {
    for i in 1..=n {
        site.set(
            &format!("/p{i}"),
            &format!(
                "<!doctype html><html lang=\"en\"><head><title>Product {i}</title></head><body><main>\
                 <h1>Product {i}</h1><p>Product {i} is a {word} tea from our garden.</p></main></body></html>"
            ),
        );
    }
}

#[tokio::test]
async fn a_downgrade_to_free_keeps_everything_and_marks_what_is_over_the_limits() {
    let site = shop(39); // a home page and 39 products: 40 pages
    let addr = start_site(site.clone()).await;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            no_workers(c);
            unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let store = &app.state.store;
    app.set_plan(&owner, "enterprise").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget.id;
    let (website, job) = app.add_site(&owner, id, &format!("http://{addr}/")).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, job).await.status, "succeeded");
    let files: Vec<(&'static str, Vec<u8>)> = [
        "a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt", "h.txt",
    ]
    .iter()
    .map(|name| {
        (
            *name,
            format!("Notes {name}: we brew every morning.").into_bytes(),
        )
    })
    .collect();
    let uploaded = app.upload_documents(&owner, id, files).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, uploaded.job_id).await.status, "succeeded");
    for n in 1..=12 {
        lead(&app, &widget, n).await;
    }
    let chunks_before = app.knowledge(id).await.len();
    assert_eq!(
        meters(&app, &owner).await[1..4],
        [
            meter("pages", 40, None, 0),
            meter("documents", 8, None, 0),
            meter("leads", 12, None, 0),
        ]
    );

    // The downgrade.
    app.set_plan(&owner, "free").await;
    assert_eq!(
        meters(&app, &owner).await[1..4],
        [
            meter("pages", 40, Some(15), 25),
            meter("documents", 8, Some(4), 4),
            meter("leads", 12, Some(3), 9),
        ]
    );
    let listed = pages(&app, &owner, website).await;
    assert_eq!(listed.len(), 40);
    assert!(listed.iter().all(|p| p.1), "nothing lost its knowledge");
    assert_eq!(listed.iter().filter(|p| p.2).count(), 25);
    assert!(
        listed[..15].iter().all(|p| !p.2),
        "the oldest 15 stay within the limit"
    );
    assert_eq!(
        app.knowledge(id).await.len(),
        chunks_before,
        "every chunk still answers"
    );
    let source_page = app
        .page_as(&owner, &format!("/app/sources/{website}"))
        .await;
    assert_eq!(source_page.matches("data-over-limit=\"1\"").count(), 25);

    // Chat keeps answering, from the pages over the limit too.
    let reply = app
        .chat(&widget, "Tell me about Product 39")
        .from(SHOP)
        .reply()
        .await;
    assert!(
        reply.urls().iter().any(|u| u.ends_with("/p39")),
        "{reply:?}"
    );

    // Re-training re-processes only what is within the limit.
    edition(&site, 39, "smoky");
    let job = app.retrain(&owner, website).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, job).await.status, "succeeded");
    let knowledge = app.knowledge(id).await;
    let text_of = |path: &str| {
        knowledge
            .iter()
            .filter(|k| k.url.ends_with(path))
            .map(|k| k.text.clone())
            .collect::<String>()
    };
    assert!(text_of("/p1").contains("smoky"), "{}", text_of("/p1"));
    assert!(text_of("/p39").contains("fine tea"), "{}", text_of("/p39"));
    assert!(!text_of("/p39").contains("smoky"));
    let listed = pages(&app, &owner, website).await;
    assert_eq!(
        (
            listed.len(),
            listed.iter().filter(|p| p.1).count(),
            listed.iter().filter(|p| p.2).count()
        ),
        (40, 40, 25)
    );
    let documents = store
        .sources_of(owner.account, WidgetId::from_raw(id))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.kind == witzo_store::domain::SourceKind::Documents)
        .unwrap();
    let job = app.retrain(&owner, documents.id.get()).await;
    app.drain_jobs().await;
    let done = app.job(&owner, job).await;
    assert_eq!(done.status, "succeeded");
    let progress = done.progress();
    assert_eq!(
        (&progress["total"], &progress["indexed"]),
        (&json!(4), &json!(4)),
        "{progress}"
    );
    assert_eq!(
        meters(&app, &owner).await[1..3],
        [
            meter("pages", 40, Some(15), 25),
            meter("documents", 8, Some(4), 4)
        ]
    );

    // No automatic re-scrape on Free.
    let scheduled = app
        .send_as(
            &owner,
            Method::PUT,
            &format!("/api/sources/{website}/schedule"),
            Some(&json!({"rescrape_days": 7})),
        )
        .await;
    assert_eq!(error_code(scheduled, 403).await, "plan_limit_auto_rescrape");

    // New pages and documents are refused, with the figures and the plan that lifts it.
    let more = app
        .add_source(&owner, id, &json!({"url": format!("http://{addr}/other")}))
        .await;
    let body = error(more, 403).await;
    assert_eq!(
        (
            body.code.as_str(),
            body.used,
            body.limit,
            body.plan.as_deref(),
            body.upgrade_to.as_deref()
        ),
        (
            "plan_limit_pages",
            Some(40),
            Some(15),
            Some("free"),
            Some("standard")
        )
    );
    let refused = app
        .upload(&owner, id, vec![("i.txt", b"More notes.".to_vec())])
        .await;
    let body = error(refused, 403).await;
    assert_eq!(
        (
            body.code.as_str(),
            body.used,
            body.limit,
            body.upgrade_to.as_deref()
        ),
        ("plan_limit_documents", Some(8), Some(4), Some("basic"))
    );
    // A new lead is kept, locked.
    lead(&app, &widget, 13).await;
    assert_eq!(
        meters(&app, &owner).await[3],
        meter("leads", 13, Some(3), 10)
    );
    // Locked leads are listed without their details; the oldest three show.
    let listed = app.leads(&owner).await;
    let visible: Vec<&str> = listed
        .iter()
        .filter_map(|l| l.contact.as_ref()?.email.as_deref())
        .collect();
    assert_eq!(
        visible,
        [
            "lead3@example.org",
            "lead2@example.org",
            "lead1@example.org"
        ]
    );
    assert_eq!(listed.len(), 13);
    assert!(
        listed
            .iter()
            .filter(|l| l.locked)
            .all(|l| l.contact.is_none())
    );
    let page = app.page_as(&owner, "/app/leads").await;
    assert_eq!(page.matches("data-locked-lead=\"1\"").count(), 10);
    assert!(
        !page.contains("lead13@example.org"),
        "a locked lead's details stay hidden"
    );
    assert!(page.contains("lead1@example.org"));

    // An upgrade lifts every mark at once.
    app.set_plan(&owner, "enterprise").await;
    assert_eq!(
        meters(&app, &owner).await[1..4],
        [
            meter("pages", 40, None, 0),
            meter("documents", 8, None, 0),
            meter("leads", 13, None, 0),
        ]
    );
    let page = app.page_as(&owner, "/app/leads").await;
    assert!(
        page.contains("lead13@example.org"),
        "an upgrade shows every lead"
    );
}
