//! The inbox's filters and pages, forgetting a visitor, and retention.

use witzo_store::Store;
use witzo_store::analytics::Period;
use witzo_store::domain::WidgetEventKind;
use witzo_store::inbox::{Cursor, InboxFilter};
use witzo_store::leads::NewLead;
use witzo_store::privacy::ReportSettings;
use witzo_store::webhooks::NewWebhook;

use crate::analytics::{account_with_widgets, turn, visit};
use crate::store_test;

store_test!(
    filters_search_and_keyset_pages_return_exactly_the_matching_conversations,
    |store: Store| async move {
        let (ada, widgets) = account_with_widgets(&store, "ada@example.com", 2).await;
        let (bob, bob_widgets) = account_with_widgets(&store, "bob@example.com", 1).await;
        let mut refused = Vec::new();
        let mut all = Vec::new();
        for i in 0..30i64 {
            let widget = widgets[(i % 2) as usize];
            let question = if i % 3 == 0 {
                "Do you sell gift cards?"
            } else {
                "What are your opening hours?"
            };
            let (id, answer) = turn(
                &store,
                widget,
                &format!("v_{i}"),
                question,
                i % 5 == 0,
                1_000 + i,
            )
            .await;
            if i % 5 == 0 {
                refused.push(id);
            }
            if i == 7 {
                store
                    .rate_message(widget, "v_7", &answer, -1, "")
                    .await
                    .unwrap();
            }
            all.push(id);
        }
        turn(
            &store,
            bob_widgets[0],
            "v_b",
            "gift cards for bob",
            true,
            2_000,
        )
        .await;
        let ids = |rows: Vec<witzo_store::inbox::InboxRow>| {
            rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
        };
        let newest_first: Vec<i64> = all.iter().rev().copied().collect();
        let filter = InboxFilter::default();
        assert_eq!(
            ids(store.inbox(ada, &filter, None, 100).await.unwrap()),
            newest_first
        );
        // Keyset pages of 7 add up to the whole list, in order.
        let mut paged = Vec::new();
        let mut after: Option<Cursor> = None;
        loop {
            let page = store.inbox(ada, &filter, after, 7).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|r| r.cursor());
            paged.extend(page.into_iter().map(|r| r.id));
        }
        assert_eq!(paged, newest_first);
        let unanswered = InboxFilter {
            unanswered: true,
            ..InboxFilter::default()
        };
        let mut got = ids(store.inbox(ada, &unanswered, None, 100).await.unwrap());
        got.sort();
        assert_eq!(got, refused);
        let rated = InboxFilter {
            rated_down: true,
            ..InboxFilter::default()
        };
        assert_eq!(
            ids(store.inbox(ada, &rated, None, 100).await.unwrap()),
            [all[7]]
        );
        let search = InboxFilter {
            search: Some(vec!["gift".into(), "CARDS".into()]),
            widget: Some(widgets[0]),
            ..InboxFilter::default()
        };
        let expected: Vec<i64> = newest_first
            .iter()
            .copied()
            .filter(|id| {
                let i = all.iter().position(|a| a == id).unwrap_or(0);
                i % 3 == 0 && i % 2 == 0
            })
            .collect();
        assert_eq!(
            ids(store.inbox(ada, &search, None, 100).await.unwrap()),
            expected
        );
        assert_eq!(
            store.inbox_count(ada, &search).await.unwrap(),
            expected.len() as i64
        );
        let range = InboxFilter {
            from: Some(1_010),
            to: Some(1_020),
            ..InboxFilter::default()
        };
        assert_eq!(store.inbox_count(ada, &range).await.unwrap(), 10);
        // Bob's widget through Ada's account: nothing.
        let bobs = InboxFilter {
            widget: Some(bob_widgets[0]),
            ..InboxFilter::default()
        };
        assert!(store.inbox(ada, &bobs, None, 100).await.unwrap().is_empty());
        assert_eq!(
            store
                .inbox_count(bob, &InboxFilter::default())
                .await
                .unwrap(),
            1
        );
        // Naughty strings as search words never fail.
        for naughty in naughty_strings::BLNS {
            let words: Vec<String> = naughty
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            let filter = InboxFilter {
                search: Some(words),
                ..InboxFilter::default()
            };
            store.inbox(ada, &filter, None, 10).await.unwrap();
        }
        // Deleting the filtered set deletes exactly it.
        assert_eq!(
            store.delete_conversations(ada, &unanswered).await.unwrap(),
            refused.len() as u64
        );
        assert_eq!(
            store.inbox_count(ada, &filter).await.unwrap(),
            30 - refused.len() as i64
        );
        assert_eq!(store.inbox_count(bob, &filter).await.unwrap(), 1);
    }
);

