use std::sync::Arc;

use witzo_store::Store;
use witzo_store::analytics::Period;
use witzo_store::conversations::{NewMessage, Visit};
use witzo_store::domain::{AccountId, Role, WidgetEventKind, WidgetId};
use witzo_store::leads::NewLead;
use witzo_store::privacy::ReportSettings;
use witzo_store::widgets::WidgetFields;

use crate::{email, say, store_test};

pub async fn account_with_widgets(
    store: &Store,
    address: &str,
    n: usize,
) -> (AccountId, Vec<WidgetId>) {
    let account = store.create_account(&email(address), 1).await.unwrap();
    let mut widgets = Vec::new();
    for i in 0..n {
        let fields = WidgetFields {
            name: "Shop",
            allowed_domains: &[],
            settings: "{}",
        };
        let key = format!("wk_{address}_{i}");
        let w = store
            .create_widget(account.id, &key, &fields, None, 1)
            .await
            .unwrap();
        widgets.push(w.id);
    }
    (account.id, widgets)
}

pub fn visit(visitor: &str) -> Visit<'_> {
    Visit {
        visitor_id: visitor,
        origin: "https://shop.example.com",
        page_url: "",
        preview: false,
    }
}

fn message<'a>(id: &'a str, role: Role, body: &'a str) -> NewMessage<'a> {
    NewMessage {
        public_id: id,
        role,
        body,
        sources: "[]",
        latency_ms: None,
    }
}

/// One visitor's turn: a conversation, a question and an answer.
pub async fn turn(
    store: &Store,
    widget: WidgetId,
    visitor: &str,
    question: &str,
    refused: bool,
    at: i64,
) -> (i64, String) {
    let conversation = format!("c_{}", hex(rand::random::<u128>()));
    let q = format!("m_{}", hex(rand::random::<u128>()));
    let asked = message(&q, Role::Visitor, question);
    let (id, _) = say(
        store,
        widget,
        None,
        &conversation,
        &visit(visitor),
        &asked,
        at,
    )
    .await;
    let a = format!("m_{}", hex(rand::random::<u128>()));
    let answer = message(&a, Role::Assistant, "An answer.");
    store
        .add_answer(id, &answer, refused, Some((widget, question)), None, at)
        .await
        .unwrap();
    (id, a)
}

fn hex(n: u128) -> String {
    format!("{n:032x}")
}

