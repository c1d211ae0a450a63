//! Plans as data and what a lowered limit does: nothing is deleted; pages
//! and documents over it stay stored and answering but are not
//! re-processed; leads over it are locked; new ones are refused or locked.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::{TestApp, error_code, spawn_app_with, unlimited_rates, visitor};
use crate::training::{Site, add_site, shop, start_site, upload, wait_job};

#[tokio::test]
async fn the_plans_are_seeded_with_the_product_defaults() {
    let app = spawn_app_with(|_| {}, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let view: Value = app
        .get_as(&owner, "/api/billing")
        .await
        .json()
        .await
        .unwrap();
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
}

/// (used, limit, over_limit) of each meter, by name.
async fn meters(
    app: &TestApp,
    owner: &crate::helpers::Owner,
) -> Vec<(String, Value, Value, Value)> {
    let view: Value = app
        .get_as(owner, "/api/billing")
        .await
        .json()
        .await
        .unwrap();
    view["meters"]
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

async fn lead(app: &TestApp, key: &str, n: usize) {
    let response = app
        .public(
            Method::POST,
            &format!("/v1/contact?key={key}"),
            Some("https://shop.example.com"),
            Some(
                &json!({"visitor_id": visitor(), "name": format!("Lead {n}"),
                         "email": format!("lead{n}@example.org")}),
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
}

/// Every page of `source` as (url, holds knowledge, over the limit).
async fn pages(
    app: &TestApp,
    owner: &crate::helpers::Owner,
    source: i64,
) -> Vec<(String, bool, bool)> {
    let detail: Value = app
        .get_as(owner, &format!("/api/sources/{source}"))
        .await
        .json()
        .await
        .unwrap();
    detail["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["url"].as_str().unwrap().to_owned(),
                matches!(p["outcome"].as_str(), Some("indexed" | "unchanged")),
                p["over_limit"].as_bool().unwrap(),
            )
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
            c.jobs.poll_millis = 50;
            c.jobs.lease_secs = 5;
            unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let store = &app.state.store;
    store
        .set_plan(owner.account, "enterprise", witzo_store::now())
        .await
        .unwrap();
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let (id, key) = (
        widget["id"].as_i64().unwrap(),
        widget["key"].as_str().unwrap().to_owned(),
    );
    let (website, job) = add_site(&app, &owner, id, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
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
    for n in 1..=12 {
        lead(&app, &key, n).await;
    }
    let chunks_before = store
        .knowledge_of(WidgetId::from_raw(id))
        .await
        .unwrap()
        .len();
    assert_eq!(
        meters(&app, &owner).await[1..4],
        [
            meter("pages", 40, None, 0),
            meter("documents", 8, None, 0),
            meter("leads", 12, None, 0),
        ]
    );

    // The downgrade.
    store
        .set_plan(owner.account, "free", witzo_store::now())
        .await
        .unwrap();
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
        store
            .knowledge_of(WidgetId::from_raw(id))
            .await
            .unwrap()
            .len(),
        chunks_before,
        "every chunk still answers"
    );
    let source_page = app
        .get_as(&owner, &format!("/app/sources/{website}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(source_page.matches("data-over-limit=\"1\"").count(), 25);

    // Chat keeps answering, from the pages over the limit too.
    let reply: Value = app
        .public(
            Method::POST,
            &format!("/v1/chat?key={key}"),
            Some("https://shop.example.com"),
            Some(&json!({"visitor_id": visitor(), "message": "Tell me about Product 39"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        reply["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["url"].as_str().is_some_and(|u| u.ends_with("/p39"))),
        "{reply}"
    );

    // Re-training re-processes only what is within the limit.
    edition(&site, 39, "smoky");
    let retrain = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/sources/{website}/retrain"),
            None,
        )
        .await;
    assert_eq!(retrain.status().as_u16(), 202);
    let job = retrain.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
    let knowledge = store.knowledge_of(WidgetId::from_raw(id)).await.unwrap();
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
        .find(|s| s.kind == "documents")
        .unwrap();
    let retrain = app
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/sources/{}/retrain", documents.id.get()),
            None,
        )
        .await;
    let job = retrain.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let done = wait_job(&app, &owner, job).await;
    assert_eq!(done["status"], "succeeded");
    let progress: Value = serde_json::from_str(done["progress"].as_str().unwrap()).unwrap();
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
        .send_as(
            &owner,
            Method::POST,
            &format!("/api/widgets/{id}/sources"),
            Some(&json!({"url": format!("http://{addr}/other")})),
        )
        .await;
    assert_eq!(more.status().as_u16(), 403);
    let body: Value = more.json().await.unwrap();
    assert_eq!(
        (
            &body["code"],
            &body["used"],
            &body["limit"],
            &body["plan"],
            &body["upgrade_to"]
        ),
        (
            &json!("plan_limit_pages"),
            &json!(40),
            &json!(15),
            &json!("free"),
            &json!("standard")
        )
    );
    let refused = upload(&app, &owner, id, vec![("i.txt", b"More notes.".to_vec())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        (
            &body["code"],
            &body["used"],
            &body["limit"],
            &body["upgrade_to"]
        ),
        (
            &json!("plan_limit_documents"),
            &json!(8),
            &json!(4),
            &json!("basic")
        )
    );
    // A new lead is kept, locked.
    lead(&app, &key, 13).await;
    assert_eq!(
        meters(&app, &owner).await[3],
        meter("leads", 13, Some(3), 10)
    );
    // Locked leads are listed without their details; the oldest three show.
    let listed: Vec<Value> = app.get_as(&owner, "/api/leads").await.json().await.unwrap();
    let visible: Vec<&str> = listed
        .iter()
        .filter_map(|l| l["contact"]["email"].as_str())
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
            .filter(|l| l["locked"] == true)
            .all(|l| l["contact"].is_null())
    );
    let page = app.get_as(&owner, "/app/leads").await.text().await.unwrap();
    assert_eq!(page.matches("data-locked-lead=\"1\"").count(), 10);
    assert!(
        !page.contains("lead13@example.org"),
        "a locked lead's details stay hidden"
    );
    assert!(page.contains("lead1@example.org"));

    // An upgrade lifts every mark at once.
    store
        .set_plan(owner.account, "enterprise", witzo_store::now())
        .await
        .unwrap();
    assert_eq!(
        meters(&app, &owner).await[1..4],
        [
            meter("pages", 40, None, 0),
            meter("documents", 8, None, 0),
            meter("leads", 13, None, 0),
        ]
    );
    let page = app.get_as(&owner, "/app/leads").await.text().await.unwrap();
    assert!(
        page.contains("lead13@example.org"),
        "an upgrade shows every lead"
    );
}
