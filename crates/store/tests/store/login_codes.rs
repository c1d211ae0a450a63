use witzo_store::login_codes::{CodePurpose, CodeRules};
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

const RULES: CodeRules = CodeRules {
    ttl_secs: 600,
    max_per_hour: 3,
};

store_test!(a_new_code_voids_the_older_ones, |store: Store| async move {
    let ada = email("ada@example.com");
    store
        .issue_login_code(&ada, CodePurpose::SignIn, "h1", RULES, 100)
        .await
        .unwrap();
    store
        .issue_login_code(&ada, CodePurpose::SignIn, "h2", RULES, 101)
        .await
        .unwrap();
    let live = store
        .live_login_code(&ada, CodePurpose::SignIn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (live.code_hash.as_str(), live.expires_at, live.attempts),
        ("h2", 701, 0)
    );
    assert_eq!(
        store
            .live_login_code(&ada, CodePurpose::DeleteAccount)
            .await
            .unwrap(),
        None
    );
});

store_test!(
    a_fourth_code_within_the_hour_is_refused,
    |store: Store| async move {
        let ada = email("ada@example.com");
        for n in 0..3 {
            store
                .issue_login_code(&ada, CodePurpose::SignIn, "h", RULES, 100 + n)
                .await
                .unwrap();
        }
        let refused = store
            .issue_login_code(&ada, CodePurpose::SignIn, "h4", RULES, 200)
            .await;
        assert!(matches!(refused, Err(StoreError::TooMany)), "{refused:?}");
        assert_eq!(
            store
                .live_login_code(&ada, CodePurpose::SignIn)
                .await
                .unwrap()
                .unwrap()
                .code_hash,
            "h",
            "the refused code voided nothing"
        );
        store
            .issue_login_code(
                &email("bob@example.com"),
                CodePurpose::SignIn,
                "b",
                RULES,
                200,
            )
            .await
            .unwrap();
        store
            .issue_login_code(&ada, CodePurpose::SignIn, "later", RULES, 100 + 3600)
            .await
            .unwrap();
    }
);

store_test!(
    concurrent_requests_never_issue_more_than_the_hourly_limit,
    |store: Store| async move {
        let mut tasks = Vec::new();
        for n in 0..10 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .issue_login_code(
                        &email("ada@example.com"),
                        CodePurpose::SignIn,
                        &format!("h{n}"),
                        RULES,
                        100,
                    )
                    .await
            }));
        }
        let mut issued = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => issued += 1,
                Err(StoreError::TooMany) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(issued, 3);
    }
);

store_test!(
    wrong_attempts_are_counted_and_void_the_code_at_the_limit,
    |store: Store| async move {
        let ada = email("ada@example.com");
        store
            .issue_login_code(&ada, CodePurpose::SignIn, "h", RULES, 100)
            .await
            .unwrap();
        let id = store
            .live_login_code(&ada, CodePurpose::SignIn)
            .await
            .unwrap()
            .unwrap()
            .id;
        let left: Vec<i64> = {
            let mut left = Vec::new();
            for _ in 0..5 {
                left.push(store.fail_login_code(id, 5, 110).await.unwrap());
            }
            left
        };
        assert_eq!(left, [4, 3, 2, 1, 0]);
        assert_eq!(
            store
                .live_login_code(&ada, CodePurpose::SignIn)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.fail_login_code(id, 5, 111).await.unwrap(), 0);
        assert!(
            !store.spend_login_code(id, 112).await.unwrap(),
            "a voided code cannot be spent"
        );
    }
);

store_test!(a_code_is_spent_only_once, |store: Store| async move {
    let ada = email("ada@example.com");
    store
        .issue_login_code(&ada, CodePurpose::SignIn, "h", RULES, 100)
        .await
        .unwrap();
    let id = store
        .live_login_code(&ada, CodePurpose::SignIn)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(store.spend_login_code(id, 101).await.unwrap());
    assert!(!store.spend_login_code(id, 102).await.unwrap());
    assert_eq!(
        store
            .live_login_code(&ada, CodePurpose::SignIn)
            .await
            .unwrap(),
        None
    );
});

store_test!(old_codes_are_purged, |store: Store| async move {
    store
        .issue_login_code(
            &email("a@example.com"),
            CodePurpose::SignIn,
            "h",
            RULES,
            100,
        )
        .await
        .unwrap();
    store
        .issue_login_code(
            &email("b@example.com"),
            CodePurpose::SignIn,
            "h",
            RULES,
            5000,
        )
        .await
        .unwrap();
    assert_eq!(store.delete_old_login_codes(1000).await.unwrap(), 1);
});
