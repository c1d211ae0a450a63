use std::collections::HashSet;

use witzo_store::Store;
use witzo_store::domain::{PageId, SourceId};
use witzo_store::jobs::{JobStatus, Task};

use crate::store_test;

/// `n` real sources (jobs point at them), with no job queued yet.
async fn sources(store: &Store, n: usize) -> Vec<SourceId> {
    let (ada, widget) = crate::sources::ada_with_widget(store).await;
    let mut ids = Vec::new();
    for n in 0..n {
        // A widget has each website once.
        let site = witzo_store::sources::NewWebsite {
            url: &format!("https://s{n}.example.com/"),
            ..crate::sources::SITE
        };
        let (source, _) = store
            .create_website(ada.id, widget.id, &site, 0)
            .await
            .unwrap();
        ids.push(source.id);
    }
    store
        .execute_for_test("DELETE FROM jobs WHERE $1 = $1", "")
        .await;
    ids
}

store_test!(
    a_due_job_is_claimed_once_and_completed,
    |store: Store| async move {
        let source = sources(&store, 1).await[0];
        let id = store
            .enqueue_job(Task::Crawl(source), 100, 3, 90)
            .await
            .unwrap();
        assert_eq!(store.claim_job(30, 99).await.unwrap(), None, "not due yet");
        let job = store.claim_job(30, 100).await.unwrap().unwrap();
        assert_eq!(
            (job.id, job.task, job.attempts),
            (id, Task::Crawl(source), 1)
        );
        assert_eq!(
            store.claim_job(30, 101).await.unwrap(),
            None,
            "leased to its worker"
        );
        store.complete_job(id, 102).await.unwrap();
        assert_eq!(
            store.job_state(id).await.unwrap().status,
            JobStatus::Succeeded
        );
        assert_eq!(store.claim_job(30, 1_000).await.unwrap(), None);
    }
);

store_test!(
    concurrent_workers_never_claim_the_same_job,
    |store: Store| async move {
        for source in sources(&store, 10).await {
            store
                .enqueue_job(Task::Extract(source), 0, 1, 0)
                .await
                .unwrap();
        }
        let mut workers = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                store.claim_job(60, 1).await.unwrap()
            }));
        }
        let mut claimed = Vec::new();
        for worker in workers {
            if let Some(job) = worker.await.unwrap() {
                claimed.push(job.id);
            }
        }
        let unique: HashSet<_> = claimed.iter().collect();
        assert_eq!(claimed.len(), 10);
        assert_eq!(unique.len(), 10);
    }
);

store_test!(
    a_failed_job_is_retried_with_backoff_until_it_runs_out_of_attempts,
    |store: Store| async move {
        let source = sources(&store, 1).await[0];
        let id = store
            .enqueue_job(Task::Reextract(source), 0, 2, 0)
            .await
            .unwrap();
        let first = store.claim_job(60, 0).await.unwrap().unwrap();
        let state = store.fail_job(&first, "timeout", 5).await.unwrap();
        assert_eq!(
            (state.status, state.attempts, state.run_at),
            (JobStatus::Queued, 1, 15)
        );
        assert_eq!(state.last_error.as_deref(), Some("timeout"));
        assert_eq!(store.claim_job(60, 14).await.unwrap(), None);
        let second = store.claim_job(60, 15).await.unwrap().unwrap();
        assert_eq!((second.id, second.attempts), (id, 2));
        let state = store.fail_job(&second, "timeout again", 20).await.unwrap();
        assert_eq!((state.status, state.attempts), (JobStatus::Failed, 2));
        assert_eq!(store.claim_job(60, 100_000).await.unwrap(), None);
    }
);

store_test!(
    a_job_whose_worker_died_is_claimed_again_after_its_lease,
    |store: Store| async move {
        let source = sources(&store, 1).await[0];
        let id = store
            .enqueue_job(Task::Reextract(source), 0, 2, 0)
            .await
            .unwrap();
        store.claim_job(60, 0).await.unwrap().unwrap();
        assert_eq!(store.claim_job(60, 59).await.unwrap(), None);
        let again = store.claim_job(60, 61).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (id, 2));
        // Its last attempt dies too: the job is failed, not claimed forever.
        assert_eq!(store.claim_job(60, 200).await.unwrap(), None);
        let state = store.job_state(id).await.unwrap();
        assert_eq!(
            (state.status, state.last_error.as_deref()),
            (JobStatus::Failed, Some("worker lease expired"))
        );
    }
);

