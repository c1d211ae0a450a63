use witzo_store::Store;
use witzo_store::accounts::Account;
use witzo_store::domain::PageStatus;
use witzo_store::domain::{JobId, PageId, PageKind};
use witzo_store::jobs::{JobStatus, Task};
use witzo_store::sources::{NewChunk, NewWebsite, PageOutcome};
use witzo_store::widgets::{Widget, WidgetFields};

use crate::{email, store_test};

/// An account and one widget of it, the owner of every source below.
pub async fn ada_with_widget(store: &Store) -> (Account, Widget) {
    let ada = store
        .create_account(&email("ada@example.com"), 1)
        .await
        .unwrap();
    let fields = WidgetFields {
        name: "W",
        allowed_domains: &[],
        settings: "{}",
    };
    let widget = store
        .create_widget(ada.id, "wk_a", &fields, None, 1)
        .await
        .unwrap();
    (ada, widget)
}

pub const SITE: NewWebsite<'static> = NewWebsite {
    url: "https://shop.example.com/",
    max_depth: 3,
    include_paths: "",
    exclude_paths: "/admin",
    rescrape_days: Some(7),
};

/// A page indexed as one chunk holding its whole text.
pub fn indexed(text: &'static str, hash: &'static str) -> PageOutcome<'static> {
    let chunks = vec![NewChunk {
        heading_path: "T".to_owned(),
        text: text.to_owned(),
        vector: vec![0, 0, 128, 63],
    }];
    PageOutcome::Indexed {
        title: "T",
        lang: "en",
        text,
        content_hash: hash,
        etag: "\"e\"",
        last_modified: "",
        model: "test-model",
        chunks: Box::leak(chunks.into_boxed_slice()),
    }
}

/// The texts of a widget's live chunks.
pub async fn live_texts(store: &Store, widget: &Widget) -> Vec<String> {
    store
        .knowledge_of(widget.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.text)
        .collect()
}

store_test!(
    a_website_and_its_crawl_job_are_created_together_once,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        let widget = store
            .create_widget(
                ada.id,
                "wk_a",
                &WidgetFields {
                    name: "W",
                    allowed_domains: &[],
                    settings: "{}",
                },
                None,
                1,
            )
            .await
            .unwrap();
        let (source, job) = store
            .create_website(ada.id, widget.id, &SITE, 100)
            .await
            .unwrap();
        assert_eq!(
            (
                source.kind.as_str(),
                source.status.as_str(),
                source.next_rescrape_at
            ),
            ("website", "queued", Some(100 + 7 * 86_400))
        );
        assert!(matches!(
            store.create_website(bob.id, widget.id, &SITE, 100).await,
            Err(witzo_store::StoreError::NotFound)
        ));
        assert!(matches!(
            store.create_website(ada.id, widget.id, &SITE, 100).await,
            Err(witzo_store::StoreError::Conflict("url"))
        ));
        assert_eq!(store.sources_of(ada.id, widget.id).await.unwrap().len(), 1);
        assert_eq!(
            store
                .queue_source_job(ada.id, Task::Crawl(source.id), 101)
                .await
                .unwrap(),
            job,
            "one active crawl per source"
        );
        let claimed = store.claim_job(60, 100).await.unwrap().unwrap();
        assert_eq!((claimed.id, claimed.task), (job, Task::Crawl(source.id)));
        assert_eq!(
            store.job_of(ada.id, job).await.unwrap().status,
            JobStatus::Running
        );
        assert!(store.job_of(bob.id, job).await.is_err());
    }
);

store_test!(
    pages_carry_knowledge_until_they_fail_or_disappear,
    |store: Store| async move {
        let (ada, widget) = ada_with_widget(&store).await;
        let (source, run1) = store
            .create_website(ada.id, widget.id, &SITE, 100)
            .await
            .unwrap();
        let v0 = store.knowledge_version(widget.id).await.unwrap();
        for (url, text) in [
            ("https://shop.example.com/", "Home"),
            ("https://shop.example.com/a", "A"),
            ("https://shop.example.com/b", "B"),
        ] {
            store
                .record_page(
                    &source,
                    run1,
                    PageKind::Page,
                    url,
                    &indexed(text, text),
                    101,
                )
                .await
                .unwrap();
        }
        store
            .record_page(
                &source,
                run1,
                PageKind::Page,
                "https://shop.example.com/x",
                &PageOutcome::NoKnowledge {
                    outcome: PageStatus::Skipped,
                    reason: "robots",
                },
                101,
            )
            .await
            .unwrap();
        assert_eq!(store.finish_run(&source, run1, true).await.unwrap(), 0);
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Page)
                .await
                .unwrap(),
            3
        );
        assert!(store.knowledge_version(widget.id).await.unwrap() > v0);
        assert_eq!(
            store
                .known_page(source.id, "https://shop.example.com/a")
                .await
                .unwrap()
                .unwrap()
                .content_hash,
            "A"
        );
        assert_eq!(
            store
                .known_page(source.id, "https://shop.example.com/x")
                .await
                .unwrap(),
            None
        );

        // A second run: / unchanged, /a now 404, /b gone from the site.
        let run2 = JobId::from_raw(run1.get() + 1);
        store
            .record_page(
                &source,
                run2,
                PageKind::Page,
                "https://shop.example.com/",
                &PageOutcome::Unchanged,
                200,
            )
            .await
            .unwrap();
        store
            .record_page(
                &source,
                run2,
                PageKind::Page,
                "https://shop.example.com/a",
                &PageOutcome::NoKnowledge {
                    outcome: PageStatus::Failed,
                    reason: "HTTP 404",
                },
                200,
            )
            .await
            .unwrap();
        assert_eq!(
            store.finish_run(&source, run2, true).await.unwrap(),
            2,
            "/b and /x were not seen"
        );
        assert_eq!(live_texts(&store, &widget).await, ["Home"]);
        let pages = store.pages_of(ada.id, source.id).await.unwrap();
        let outcomes: Vec<(&str, &str)> = pages
            .iter()
            .map(|p| (p.outcome.as_str(), p.reason.as_str()))
            .collect();
        assert_eq!(outcomes, [("unchanged", ""), ("failed", "HTTP 404")]);
        assert_eq!(pages[0].chars, 4);
    }
);

