//! Owners and visitors writing at once while a crawl writes: no answer of
//! 500 or above, and every change the server accepted is stored. Run on
//! SQLite (one writer at a time, the default) and on PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use witzo_app::config::Config;
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::{SHOP, shop, spawn_app_with, start_site, unlimited_rates, visitor};
/// Writes of each kind (source, widget edit, lead) sent during the crawl.
const EACH: usize = 200;
/// Requests in flight at once, under the listener's per-address cap.
const IN_FLIGHT: usize = 200;

#[derive(Clone, Copy)]
enum Write {
    Source,
    WidgetEdit,
    Lead,
}

async fn writes_during_a_crawl(database_url: Option<String>) {
    let site = start_site(shop(500)).await;
    let app = spawn_app_with(
        move |c: &mut Config| {
            c.crawler.allow = vec![site];
            c.jobs.poll_millis = 50;
            unlimited_rates(c);
            if let Some(url) = database_url {
                c.database_url = Some(url.into());
            }
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    app.set_plan(&owner, "enterprise").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget.id;
    let (crawled, crawl) = app.add_site(&owner, id, &format!("http://{site}/")).await;

    let app = Arc::new(app);
    let owner = Arc::new(owner);
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut writes = JoinSet::new();
    for i in 0..EACH * 3 {
        let kind = [Write::Source, Write::WidgetEdit, Write::Lead][i % 3];
        let (app, owner, gate, widget) = (app.clone(), owner.clone(), gate.clone(), widget.clone());
        writes.spawn(async move {
            let _slot = gate.acquire().await.unwrap();
            let response = match kind {
                Write::Source => {
                    let body = json!({"url": format!("http://{site}/solo/{i}"), "max_depth": 0});
                    app.add_source(&owner, id, &body).await
                }
                Write::WidgetEdit => {
                    let body = json!({"name": format!("Shop {i}"), "allowed_domains": ["shop.example.com"]});
                    app.update_widget(&owner, id, &body).await
                }
                Write::Lead => {
                    let body = json!({"visitor_id": visitor(), "email": format!("lead{i}@example.com")});
                    app.contact(&widget, body).from(SHOP).send().await
                }
            };
            (i, kind, response.status().as_u16())
        });
    }

    let mut accepted_names = HashSet::new();
    let (mut sources, mut leads) = (0, 0);
    let mut statuses = Vec::new();
    while let Some(done) = writes.join_next().await {
        let (i, kind, status) = done.unwrap();
        statuses.push(status);
        match (kind, status) {
            (Write::Source, 202) => sources += 1,
            (Write::WidgetEdit, 200) => {
                accepted_names.insert(format!("Shop {i}"));
            }
            (Write::Lead, 201) => leads += 1,
            _ => {}
        }
    }
    let failed: Vec<u16> = statuses.iter().copied().filter(|s| *s >= 500).collect();
    assert_eq!(failed, Vec::<u16>::new(), "answers of 500 or above");
    assert_eq!(
        (sources, accepted_names.len(), leads),
        (EACH, EACH, EACH),
        "every write accepted"
    );

    let listed = app.sources(&owner, id).await;
    assert_eq!(listed.len(), EACH + 1, "{listed:?}");
    assert_eq!(
        app.state
            .store
            .leads_count(WidgetId::from_raw(id))
            .await
            .unwrap(),
        EACH as i64
    );
    let name = app.widget(&owner, id).await.name;
    assert!(accepted_names.contains(&name), "{name}");

    // The crawl ran in the background all along.
    let job = app.wait_job(&owner, crawl).await;
    assert_eq!(job.status, "succeeded", "{job:?}");
    let indexed = app
        .source(&owner, crawled)
        .await
        .pages
        .iter()
        .filter(|page| page.outcome == "indexed")
        .count();
    assert_eq!(indexed, 501, "the home page and its 500 products");
}

#[tokio::test]
async fn owners_and_visitors_write_during_a_crawl_on_sqlite_without_a_500() {
    writes_during_a_crawl(None).await;
}

#[tokio::test]
async fn owners_and_visitors_write_during_a_crawl_on_postgresql_without_a_500() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    writes_during_a_crawl(Some(db.url().to_owned())).await;
}
