use witzo_store::accounts::Account;
use witzo_store::conversations::{Begun, KnownAnswer, NewMessage, Opening, Visit};
use witzo_store::domain::Role;
use witzo_store::gaps::{GapOrder, GapVector};
use witzo_store::widgets::Widget;
use witzo_store::{Store, StoreError};

use crate::analytics::visit;
use crate::widgets::fields;
use crate::{email, say, store_test};

/// Ada's account with one widget.
async fn shop(store: &Store) -> (Account, Widget) {
    let ada = store
        .create_account(&email("ada@example.com"), 1)
        .await
        .unwrap();
    let widget = store
        .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 1)
        .await
        .unwrap();
    (ada, widget)
}

store_test!(
    a_failing_write_fails_alone_and_its_batch_is_still_written,
    |store: Store| async move {
        let (ada, widget) = shop(&store).await;
        // Twenty turns and, among them, an answer to a conversation that
        // does not exist, all queued at once.
        let turns: Vec<_> = (0..20u32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let visit = visit("v_1");
                    let message = NewMessage {
                        public_id: &format!("m_{n:032x}"),
                        role: Role::Visitor,
                        body: "Hours?",
                        sources: "[]",
                        latency_ms: None,
                    };
                    let conversation = format!("c_{n:032x}");
                    say(&store, widget.id, None, &conversation, &visit, &message, 5).await
                })
            })
            .collect();
        let orphan = NewMessage {
            public_id: "m_orphan",
            role: Role::Assistant,
            body: "Nine to five.",
            sources: "[]",
            latency_ms: Some(3),
        };
        let failed = store
            .add_answer(999_999, &orphan, false, None, None, 5)
            .await;
        assert!(matches!(failed, Err(StoreError::Database(_))), "{failed:?}");
        for turn in turns {
            turn.await.unwrap();
        }
        let stored = store
            .conversations_of(ada.id, widget.id, 100)
            .await
            .unwrap();
        assert_eq!(stored.len(), 20);
        assert!(stored.iter().all(|c| c.messages == 1));
    }
);

store_test!(
    a_batch_stores_every_text_exactly_as_sent,
    |store: Store| async move {
        let (_, widget) = shop(&store).await;
        // Texts that would break a batch written by hand as JSON or SQL,
        // asked at once so they share commits.
        let texts: Vec<String> = [
            "plain",
            "quote \" and 'apostrophe'",
            "back\\slash \\u0041 \\n",
            "{\"role\":\"assistant\"}",
            "line\nbreak\ttab",
            "'); DROP TABLE messages; --",
            "emoji 🦀, CJK 営業時間, RTL مرحبا",
            "$1 ? ?1 :name @x",
        ]
        .iter()
        .flat_map(|text| (0..4).map(move |n| format!("{text} #{n}")))
        .collect();
        let turns: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(n, text)| {
                let store = store.clone();
                let text = text.clone();
                tokio::spawn(async move {
                    let visit = Visit {
                        visitor_id: "v_1",
                        origin: "https://shop.example",
                        page_url: "https://shop.example/a?b=\"c\"",
                        preview: false,
                    };
                    let question = NewMessage {
                        public_id: &format!("m_q{n:031x}"),
                        role: Role::Visitor,
                        body: &text,
                        sources: "[]",
                        latency_ms: None,
                    };
                    let conversation = format!("c_{n:032x}");
                    let (id, public_id) =
                        say(&store, widget.id, None, &conversation, &visit, &question, 5).await;
                    let answer = NewMessage {
                        public_id: &format!("m_a{n:031x}"),
                        role: Role::Assistant,
                        body: &format!("re: {text}"),
                        sources: r#"[{"title":"A \"quoted\" page","url":"https://shop.example/"}]"#,
                        latency_ms: Some(i64::try_from(n).unwrap()),
                    };
                    store
                        .add_answer(id, &answer, false, Some((widget.id, &text)), None, 6)
                        .await
                        .unwrap();
                    (n, id, public_id)
                })
            })
            .collect();
        for turn in turns {
            let (n, id, public_id) = turn.await.unwrap();
            assert_eq!(public_id, format!("c_{n:032x}"));
            let stored = store.inbox_messages(&[id]).await.unwrap();
            assert_eq!(stored.len(), 2, "conversation {n}");
            assert_eq!(stored[0].public_id, format!("m_q{n:031x}"));
            assert_eq!(stored[0].body, texts[n]);
            assert_eq!(stored[0].latency_ms, None);
            assert_eq!(stored[1].public_id, format!("m_a{n:031x}"));
            assert_eq!(stored[1].body, format!("re: {}", texts[n]));
            assert_eq!(
                stored[1].sources,
                r#"[{"title":"A \"quoted\" page","url":"https://shop.example/"}]"#
            );
            assert_eq!(stored[1].latency_ms, Some(i64::try_from(n).unwrap()));
        }
    }
);

