use witzo_store::conversations::{NewMessage, Visit};
use witzo_store::domain::{Role, WidgetKey};
use witzo_store::widgets::{Logo, WidgetFields};
use witzo_store::{Store, StoreError};

use crate::{email, say, store_test};

pub fn fields<'a>(name: &'a str, domains: &'a [String]) -> WidgetFields<'a> {
    WidgetFields {
        name,
        allowed_domains: domains,
        settings: "{}",
    }
}

store_test!(
    widgets_are_limited_per_account_and_scoped_to_their_owner,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        let domains = vec!["shop.example.com".to_owned(), "*.example.org".to_owned()];
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &domains), Some(1), 10)
            .await
            .unwrap();
        assert_eq!(
            widget.domains().collect::<Vec<_>>(),
            ["shop.example.com", "*.example.org"]
        );
        assert!(widget.is_active());
        let second = store
            .create_widget(ada.id, "wk_b", &fields("Two", &[]), Some(1), 11)
            .await;
        assert!(matches!(second, Err(StoreError::TooMany)), "{second:?}");
        store
            .create_widget(bob.id, "wk_c", &fields("Bob", &[]), Some(1), 11)
            .await
            .unwrap();
        assert!(matches!(
            store.widget_of(bob.id, widget.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_widget(bob.id, widget.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.set_widget_active(bob.id, widget.id, false, 12).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.widgets_of(ada.id).await.unwrap(), [widget]);
    }
);

store_test!(
    stamps_read_at_once_each_get_their_own_widget_and_none_a_stale_one,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let keys = [WidgetKey::generate(), WidgetKey::generate()];
        for (at, key) in (20..).zip(&keys) {
            store
                .create_widget(ada.id, key.as_str(), &fields("Shop", &[]), None, at)
                .await
                .unwrap();
        }
        let unknown = WidgetKey::generate();
        // A hundred and fifty reads of three keys, queued together.
        let reads: Vec<_> = (0..150)
            .map(|n| {
                let store = store.clone();
                let key = [&keys[0], &keys[1], &unknown][n % 3].clone();
                tokio::spawn(async move { (n, store.widget_stamp(&key).await.unwrap()) })
            })
            .collect();
        for read in reads {
            let (n, stamp) = read.await.unwrap();
            let expected = [Some(20), Some(21), None][n % 3];
            assert_eq!(stamp.map(|s| s.updated_at), expected, "read {n}");
        }
        // A read asked for after an edit sees the edit, even with reads
        // of the old state in flight around it.
        let widget = store.widget_by_key(&keys[0]).await.unwrap().unwrap();
        let around: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                let key = keys[0].clone();
                tokio::spawn(async move { store.widget_stamp(&key).await.unwrap() })
            })
            .collect();
        store
            .set_widget_active(ada.id, widget.id, false, 30)
            .await
            .unwrap();
        let after = store.widget_stamp(&keys[0]).await.unwrap();
        assert_eq!(after.map(|s| s.updated_at), Some(30));
        for read in around {
            let stamp = read.await.unwrap().unwrap();
            assert!([20, 30].contains(&stamp.updated_at), "{stamp:?}");
        }
    }
);

store_test!(
    a_regenerated_key_finds_nothing_and_every_change_moves_the_stamp,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let (old, new) = (WidgetKey::generate(), WidgetKey::generate());
        let widget = store
            .create_widget(ada.id, old.as_str(), &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        assert_eq!(
            store
                .widget_stamp(&old)
                .await
                .unwrap()
                .map(|s| s.updated_at),
            Some(10)
        );
        let off = store
            .set_widget_active(ada.id, widget.id, false, 10)
            .await
            .unwrap();
        assert!(!off.is_active());
        assert_eq!(off.updated_at, 11, "moves even within the same second");
        let renewed = store
            .regenerate_widget_key(ada.id, widget.id, new.as_str(), 12)
            .await
            .unwrap();
        assert_eq!(renewed.public_key, new.as_str());
        assert_eq!(store.widget_by_key(&old).await.unwrap(), None);
        assert_eq!(store.widget_stamp(&old).await.unwrap(), None);
        assert_eq!(
            store.widget_by_key(&new).await.unwrap().map(|w| w.id),
            Some(widget.id)
        );
        let other = store
            .create_widget(ada.id, "wk_other", &fields("Other", &[]), None, 13)
            .await
            .unwrap();
        let clash = store
            .regenerate_widget_key(ada.id, other.id, new.as_str(), 14)
            .await;
        assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    }
);

store_test!(
    a_logo_is_stored_replaced_and_removed,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        let logo = Logo {
            content_type: "image/png".into(),
            bytes: vec![0x89, b'P', b'N', b'G', 0, 255],
            hash: "h1".into(),
        };
        store
            .set_widget_logo(ada.id, widget.id, &logo, 11)
            .await
            .unwrap();
        store
            .set_widget_logo(
                ada.id,
                widget.id,
                &Logo {
                    hash: "h2".into(),
                    ..logo.clone()
                },
                12,
            )
            .await
            .unwrap();
        assert_eq!(
            store.widget_logo(widget.id).await.unwrap().unwrap().bytes,
            logo.bytes
        );
        assert_eq!(
            store.widget_logo_hash(widget.id).await.unwrap().as_deref(),
            Some("h2")
        );
        store
            .remove_widget_logo(ada.id, widget.id, 13)
            .await
            .unwrap();
        assert_eq!(store.widget_logo(widget.id).await.unwrap(), None);
    }
);

