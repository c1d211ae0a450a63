//! Training runs: a run's pages and chunks go live all at once, and the
//! knowledge answered from is never a mix of two runs.

use witzo_store::Store;
use witzo_store::domain::{JobId, PageId, PageKind};
use witzo_store::sources::PageOutcome;

use crate::sources::{SITE, ada_with_widget, indexed, live_texts};
use crate::store_test;

store_test!(
    a_training_run_goes_live_all_at_once,
    |store: Store| async move {
        let (ada, widget) = ada_with_widget(&store).await;
        let (source, run1) = store
            .create_website(ada.id, widget.id, &SITE, 100)
            .await
            .unwrap();
        let (a, b) = ("https://shop.example.com/a", "https://shop.example.com/b");
        store
            .record_page(
                &source,
                run1,
                PageKind::Page,
                a,
                &indexed("old A", "a1"),
                101,
            )
            .await
            .unwrap();
        assert!(
            live_texts(&store, &widget).await.is_empty(),
            "nothing is live before the first run ends"
        );
        store
            .record_page(
                &source,
                run1,
                PageKind::Page,
                b,
                &indexed("old B", "b1"),
                101,
            )
            .await
            .unwrap();
        store.finish_run(&source, run1, true).await.unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["old A", "old B"]);

        // A re-crawl: while it runs, answers still see the old knowledge.
        let run2 = JobId::from_raw(run1.get() + 1);
        let before = store.knowledge_version(widget.id).await.unwrap();
        store
            .record_page(
                &source,
                run2,
                PageKind::Page,
                a,
                &indexed("new A", "a2"),
                201,
            )
            .await
            .unwrap();
        // A retried attempt writes the page again: replaced, not doubled.
        store
            .record_page(
                &source,
                run2,
                PageKind::Page,
                a,
                &indexed("new A", "a2"),
                202,
            )
            .await
            .unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["old A", "old B"]);
        assert_eq!(store.knowledge_version(widget.id).await.unwrap(), before);
        store
            .record_page(
                &source,
                run2,
                PageKind::Page,
                b,
                &indexed("new B", "b2"),
                203,
            )
            .await
            .unwrap();
        store.finish_run(&source, run2, true).await.unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["new A", "new B"]);
        assert!(store.knowledge_version(widget.id).await.unwrap() > before);
        assert_eq!(
            store
                .count_for_test(
                    "SELECT COUNT(*) FROM chunks WHERE widget_id = $1",
                    widget.id.get()
                )
                .await,
            2,
            "older runs' chunks are gone"
        );

        // A run that died after re-indexing A (never finished), then a run
        // that finds A unchanged: A's newest chunks, matching its stored
        // text, are the ones carried live.
        let run3 = JobId::from_raw(run2.get() + 1);
        store
            .record_page(
                &source,
                run3,
                PageKind::Page,
                a,
                &indexed("newer A", "a3"),
                301,
            )
            .await
            .unwrap();
        let run4 = JobId::from_raw(run3.get() + 1);
        for url in [a, b] {
            store
                .record_page(
                    &source,
                    run4,
                    PageKind::Page,
                    url,
                    &PageOutcome::Unchanged,
                    401,
                )
                .await
                .unwrap();
        }
        store.finish_run(&source, run4, true).await.unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["newer A", "new B"]);

        // A page deleted by its owner leaves the live knowledge at once.
        let page_b = store
            .pages_of(ada.id, source.id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.url == b)
            .unwrap();
        store
            .delete_page(ada.id, PageId::from_raw(page_b.id))
            .await
            .unwrap();
        assert_eq!(live_texts(&store, &widget).await, ["newer A"]);
    }
);