store_test!(
    documents_are_queued_with_their_bytes_and_deleting_removes_knowledge,
    |store: Store| async move {
        let (ada, widget) = ada_with_widget(&store).await;
        let source = store.documents_source(ada.id, widget.id, 10).await.unwrap();
        assert_eq!(
            store
                .documents_source(ada.id, widget.id, 11)
                .await
                .unwrap()
                .id,
            source.id
        );
        let job = store
            .add_documents(
                &source,
                ada.id,
                &[
                    ("a.txt".into(), b"hello".to_vec()),
                    ("b.csv".into(), b"x,y".to_vec()),
                ],
                12,
            )
            .await
            .unwrap();
        let queued = store.queued_documents(source.id, false).await.unwrap();
        assert_eq!(
            queued
                .iter()
                .map(|(_, name, bytes, known)| (name.as_str(), bytes.len(), *known))
                .collect::<Vec<_>>(),
            [("a.txt", 5, false), ("b.csv", 3, false)]
        );
        store
            .record_page(
                &source,
                job,
                PageKind::Document,
                "a.txt",
                &indexed("hello", "h"),
                13,
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Document)
                .await
                .unwrap(),
            1
        );
        store.finish_run(&source, job, false).await.unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["hello"]);
        let page = store.pages_of(ada.id, source.id).await.unwrap()[0].id;
        store
            .delete_page(ada.id, PageId::from_raw(page))
            .await
            .unwrap();
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Document)
                .await
                .unwrap(),
            0
        );
        assert!(live_texts(&store, &widget).await.is_empty());
        store.delete_source(ada.id, source.id).await.unwrap();
        assert_eq!(
            store
                .count_for_test("SELECT COUNT(*) FROM document_files WHERE page_id > $1", 0)
                .await,
            0
        );
    }
);

store_test!(
    due_rescrapes_are_queued_once_and_rescheduled,
    |store: Store| async move {
        let (ada, widget) = ada_with_widget(&store).await;
        let (source, first) = store
            .create_website(ada.id, widget.id, &SITE, 0)
            .await
            .unwrap();
        let job = store.claim_job(60, 0).await.unwrap().unwrap();
        store.complete_job(job.id, 1).await.unwrap();
        assert!(
            store
                .queue_due_rescrapes(7 * 86_400 - 1)
                .await
                .unwrap()
                .is_empty()
        );
        // Free has no automatic re-scrapes (a downgrade stops them).
        assert!(
            store
                .queue_due_rescrapes(7 * 86_400)
                .await
                .unwrap()
                .is_empty()
        );
        store.set_plan(ada.id, "basic", 1).await.unwrap();
        let queued = store.queue_due_rescrapes(7 * 86_400).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_ne!(queued[0], first);
        assert!(
            store
                .queue_due_rescrapes(7 * 86_400)
                .await
                .unwrap()
                .is_empty(),
            "running twice changes nothing"
        );
        assert_eq!(
            store
                .source_of(ada.id, source.id)
                .await
                .unwrap()
                .next_rescrape_at,
            Some(14 * 86_400)
        );
        store
            .cancel_job(ada.id, queued[0], 8 * 86_400)
            .await
            .unwrap();
        assert_eq!(
            store.job_of(ada.id, queued[0]).await.unwrap().status,
            JobStatus::Cancelled
        );
    }
);

store_test!(
    sources_added_while_training_writes_never_fail_on_a_busy_database,
    |store: Store| async move {
        let (ada, widget) = ada_with_widget(&store).await;
        let (source, run) = store
            .create_website(ada.id, widget.id, &SITE, 100)
            .await
            .unwrap();
        // Training writes page after page while the owner adds sources:
        // every add reads (the widget, the plan) and then writes.
        let writer = {
            let store = store.clone();
            let source = source.clone();
            tokio::spawn(async move {
                for n in 0..60 {
                    let url = format!("https://shop.example.com/p{n}");
                    store
                        .record_page(
                            &source,
                            run,
                            PageKind::Page,
                            &url,
                            &indexed("Page", "h"),
                            101,
                        )
                        .await
                        .unwrap();
                }
            })
        };
        let adds: Vec<_> = (0..30)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let site = NewWebsite {
                        url: Box::leak(format!("https://s{n}.example.com/").into_boxed_str()),
                        ..SITE
                    };
                    store.create_website(ada.id, widget.id, &site, 102).await
                })
            })
            .collect();
        let mut failures = Vec::new();
        for add in adds {
            if let Err(err) = add.await.unwrap() {
                failures.push(err.to_string());
            }
        }
        writer.await.unwrap();
        assert_eq!(failures, Vec::<String>::new());
        assert_eq!(store.sources_of(ada.id, widget.id).await.unwrap().len(), 31);
    }
);