store_test!(
    conversations_belong_to_one_visitor_of_one_widget,
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
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        let visit = Visit {
            visitor_id: "v_1",
            origin: "https://shop.example.com",
            page_url: "https://shop.example.com/p",
            preview: false,
        };
        let message = |public_id, role, body| NewMessage {
            public_id,
            role,
            body,
            sources: "[]",
            latency_ms: Some(5),
        };
        let (id, public) = say(
            &store,
            widget.id,
            None,
            "c_1",
            &visit,
            &message("m_1", Role::Visitor, "Hello?"),
            20,
        )
        .await;
        store
            .add_answer(
                id,
                &message("m_2", Role::Assistant, "Hi."),
                false,
                None,
                None,
                21,
            )
            .await
            .unwrap();
        let prices = message("m_3", Role::Visitor, "Prices?");
        assert_eq!(
            say(&store, widget.id, Some("c_1"), "c_x", &visit, &prices, 21).await,
            (id, public.clone()),
            "the same visitor continues it"
        );
        let pairs = |list: &[(Role, &str)]| -> Vec<(Role, String)> {
            list.iter().map(|(r, b)| (*r, (*b).to_owned())).collect()
        };
        assert_eq!(
            store.recent_messages(id, 2).await.unwrap(),
            pairs(&[(Role::Assistant, "Hi."), (Role::Visitor, "Prices?")]),
            "the newest two, oldest first"
        );
        // Another visitor cannot.
        let eve = Visit {
            visitor_id: "v_2",
            ..visit.clone()
        };
        let hello = message("m_4", Role::Visitor, "Hello?");
        let (_, fresh) = say(&store, widget.id, Some("c_1"), "c_2", &eve, &hello, 23).await;
        assert_eq!(fresh, "c_2");
        // Ratings only for this widget's answers to this visitor.
        store
            .rate_message(widget.id, "v_1", "m_2", 1, "")
            .await
            .unwrap();
        assert!(matches!(
            store.rate_message(widget.id, "v_2", "m_2", -1, "").await,
            Err(StoreError::NotFound)
        ));
        assert!(
            matches!(
                store.rate_message(widget.id, "v_1", "m_1", -1, "").await,
                Err(StoreError::NotFound)
            ),
            "not a visitor message"
        );
        let list = store.conversations_of(ada.id, widget.id, 10).await.unwrap();
        assert_eq!(list.len(), 2);
        let (summary, widget_id, messages) = store.conversation_of(ada.id, "c_1").await.unwrap();
        assert_eq!(
            (
                summary.messages,
                summary.first_message.as_deref(),
                widget_id
            ),
            (3, Some("Hello?"), widget.id)
        );
        assert_eq!(messages[1].rating, Some(1));
        assert!(matches!(
            store.conversation_of(bob.id, "c_1").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store
                .conversations_of(bob.id, widget.id, 10)
                .await
                .unwrap()
                .len(),
            0
        );
    }
);

store_test!(
    embed_health_counts_origins_and_caps_refused_ones,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        store
            .record_embed_origin(widget.id, "https://shop.example.com", true, 1, 20)
            .await
            .unwrap();
        store
            .record_embed_origin(widget.id, "https://shop.example.com", true, 1, 25)
            .await
            .unwrap();
        store
            .record_embed_origin(widget.id, "https://evil.example", false, 1, 26)
            .await
            .unwrap();
        for n in 0..205 {
            store
                .record_embed_origin(widget.id, &format!("https://r{n}.example"), false, 1, 30)
                .await
                .unwrap();
        }
        store
            .record_embed_origin(widget.id, "https://evil.example", false, 1, 40)
            .await
            .unwrap();
        let health = store.embed_origins_of(ada.id, widget.id).await.unwrap();
        assert_eq!(
            (
                health[0].origin.as_str(),
                health[0].allowed,
                health[0].hits,
                health[0].last_seen
            ),
            ("https://shop.example.com", 1, 2, 25)
        );
        let refused = store
            .count_for_test(
                "SELECT COUNT(*) FROM embed_origins WHERE widget_id = $1 AND allowed = 0",
                widget.id.get(),
            )
            .await;
        assert_eq!(refused, 200);
        let evil = health
            .iter()
            .find(|o| o.origin == "https://evil.example")
            .unwrap();
        assert_eq!(
            evil.hits, 2,
            "known refused origins keep counting past the cap"
        );
    }
);

store_test!(
    deleting_a_widget_removes_its_conversations_and_health,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let widget = store
            .create_widget(ada.id, "wk_a", &fields("Shop", &[]), None, 10)
            .await
            .unwrap();
        let visit = Visit {
            visitor_id: "v_1",
            origin: "https://a.example",
            page_url: "",
            preview: false,
        };
        let hello = NewMessage {
            public_id: "m_1",
            role: Role::Visitor,
            body: "x",
            sources: "[]",
            latency_ms: None,
        };
        let (id, _) = say(&store, widget.id, None, "c_1", &visit, &hello, 20).await;
        store
            .record_embed_origin(widget.id, "https://a.example", true, 1, 20)
            .await
            .unwrap();
        store.delete_widget(ada.id, widget.id).await.unwrap();
        for table in [
            "conversations",
            "embed_origins",
            "widget_events",
            "leads",
            "widget_logos",
        ] {
            let n = store
                .count_for_test(
                    &format!("SELECT COUNT(*) FROM {table} WHERE widget_id = $1"),
                    widget.id.get(),
                )
                .await;
            assert_eq!(n, 0, "{table}");
        }
        assert_eq!(
            store
                .count_for_test(
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = $1",
                    id
                )
                .await,
            0
        );
    }
);
