use witzo_store::identities::PendingOidcLogin;
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

store_test!(
    an_identity_links_to_one_account,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        assert_eq!(
            store
                .account_of_identity("https://issuer", "sub-1")
                .await
                .unwrap(),
            None
        );
        store
            .link_identity(ada.id, "https://issuer", "sub-1", 2)
            .await
            .unwrap();
        assert_eq!(
            store
                .account_of_identity("https://issuer", "sub-1")
                .await
                .unwrap(),
            Some(ada.id)
        );
        assert_eq!(
            store
                .account_of_identity("https://other", "sub-1")
                .await
                .unwrap(),
            None
        );
        let twice = store
            .link_identity(bob.id, "https://issuer", "sub-1", 3)
            .await;
        assert!(
            matches!(twice, Err(StoreError::Conflict("identity"))),
            "{twice:?}"
        );
    }
);

store_test!(
    a_pending_sign_in_can_be_taken_only_once,
    |store: Store| async move {
        let login = PendingOidcLogin {
            browser_hash: "b".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            expires_at: 700,
        };
        store.save_oidc_login("state", &login, 100).await.unwrap();
        assert_eq!(store.take_oidc_login("state").await.unwrap(), Some(login));
        assert_eq!(store.take_oidc_login("state").await.unwrap(), None);
    }
);

store_test!(
    expired_pending_sign_ins_are_purged,
    |store: Store| async move {
        let login = |expires_at| PendingOidcLogin {
            browser_hash: "b".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            expires_at,
        };
        store.save_oidc_login("old", &login(50), 1).await.unwrap();
        store.save_oidc_login("new", &login(500), 1).await.unwrap();
        assert_eq!(store.delete_expired_oidc_logins(100).await.unwrap(), 1);
        assert!(store.take_oidc_login("new").await.unwrap().is_some());
    }
);

store_test!(
    first_sign_in_creates_the_account_and_later_ones_find_it,
    |store: Store| async move {
        let (created, new) = store
            .find_or_create_account(&email("ada@example.com"), 5)
            .await
            .unwrap();
        assert!(new);
        let (found, new) = store
            .find_or_create_account(&email("ada@example.com"), 6)
            .await
            .unwrap();
        assert!(!new);
        assert_eq!(found, created);
    }
);
