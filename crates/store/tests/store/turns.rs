use witzo_store::conversations::{NewMessage, Visit};
use witzo_store::domain::Role;
use witzo_store::{Store, StoreError};

use crate::widgets::fields;
use crate::{email, say, store_test};

store_test!(
    a_failing_write_fails_alone_and_its_batch_is_still_written,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 1)
            .await
            .unwrap();
        // Twenty turns and, among them, an answer to a conversation that
        // does not exist, all queued at once.
        let turns: Vec<_> = (0..20u32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let visit = Visit {
                        visitor_id: "v_1",
                        origin: "https://shop.example",
                        page_url: "",
                        preview: false,
                    };
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
        let failed = store.add_answer(999_999, &orphan, false, None, 5).await;
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