store_test!(
    rollups_equal_a_recount_after_ten_thousand_concurrent_events,
    |store: Store| async move {
        let (_, widgets) = account_with_widgets(&store, "ada@example.com", 3).await;
        let store = Arc::new(store);
        let widgets = Arc::new(widgets);
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let (store, widgets) = (store.clone(), widgets.clone());
                tokio::spawn(async move {
                    let mut answers: Vec<(WidgetId, String, String, i64)> = Vec::new();
                    let mut conversations: Vec<(WidgetId, i64, String, String)> = Vec::new();
                    for _ in 0..625u32 {
                        let r: u32 = rand::random();
                        let widget = widgets[(r % 3) as usize];
                        // Three days, quarter hours crossed at random.
                        let at = 1_800_000_000 + i64::from(rand::random::<u32>() % 259_200);
                        let visitor = format!("v_{:032x}", (task * 10 + (r % 10) as usize) as u128);
                        match (r >> 8) % 6 {
                            0 => {
                                let kind = if r.is_multiple_of(2) {
                                    WidgetEventKind::WidgetLoaded
                                } else {
                                    WidgetEventKind::Opened
                                };
                                store
                                    .record_widget_event(widget, kind, &visit(&visitor), at)
                                    .await
                                    .unwrap();
                            }
                            1 => {
                                let public = format!("c_{:032x}", rand::random::<u128>());
                                let m = format!("m_{:032x}", rand::random::<u128>());
                                let hello = message(&m, Role::Visitor, "Hello");
                                // One in five is the owner's preview:
                                // neither it nor its messages count.
                                let opened = Visit {
                                    preview: r.is_multiple_of(5),
                                    ..visit(&visitor)
                                };
                                let (id, _) =
                                    say(&store, widget, None, &public, &opened, &hello, at).await;
                                conversations.push((widget, id, public, visitor));
                            }
                            2 | 3 if !conversations.is_empty() => {
                                let (widget, id, conversation, visitor) =
                                    conversations[(r as usize / 7) % conversations.len()].clone();
                                let public = format!("m_{:032x}", rand::random::<u128>());
                                if r.is_multiple_of(2) {
                                    let hours = message(&public, Role::Visitor, "Hours?");
                                    let continued = say(
                                        &store,
                                        widget,
                                        Some(&conversation),
                                        "c_unused",
                                        &visit(&visitor),
                                        &hours,
                                        at,
                                    )
                                    .await;
                                    assert_eq!(continued.0, id);
                                } else {
                                    store
                                        .add_answer(
                                            id,
                                            &message(&public, Role::Assistant, "9-5"),
                                            r.is_multiple_of(3),
                                            None,
                                            None,
                                            at,
                                        )
                                        .await
                                        .unwrap();
                                    answers.push((widget, visitor, public, at));
                                }
                            }
                            4 if !answers.is_empty() => {
                                let (widget, visitor, public, _) =
                                    &answers[(r as usize / 5) % answers.len()];
                                let rating = if r.is_multiple_of(2) { 1 } else { -1 };
                                store
                                    .rate_message(*widget, visitor, public, rating, "")
                                    .await
                                    .unwrap();
                            }
                            _ => {
                                let lead = NewLead {
                                    visitor_id: &visitor,
                                    email: "x@example.com",
                                    ..NewLead::default()
                                };
                                store.add_lead(widget, &lead, None, at).await.unwrap();
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let rollups = store.rollup_rows().await.unwrap();
        assert!(rollups.len() > 100, "events spread over many quarter hours");
        assert_eq!(rollups, store.recount_rollups().await.unwrap());
    }
);

store_test!(
    a_day_ends_at_midnight_in_the_accounts_offset,
    |store: Store| async move {
        let (account, widgets) = account_with_widgets(&store, "ada@example.com", 1).await;
        store
            .set_report_settings(
                account,
                &ReportSettings {
                    retention_days: None,
                    utc_offset_minutes: 60,
                    gap_digest: 0,
                },
            )
            .await
            .unwrap();
        // 2027-01-15 22:59:59 UTC is 23:59:59 at UTC+1; a second later, the 16th.
        let day = 17_911;
        let midnight = (day + 1) * 86_400 - 3_600;
        turn(
            &store,
            widgets[0],
            "v_1",
            "Before midnight?",
            false,
            midnight - 1,
        )
        .await;
        turn(&store, widgets[0], "v_2", "After midnight?", true, midnight).await;
        let period = |offset_minutes| Period {
            account,
            widget: None,
            from_day: day - 1,
            to_day: day + 3,
            offset_minutes,
        };
        let days = store.analytics_days(&period(60)).await.unwrap();
        let per_day: Vec<(i64, i64, i64, i64)> = days
            .iter()
            .map(|d| (d.day, d.counts.conversations, d.counts.refused, d.visitors))
            .collect();
        assert_eq!(per_day, [(day, 1, 0, 1), (day + 1, 1, 1, 1)]);
        let utc = store.analytics_days(&period(0)).await.unwrap();
        // Counts follow the offset asked for; distinct visitors keep the day
        // they were counted on (the offset when they came).
        let counted: Vec<(i64, i64)> = utc
            .iter()
            .filter(|d| d.counts.conversations > 0)
            .map(|d| (d.day, d.counts.conversations))
            .collect();
        assert_eq!(counted, [(day, 2)]);
        let hours = store.analytics_hours(&period(60)).await.unwrap();
        assert_eq!((hours[23], hours[0]), (1, 1));
        let top = store
            .analytics_top_questions(&period(60), 10)
            .await
            .unwrap();
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].question, "after midnight");
    }
);

store_test!(
    compacted_visitor_days_keep_their_counts_without_the_ids,
    |store: Store| async move {
        let (account, widgets) = account_with_widgets(&store, "ada@example.com", 2).await;
        for i in 0..300i64 {
            let visitor = format!("v_{:032x}", i % 120);
            store
                .record_widget_event(
                    widgets[(i % 2) as usize],
                    WidgetEventKind::WidgetLoaded,
                    &visit(&visitor),
                    86_400 * (10 + i % 3),
                )
                .await
                .unwrap();
        }
        let period = Period {
            account,
            widget: None,
            from_day: 10,
            to_day: 13,
            offset_minutes: 0,
        };
        let exact = store.analytics_visitors(&period).await.unwrap();
        assert_eq!(exact, 120);
        let per_day: i64 = store
            .analytics_days(&period)
            .await
            .unwrap()
            .iter()
            .map(|d| d.visitors)
            .sum();
        assert_eq!(
            per_day, 120,
            "each visitor comes back to one widget on one day"
        );
        assert_eq!(store.compact_visitors(12).await.unwrap(), 4);
        // Days 10 and 11 hold no ids any more; day 12 has not ended.
        assert_eq!(
            store
                .rows_holding("v_00000000000000000000000000000007")
                .await
                .unwrap()[4],
            ("analytics_visitors", 0)
        );
        assert_eq!(
            store
                .rows_holding("v_00000000000000000000000000000002")
                .await
                .unwrap()[4],
            ("analytics_visitors", 1)
        );
        let estimated = store.analytics_visitors(&period).await.unwrap();
        assert!((estimated - 120).abs() <= 6, "{estimated}");
        let per_day_after: i64 = store
            .analytics_days(&period)
            .await
            .unwrap()
            .iter()
            .map(|d| d.visitors)
            .sum();
        assert_eq!(per_day_after, per_day, "day counts stay exact");
    }
);