store_test!(
    forgetting_a_visitor_leaves_no_row_of_theirs_and_everything_of_others,
    |store: Store| async move {
        let (ada, widgets) = account_with_widgets(&store, "ada@example.com", 1).await;
        let (bob, bob_widgets) = account_with_widgets(&store, "bob@example.com", 1).await;
        let gone = "v_0000000000000000000000000000dead";
        let kept = "v_0000000000000000000000000000beef";
        for (account, widget, visitor) in [
            (ada, widgets[0], gone),
            (ada, widgets[0], kept),
            (bob, bob_widgets[0], gone),
        ] {
            store
                .record_widget_event(widget, WidgetEventKind::WidgetLoaded, &visit(visitor), 100)
                .await
                .unwrap();
            let question = format!("question of {}", &visitor[2..]);
            let (conversation, answer) = turn(&store, widget, visitor, &question, true, 100).await;
            store
                .rate_message(widget, visitor, &answer, -1, "no")
                .await
                .unwrap();
            let rows = store
                .inbox(account, &InboxFilter::default(), None, 10)
                .await
                .unwrap();
            let public = rows
                .into_iter()
                .find(|r| r.id == conversation)
                .map(|r| r.public_id)
                .unwrap();
            let address = if visitor == gone {
                "gone@example.com"
            } else {
                "kept@example.com"
            };
            let lead = NewLead {
                visitor_id: visitor,
                conversation: Some(&public),
                email: address,
                ..NewLead::default()
            };
            store.add_lead(widget, &lead, None, 100).await.unwrap();
            // The owner's webhook log holds the events that named them.
            let events = ["lead.created".to_owned()];
            let endpoint = store
                .create_webhook(
                    account,
                    &NewWebhook {
                        widget: None,
                        url: "https://hooks.example.com/in",
                        secret: "whsec_test",
                        events: &events,
                        active: true,
                    },
                    100,
                )
                .await
                .unwrap();
            let body = format!(
                r#"{{"type":"lead.created","data":{{"visitor_id":"{visitor}","contact":{{"email":"{}"}}}}}}"#,
                address.to_uppercase()
            );
            store
                .queue_deliveries(
                    account,
                    &[endpoint.id],
                    &format!("evt_{visitor}"),
                    "lead.created",
                    &body,
                    100,
                )
                .await
                .unwrap();
        }
        let before_kept = store.rows_holding(kept).await.unwrap();
        let bobs_before = store
            .inbox_count(bob, &InboxFilter::default())
            .await
            .unwrap();
        let forgotten = store
            .forget_visitor(ada, None, Some("GONE@example.com"))
            .await
            .unwrap();
        assert_eq!(
            (
                forgotten.visitors,
                forgotten.conversations,
                forgotten.leads,
                forgotten.events,
                forgotten.webhook_deliveries
            ),
            (1, 1, 1, 1, 1)
        );
        assert_eq!(
            store
                .inbox_count(bob, &InboxFilter::default())
                .await
                .unwrap(),
            bobs_before,
            "Bob's visitor is someone else"
        );
        store.forget_visitor(bob, Some(gone), None).await.unwrap();
        let left = store.rows_holding(gone).await.unwrap();
        assert!(left.iter().all(|(_, n)| *n == 0), "{left:?}");
        let left = store.rows_holding("gone@example.com").await.unwrap();
        assert!(left.iter().all(|(_, n)| *n == 0), "{left:?}");
        assert_eq!(
            store.rows_holding(kept).await.unwrap(),
            before_kept,
            "the other visitor keeps everything"
        );
    }
);

store_test!(
    retention_deletes_old_conversations_and_keeps_the_counts,
    |store: Store| async move {
        let (ada, widgets) = account_with_widgets(&store, "ada@example.com", 1).await;
        let (bob, bob_widgets) = account_with_widgets(&store, "bob@example.com", 1).await;
        let now = 100 * 86_400;
        turn(
            &store,
            widgets[0],
            "v_old",
            "question of old",
            false,
            now - 31 * 86_400,
        )
        .await;
        turn(
            &store,
            widgets[0],
            "v_new",
            "new question",
            false,
            now - 29 * 86_400,
        )
        .await;
        turn(
            &store,
            bob_widgets[0],
            "v_bob",
            "bob question",
            false,
            now - 300 * 86_400,
        )
        .await;
        store
            .set_report_settings(
                ada,
                &ReportSettings {
                    retention_days: Some(30),
                    utc_offset_minutes: 0,
                    gap_digest: 0,
                },
            )
            .await
            .unwrap();
        let swept = store.sweep_retention(now).await.unwrap();
        assert_eq!(swept.conversations, 1);
        assert!(
            store
                .rows_holding("v_old")
                .await
                .unwrap()
                .iter()
                .all(|(_, n)| *n == 0)
        );
        assert!(
            store
                .rows_holding("v_old")
                .await
                .unwrap()
                .iter()
                .all(|(_, n)| *n == 0)
        );
        assert_eq!(
            store
                .inbox_count(ada, &InboxFilter::default())
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .inbox_count(bob, &InboxFilter::default())
                .await
                .unwrap(),
            1,
            "Bob keeps forever"
        );
        let period = Period {
            account: ada,
            widget: None,
            from_day: 0,
            to_day: 200,
            offset_minutes: 0,
        };
        assert_eq!(
            store.analytics_totals(&period).await.unwrap().conversations,
            2,
            "counts stay"
        );
    }
);
