use witzo_store::domain::AccountId;
use witzo_store::sessions::{ClientMeta, SessionLifetime, token_hash};
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

const LIFETIME: SessionLifetime = SessionLifetime {
    idle_secs: 60,
    absolute_secs: 600,
};

store_test!(
    a_session_is_found_by_its_token_and_stores_only_the_hash,
    |store: Store| async move {
        let account = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let meta = ClientMeta {
            ip: "203.0.113.9".into(),
            user_agent: "Firefox\u{0}".into(),
        };
        let (token, session) = store
            .create_session(account.id, &meta, LIFETIME, 100)
            .await
            .unwrap();
        assert_eq!(session.id_hash, token_hash(token.expose()).unwrap());
        assert_ne!(session.id_hash, token.expose());
        assert_eq!(
            (session.created_at, session.last_seen_at, session.expires_at),
            (100, 100, 700)
        );
        assert_eq!(
            (session.ip.as_str(), session.user_agent.as_str()),
            ("203.0.113.9", "Firefox")
        );
        let found = store.session_by_token(token.expose()).await.unwrap();
        assert_eq!(found, Some(session));
    }
);

store_test!(
    unknown_and_malformed_tokens_find_nothing,
    |store: Store| async move {
        assert_eq!(
            store.session_by_token("attacker-chosen").await.unwrap(),
            None
        );
        assert_eq!(
            store.session_by_token(&"ab".repeat(32)).await.unwrap(),
            None
        );
    }
);

store_test!(
    sessions_expire_when_idle_and_after_their_absolute_lifetime,
    |store: Store| async move {
        let account = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let (token, session) = store
            .create_session(account.id, &ClientMeta::default(), LIFETIME, 100)
            .await
            .unwrap();
        assert!(session.is_live(159, LIFETIME));
        assert!(!session.is_live(160, LIFETIME), "idle for 60 s");
        store.touch_session(&session.id_hash, 150).await.unwrap();
        let touched = store
            .session_by_token(token.expose())
            .await
            .unwrap()
            .unwrap();
        assert!(touched.is_live(209, LIFETIME));
        assert!(!touched.is_live(700, LIFETIME), "absolute lifetime over");
    }
);

store_test!(
    dead_sessions_are_purged_and_live_ones_kept,
    |store: Store| async move {
        let account = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let meta = ClientMeta::default();
        store
            .create_session(account.id, &meta, LIFETIME, 0)
            .await
            .unwrap();
        let (live, _) = store
            .create_session(account.id, &meta, LIFETIME, 100)
            .await
            .unwrap();
        assert_eq!(store.delete_dead_sessions(LIFETIME, 120).await.unwrap(), 1);
        let left = store.sessions_of(account.id).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(
            Some(left[0].clone()),
            store.session_by_token(live.expose()).await.unwrap()
        );
    }
);

store_test!(
    an_owner_cannot_end_another_owners_session,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        let (_, bobs) = store
            .create_session(bob.id, &ClientMeta::default(), LIFETIME, 1)
            .await
            .unwrap();
        let err = store
            .delete_session(ada.id, &bobs.id_hash)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound));
        assert_eq!(store.sessions_of(bob.id).await.unwrap().len(), 1);
        store.delete_session(bob.id, &bobs.id_hash).await.unwrap();
        assert_eq!(store.sessions_of(bob.id).await.unwrap().len(), 0);
    }
);

store_test!(
    signing_out_everywhere_ends_every_session_of_one_account,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        for _ in 0..3 {
            store
                .create_session(ada.id, &ClientMeta::default(), LIFETIME, 1)
                .await
                .unwrap();
        }
        store
            .create_session(bob.id, &ClientMeta::default(), LIFETIME, 1)
            .await
            .unwrap();
        assert_eq!(store.delete_sessions_of(ada.id).await.unwrap(), 3);
        assert_eq!(store.sessions_of(bob.id).await.unwrap().len(), 1);
    }
);

store_test!(
    a_session_for_a_missing_account_is_refused_by_the_foreign_key,
    |store: Store| async move {
        let result = store
            .create_session(
                AccountId::from_raw(999),
                &ClientMeta::default(),
                LIFETIME,
                1,
            )
            .await;
        assert!(matches!(result, Err(StoreError::Database(_))));
    }
);
