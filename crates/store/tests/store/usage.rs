use witzo_store::Store;
use witzo_store::usage::{Notice, Take, Taken, add_month};

use crate::{email, store_test};

store_test!(
    fifty_concurrent_takes_with_ten_left_grant_exactly_ten,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1_000)
            .await
            .unwrap();
        store.set_usage(ada.id, 90).await.unwrap();
        let takes = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.take_conversation(ada.id).await.unwrap() })
            })
            .collect::<Vec<_>>();
        let mut granted = 0;
        let mut refused = 0;
        for take in takes {
            // Free: 100 conversations a month.
            let Take {
                taken,
                limit,
                webhooks,
            } = take.await.unwrap();
            assert_eq!(limit, Some(100));
            assert!(!webhooks);
            match taken {
                Taken::Granted(_) => granted += 1,
                Taken::Refused(usage) => {
                    assert_eq!(usage.used, 100);
                    refused += 1;
                }
            }
        }
        assert_eq!((granted, refused), (10, 40));
        assert_eq!(store.usage(ada.id).await.unwrap().used, 100);
        // Unlimited plans always take, and still count.
        store.set_plan(ada.id, "enterprise", 1_000).await.unwrap();
        assert!(matches!(
            store.take_conversation(ada.id).await.unwrap(),
            Take { taken: Taken::Granted(u), limit: None, webhooks: false } if u.used == 101
        ));
    }
);

store_test!(
    the_cycle_resets_once_on_its_date_even_when_run_twice,
    |store: Store| async move {
        let start = 1_767_225_600; // 2026-01-01 00:00 UTC
        let ada = store
            .create_account(&email("ada@example.com"), start)
            .await
            .unwrap();
        store.set_usage(ada.id, 42).await.unwrap();
        let due = add_month(start);
        assert_eq!(store.reset_due_usage(due - 1).await.unwrap(), 0);
        assert_eq!(store.usage(ada.id).await.unwrap().used, 42);
        assert_eq!(store.reset_due_usage(due).await.unwrap(), 1);
        assert_eq!(
            store.reset_due_usage(due).await.unwrap(),
            0,
            "twice changes nothing"
        );
        let usage = store.usage(ada.id).await.unwrap();
        assert_eq!((usage.used, usage.cycle_start), (0, due));
        assert_eq!(usage.resets_at(), add_month(due));
        // Months missed while nothing ran are caught up to the current cycle.
        let later = add_month(add_month(add_month(due)));
        assert_eq!(store.reset_due_usage(later + 5).await.unwrap(), 1);
        assert_eq!(store.usage(ada.id).await.unwrap().cycle_start, later);
    }
);

store_test!(
    each_notice_is_claimed_once_per_cycle,
    |store: Store| async move {
        let start = 1_767_225_600;
        let ada = store
            .create_account(&email("ada@example.com"), start)
            .await
            .unwrap();
        let claims = (0..10)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .claim_notice(ada.id, Notice::Warning, start)
                        .await
                        .unwrap()
                })
            })
            .collect::<Vec<_>>();
        let mut won = 0;
        for claim in claims {
            won += i32::from(claim.await.unwrap());
        }
        assert_eq!(won, 1, "concurrent claims: exactly one sends");
        assert!(
            store
                .claim_notice(ada.id, Notice::Exhausted, start)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_notice(ada.id, Notice::Exhausted, start)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_notice(ada.id, Notice::Warning, add_month(start))
                .await
                .unwrap(),
            "not for a cycle that has not begun"
        );
        store.reset_due_usage(add_month(start)).await.unwrap();
        assert!(
            store
                .claim_notice(ada.id, Notice::Warning, add_month(start))
                .await
                .unwrap()
        );
    }
);
