use std::collections::HashSet;

use witzo_store::Store;

use crate::store_test;

store_test!(
    a_due_job_is_claimed_once_and_completed,
    |store: Store| async move {
        let id = store
            .enqueue_job("crawl", r#"{"source":1}"#, 100, 3, 90)
            .await
            .unwrap();
        assert_eq!(store.claim_job(30, 99).await.unwrap(), None, "not due yet");
        let job = store.claim_job(30, 100).await.unwrap().unwrap();
        assert_eq!(
            (
                job.id,
                job.kind.as_str(),
                job.payload.as_str(),
                job.attempts
            ),
            (id, "crawl", r#"{"source":1}"#, 1)
        );
        assert_eq!(
            store.claim_job(30, 101).await.unwrap(),
            None,
            "leased to its worker"
        );
        store.complete_job(id, 102).await.unwrap();
        assert_eq!(store.job_state(id).await.unwrap().status, "succeeded");
        assert_eq!(store.claim_job(30, 1_000).await.unwrap(), None);
    }
);

store_test!(
    concurrent_workers_never_claim_the_same_job,
    |store: Store| async move {
        for n in 0..10 {
            store
                .enqueue_job("k", &n.to_string(), 0, 1, 0)
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
        let id = store.enqueue_job("k", "{}", 0, 2, 0).await.unwrap();
        let first = store.claim_job(60, 0).await.unwrap().unwrap();
        let state = store.fail_job(&first, "timeout", 5).await.unwrap();
        assert_eq!(
            (state.status.as_str(), state.attempts, state.run_at),
            ("queued", 1, 15)
        );
        assert_eq!(state.last_error.as_deref(), Some("timeout"));
        assert_eq!(store.claim_job(60, 14).await.unwrap(), None);
        let second = store.claim_job(60, 15).await.unwrap().unwrap();
        assert_eq!((second.id, second.attempts), (id, 2));
        let state = store.fail_job(&second, "timeout again", 20).await.unwrap();
        assert_eq!((state.status.as_str(), state.attempts), ("failed", 2));
        assert_eq!(store.claim_job(60, 100_000).await.unwrap(), None);
    }
);

store_test!(
    a_job_whose_worker_died_is_claimed_again_after_its_lease,
    |store: Store| async move {
        let id = store.enqueue_job("k", "{}", 0, 2, 0).await.unwrap();
        store.claim_job(60, 0).await.unwrap().unwrap();
        assert_eq!(store.claim_job(60, 59).await.unwrap(), None);
        let again = store.claim_job(60, 61).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (id, 2));
        // Its last attempt dies too: the job is failed, not claimed forever.
        assert_eq!(store.claim_job(60, 200).await.unwrap(), None);
        let state = store.job_state(id).await.unwrap();
        assert_eq!(
            (state.status.as_str(), state.last_error.as_deref()),
            ("failed", Some("worker lease expired"))
        );
    }
);
