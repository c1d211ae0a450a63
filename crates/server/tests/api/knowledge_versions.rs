//! Knowledge changes are seen whole: a second instance on the same
//! database answers from what the first trained or deleted, and answers
//! asked during a retrain come from the old or the new knowledge, never a
//! mix of both.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use witzo_app::answers::index::KnowledgeIndex;
use witzo_server::app::AppOptions;
use witzo_store::domain::WidgetId;

use crate::helpers::site::page;
use crate::helpers::views::ChatReply;
use crate::helpers::{
    SHOP, Site, TestApp, Widget, no_workers, spawn_app_with, start_site, unlimited_rates,
};

/// Two instances on one PostgreSQL database: what one trains or deletes,
/// the other answers from (or stops citing) on its next request, because
/// every instance keys its in-memory index by the stored knowledge version.
#[tokio::test]
async fn two_instances_on_one_postgresql_database_answer_from_the_same_knowledge() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let url = db.url().to_owned();
    // No background workers: instance a's jobs are drained in the test.
    let on_postgres = || {
        let url = url.clone();
        move |c: &mut witzo_app::config::Config| {
            c.database_url = Some(url.into());
            c.jobs.workers = 0;
        }
    };
    let a = spawn_app_with(on_postgres(), AppOptions::default()).await;
    let b = spawn_app_with(on_postgres(), AppOptions::default()).await;
    let owner = a.sign_in("ada@example.com").await;
    let widget = a.create_widget(&owner, &["shop.example.com"]).await;
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at nine in the morning.".to_vec(),
    )];
    let uploaded = a.upload_documents(&owner, widget.id, files).await;
    a.drain_jobs().await;
    assert_eq!(a.job(&owner, uploaded.job_id).await.status, "succeeded");

    let from_b = ask(&b, &widget).await;
    assert!(from_b.answer.contains("opens at nine"), "{from_b:?}");
    // Retrained on instance a (the same file name, new content): b answers
    // from the new knowledge at once.
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at ten in the morning.".to_vec(),
    )];
    let uploaded = a.upload_documents(&owner, widget.id, files).await;
    a.drain_jobs().await;
    assert_eq!(a.job(&owner, uploaded.job_id).await.status, "succeeded");
    let retrained = ask(&b, &widget).await;
    assert!(retrained.answer.contains("opens at ten"), "{retrained:?}");
    assert!(!retrained.answer.contains("nine"), "{retrained:?}");

    let source = a.sources(&owner, widget.id).await[0].source.id;
    let page = a.source(&owner, source).await.pages[0].id;
    assert_eq!(a.delete_page(&owner, page).await.status().as_u16(), 204);
    let after = ask(&b, &widget).await;
    assert!(
        after.answer.starts_with("I don't have any knowledge yet"),
        "{after:?}"
    );
    assert!(after.sources.is_empty(), "{after:?}");
}

/// A visitor's question to `widget` on the instance `app`.
/// Questions that reach a widget whose index is not built yet wait for one
/// build instead of each building their own; the next change of its
/// knowledge builds it once more.
#[tokio::test]
async fn concurrent_first_questions_build_the_index_once() {
    let app = spawn_app_with(
        |c| {
            unlimited_rates(c);
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at nine in the morning.".to_vec(),
    )];
    app.upload_documents(&owner, widget.id, files).await;
    app.drain_jobs().await;
    let before = app.state.indexes.builds();
    let replies = futures_util::future::join_all((0..8).map(|_| ask(&app, &widget))).await;
    assert!(
        replies.iter().all(|r| r.answer.contains("opens at nine")),
        "{replies:?}"
    );
    assert_eq!(app.state.indexes.builds() - before, 1);
    ask(&app, &widget).await;
    assert_eq!(app.state.indexes.builds() - before, 1, "cached");
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at ten in the morning.".to_vec(),
    )];
    app.upload_documents(&owner, widget.id, files).await;
    app.drain_jobs().await;
    let replies = futures_util::future::join_all((0..8).map(|_| ask(&app, &widget))).await;
    assert!(
        replies.iter().all(|r| r.answer.contains("opens at ten")),
        "{replies:?}"
    );
    assert_eq!(app.state.indexes.builds() - before, 2);
}

async fn ask(app: &TestApp, widget: &Widget) -> ChatReply {
    app.chat(widget, "When does the shop open?")
        .from(SHOP)
        .reply()
        .await
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

/// The widget's index at its current knowledge version.
async fn current_index(app: &TestApp, widget: &Widget) -> Arc<KnowledgeIndex> {
    let id = WidgetId::from_raw(widget.id);
    let version = app.state.store.knowledge_version(id).await.unwrap();
    app.state
        .indexes
        .get(&app.state.store, id, version)
        .await
        .unwrap()
}

/// The editions in the passages the widget's index finds for `question`.
async fn editions_found(app: &TestApp, widget: &Widget, question: &str) -> BTreeSet<String> {
    let index = current_index(app, widget).await;
    let found = index.search(question, None);
    let editions: BTreeSet<String> = found
        .passages
        .iter()
        .flat_map(|p| {
            ["copper", "silver"]
                .into_iter()
                .filter(|e| p.text.contains(e))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        editions.len(),
        1,
        "one edition per answer: {:?}",
        found.passages
    );
    editions
}

/// Needs the background worker: the questions are asked while it retrains.
#[tokio::test]
async fn answers_during_a_retrain_come_from_the_old_or_the_new_knowledge_never_a_mix() {
    let site = Site::default();
    edition(&site, "copper");
    let addr = start_site(site.clone()).await;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![addr];
            c.jobs.poll_millis = 50;
            unlimited_rates(c);
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
    let (source, job) = app
        .add_site(&owner, widget.id, &format!("http://{addr}/"))
        .await;
    assert_eq!(app.wait_job(&owner, job).await.status, "succeeded");

    edition(&site, "silver");
    site.slow_down(Duration::from_millis(40));
    let job = app.retrain(&owner, source).await;
    let question = "Which tins does the tea ship in?";
    let mut seen = HashMap::new();
    loop {
        let view = app.job(&owner, job).await;
        let editions = editions_found(&app, &widget, question).await;
        *seen
            .entry(editions.into_iter().next().unwrap())
            .or_insert(0) += 1;
        // The same through the chat API: never an error, never a mix.
        let answer = app.chat(&widget, question).from(SHOP).reply().await.answer;
        assert!(
            !(answer.contains("copper") && answer.contains("silver")),
            "{answer}"
        );
        if view.status == "succeeded" {
            break;
        }
        assert!(
            matches!(view.status.as_str(), "queued" | "running"),
            "{view:?}"
        );
    }
    assert!(
        seen.get("copper").is_some_and(|n| *n > 1),
        "questions were asked mid-retrain: {seen:?}"
    );
    let index = current_index(&app, &widget).await;
    let after = index.search(question, None);
    assert!(
        after.passages.iter().all(|p| p.text.contains("silver")),
        "{:?}",
        after.passages
    );
}