store_test!(
    a_job_row_no_worker_can_read_is_failed_and_the_next_one_claimed,
    |store: Store| async move {
        let ids = sources(&store, 2).await;
        let good = store
            .enqueue_job(Task::Crawl(ids[0]), 0, 3, 0)
            .await
            .unwrap();
        let bad = store
            .enqueue_job(Task::Crawl(ids[1]), 0, 3, 0)
            .await
            .unwrap();
        let damage = |id: witzo_store::domain::JobId, kind: &str, payload: &str| {
            format!(
                "UPDATE jobs SET kind = '{kind}', payload = '{payload}' WHERE id = {} AND $1 = $1",
                id.get()
            )
        };
        let damaged = [
            damage(bad, "teleport", "{}"),
            damage(good, "crawl", r#"{"source_id":"x"}"#),
        ];
        for sql in damaged {
            assert_eq!(store.execute_for_test(&sql, "").await, 1);
        }
        assert_eq!(store.claim_job(60, 1).await.unwrap(), None);
        for (id, why) in [
            (
                good,
                "unreadable crawl payload: invalid type: string \"x\", expected i64 at line 1 column 16",
            ),
            (bad, "unknown job kind \"teleport\""),
        ] {
            let state = store.job_state(id).await.unwrap();
            assert_eq!(
                (state.status, state.last_error.as_deref()),
                (JobStatus::Failed, Some(why))
            );
        }
    }
);

store_test!(a_source_runs_one_job_at_a_time, |store: Store| async move {
    let ids = sources(&store, 2).await;
    let (site, other) = (ids[0], ids[1]);
    let crawl = store.enqueue_job(Task::Crawl(site), 0, 3, 0).await.unwrap();
    let page = store
        .enqueue_job(Task::CrawlPage(site, PageId::from_raw(7)), 0, 3, 0)
        .await
        .unwrap();
    let elsewhere = store
        .enqueue_job(Task::Crawl(other), 0, 3, 0)
        .await
        .unwrap();
    let first = store.claim_job(60, 1).await.unwrap().unwrap();
    assert_eq!((first.id, first.task), (crawl, Task::Crawl(site)));
    // The page of the same site waits; another source's job does not.
    let second = store.claim_job(60, 2).await.unwrap().unwrap();
    assert_eq!(second.id, elsewhere);
    assert_eq!(store.claim_job(60, 3).await.unwrap(), None);
    store.complete_job(crawl, 4).await.unwrap();
    let third = store.claim_job(60, 5).await.unwrap().unwrap();
    assert_eq!(
        (third.id, third.task),
        (page, Task::CrawlPage(site, PageId::from_raw(7)))
    );
});

store_test!(
    a_job_claimed_while_its_source_is_busy_goes_back_uncounted,
    |store: Store| async move {
        let site = sources(&store, 1).await[0];
        let crawl = store.enqueue_job(Task::Crawl(site), 0, 3, 0).await.unwrap();
        let first = store.claim_job(60, 1).await.unwrap().unwrap();
        assert!(!store.source_busy(&first, 1).await.unwrap());
        // A second job of the site, as if claimed at the same instant.
        let page = store
            .enqueue_job(Task::CrawlPage(site, PageId::from_raw(7)), 0, 3, 0)
            .await
            .unwrap();
        store
            .execute_for_test(
                "UPDATE jobs SET status = 'running', attempts = 1, locked_until = 61 WHERE kind = $1",
                "crawl_page",
            )
            .await;
        let second = witzo_store::jobs::Job {
            id: page,
            task: Task::CrawlPage(site, PageId::from_raw(7)),
            attempts: 1,
            max_attempts: 3,
        };
        assert!(store.source_busy(&second, 2).await.unwrap());
        assert!(store.source_busy(&first, 2).await.unwrap());
        store.release_job(&second, 10, 2).await.unwrap();
        let state = store.job_state(page).await.unwrap();
        assert_eq!(
            (state.status, state.attempts, state.run_at),
            (JobStatus::Queued, 0, 10)
        );
        assert!(!store.source_busy(&first, 3).await.unwrap());
        // A lease that ran out does not keep the source busy.
        assert!(!store.source_busy(&second, 62).await.unwrap());
        store.complete_job(crawl, 11).await.unwrap();
        let again = store.claim_job(60, 12).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (page, 1));
    }
);
