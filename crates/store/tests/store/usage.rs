use witzo_store::Store;
use witzo_store::conversations::{Begun, NewMessage, Opening};
use witzo_store::domain::{AccountId, Role, WidgetId};
use witzo_store::usage::{Notice, Take, Taken, add_month};

use crate::analytics::visit;
use crate::widgets::fields;
use crate::{email, store_test};

/// A visitor's turn on `widget` of `account`, taking from its allowance.
async fn take(store: &Store, account: AccountId, widget: WidgetId, n: u32) -> Begun {
    let visit = visit("v_1");
    let conversation = format!("c_{n:032x}");
    let opening = Opening {
        widget,
        public_id: None,
        new_public_id: &conversation,
        visit: &visit,
    };
    let message = NewMessage {
        public_id: &format!("m_{n:032x}"),
        role: Role::Visitor,
        body: "Hours?",
        sources: "[]",
        latency_ms: None,
    };
    store
        .begin_turn(Some(account), &opening, &message, None, 1_000)
        .await
        .unwrap()
}

store_test!(
    fifty_concurrent_turns_with_ten_left_are_granted_exactly_ten,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1_000)
            .await
            .unwrap();
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        store.set_usage(ada.id, 90).await.unwrap();
        let turns = (0..50)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { take(&store, ada.id, widget.id, n).await })
            })
            .collect::<Vec<_>>();
        let mut granted = Vec::new();
        let mut refused = 0;
        for turn in turns {
            match turn.await.unwrap() {
                Begun::Started {
                    take:
                        Some(Take {
                            taken: Taken::Granted(usage),
                            limit,
                            webhooks,
                        }),
                    ..
                } => {
                    // Free: 100 conversations a month.
                    assert_eq!(limit, Some(100));
                    assert!(!webhooks);
                    granted.push(usage.used);
                }
                Begun::Refused(Take {
                    taken: Taken::Refused(usage),
                    limit,
                    ..
                }) => {
                    assert_eq!((usage.used, limit), (100, Some(100)));
                    refused += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        granted.sort_unstable();
        assert_eq!(
            granted,
            (91..=100).collect::<Vec<_>>(),
            "each its own count"
        );
        assert_eq!(refused, 40);
        assert_eq!(store.usage(ada.id).await.unwrap().used, 100);
        let stored = store
            .conversations_of(ada.id, widget.id, 100)
            .await
            .unwrap();
        assert_eq!(stored.len(), 10, "a refused turn writes nothing");
        // Unlimited plans always take, and still count.
        store.set_plan(ada.id, "enterprise", 1_000).await.unwrap();
        assert!(matches!(
            take(&store, ada.id, widget.id, 50).await,
            Begun::Started {
                take: Some(Take { taken: Taken::Granted(u), limit: None, webhooks: false }),
                ..
            } if u.used == 101
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