store_test!(
    a_turn_with_its_answer_known_is_stored_whole_or_not_at_all,
    |store: Store| async move {
        let (ada, widget) = shop(&store).await;
        // One conversation left this month, three whole turns at once.
        store.set_usage(ada.id, 99).await.unwrap();
        let turns: Vec<_> = (0..3u32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let visit = visit("v_1");
                    let conversation = format!("c_{n:032x}");
                    let opening = Opening {
                        widget: widget.id,
                        public_id: None,
                        new_public_id: &conversation,
                        visit: &visit,
                    };
                    let question = NewMessage {
                        public_id: &format!("m_q{n:031x}"),
                        role: Role::Visitor,
                        body: "When do you open?",
                        sources: "[]",
                        latency_ms: None,
                    };
                    let answer = KnownAnswer {
                        message: NewMessage {
                            public_id: &format!("m_a{n:031x}"),
                            role: Role::Assistant,
                            body: "I don't know that.",
                            sources: "[]",
                            latency_ms: Some(0),
                        },
                        refused: true,
                        question: Some((widget.id, "When do you open?")),
                        gap: None,
                    };
                    let begun = store
                        .begin_turn(Some(ada.id), &opening, &question, Some(&answer), 7)
                        .await
                        .unwrap();
                    (n, begun)
                })
            })
            .collect();
        let mut granted = Vec::new();
        for turn in turns {
            match turn.await.unwrap() {
                (
                    n,
                    Begun::Started {
                        conversation,
                        public_id,
                        answer: Some(answer),
                        ..
                    },
                ) => granted.push((n, conversation, public_id, answer)),
                (_, Begun::Refused(_)) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(granted.len(), 1, "{granted:?}");
        let (n, conversation, public_id, answer) = granted.remove(0);
        assert_eq!(public_id, format!("c_{n:032x}"));
        // Question then answer, in one conversation, the answer's id the
        // one given back.
        let stored = store.inbox_messages(&[conversation]).await.unwrap();
        let kept: Vec<(&str, &str, i64)> = stored
            .iter()
            .map(|m| (m.public_id.as_str(), m.body.as_str(), m.refused))
            .collect();
        let (q, a) = (format!("m_q{n:031x}"), format!("m_a{n:031x}"));
        assert_eq!(
            kept,
            [
                (q.as_str(), "When do you open?", 0),
                (a.as_str(), "I don't know that.", 1)
            ]
        );
        assert_eq!(
            store.question_of_answer(widget.id, &a).await.unwrap(),
            Some((answer, "When do you open?".to_owned()))
        );
        // The refused turns wrote nothing: one conversation in all.
        let all = store
            .conversations_of(ada.id, widget.id, 100)
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(store.usage(ada.id).await.unwrap().used, 100);
    }
);

store_test!(
    refusals_filed_in_one_batch_group_as_they_would_one_by_one,
    |store: Store| async move {
        let (ada, widget) = shop(&store).await;
        let mut opened = Vec::new();
        for n in 0..30u32 {
            let visit = visit("v_1");
            let question = NewMessage {
                public_id: &format!("m_q{n:031x}"),
                role: Role::Visitor,
                body: "?",
                sources: "[]",
                latency_ms: None,
            };
            let conversation = format!("c_{n:032x}");
            let (id, _) = say(&store, widget.id, None, &conversation, &visit, &question, 5).await;
            opened.push((n, id));
        }
        // Thirty refusals of three meanings, filed at once, so batches
        // file several (new groups and grown centroids seen by the next).
        let filed: Vec<_> = opened
            .into_iter()
            .map(|(n, conversation)| {
                let store = store.clone();
                tokio::spawn(async move {
                    let family = (n % 3) as usize;
                    let mut vector = vec![0.0f32; 3];
                    vector[family] = 1.0;
                    let text = format!("family {family} question {n}");
                    let answer = NewMessage {
                        public_id: &format!("m_a{n:031x}"),
                        role: Role::Assistant,
                        body: "I don't know that.",
                        sources: "[]",
                        latency_ms: Some(1),
                    };
                    let gap = GapVector {
                        vector,
                        model: "test".to_owned(),
                        threshold: 0.5,
                    };
                    store
                        .add_answer(
                            conversation,
                            &answer,
                            true,
                            Some((widget.id, &text)),
                            Some(gap),
                            6,
                        )
                        .await
                        .unwrap();
                })
            })
            .collect();
        for filing in filed {
            filing.await.unwrap();
        }
        let gaps = store
            .gaps_of(ada.id, None, false, GapOrder::Biggest, 10)
            .await
            .unwrap();
        let sizes: Vec<i64> = gaps.iter().map(|gap| gap.questions).collect();
        assert_eq!(sizes, [10, 10, 10], "{gaps:#?}");
        for gap in &gaps {
            let families: Vec<&str> = gap.examples.iter().map(|e| &e[..8]).collect();
            assert!(
                families.iter().all(|f| *f == families[0]),
                "one meaning per group: {gap:?}"
            );
        }
    }
);
