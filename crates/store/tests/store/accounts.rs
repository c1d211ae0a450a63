use witzo_store::accounts::Profile;
use witzo_store::domain::{AccountId, CleanText, CountryCode, TextRules, WebUrl};
use witzo_store::sessions::{ClientMeta, SessionLifetime};
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

const LINE: TextRules = TextRules {
    max_chars: 100,
    multiline: false,
    required: false,
};

store_test!(
    an_account_is_created_and_found_by_email_and_id,
    |store: Store| async move {
        let created = store
            .create_account(&email("Ada@Example.com"), 1_000)
            .await
            .unwrap();
        assert_eq!(created.email, "ada@example.com");
        assert_eq!(created.created_at, 1_000);
        assert_eq!(store.account_by_id(created.id).await.unwrap(), created);
        let found = store
            .account_by_email(&email("ada@example.com"))
            .await
            .unwrap();
        assert_eq!(found, Some(created));
        assert_eq!(
            store
                .account_by_email(&email("bob@example.com"))
                .await
                .unwrap(),
            None
        );
    }
);

store_test!(
    a_second_account_with_the_same_email_is_a_conflict,
    |store: Store| async move {
        store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let err = store
            .create_account(&email("ADA@example.com"), 2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
        assert_eq!(store.list_accounts().await.unwrap().len(), 1);
    }
);

store_test!(
    an_unknown_account_id_is_not_found,
    |store: Store| async move {
        let err = store
            .account_by_id(AccountId::from_raw(4242))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound));
    }
);

store_test!(
    a_profile_update_stores_the_validated_values,
    |store: Store| async move {
        let account = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let profile = Profile {
            name: CleanText::parse("Ada Lovelace", LINE).unwrap(),
            company: CleanText::parse("Analytical Engines Ltd", LINE).unwrap(),
            website: Some(WebUrl::parse("https://example.com/").unwrap()),
            country: Some(CountryCode::parse("gb").unwrap()),
            time_zone: "Europe/London".to_owned(),
        };
        let updated = store.update_profile(account.id, &profile, 5).await.unwrap();
        assert_eq!(
            (
                updated.name.as_str(),
                updated.company.as_str(),
                updated.website.as_str(),
                updated.country.as_str()
            ),
            (
                "Ada Lovelace",
                "Analytical Engines Ltd",
                "https://example.com/",
                "GB"
            )
        );
        assert_eq!(updated.updated_at, 5);
        assert_eq!(store.account_by_id(account.id).await.unwrap(), updated);
    }
);

store_test!(
    deleting_an_account_removes_its_sessions_and_log,
    |store: Store| async move {
        let gone = store
            .create_account(&email("gone@example.com"), 1)
            .await
            .unwrap();
        let kept = store
            .create_account(&email("kept@example.com"), 1)
            .await
            .unwrap();
        let lifetime = SessionLifetime {
            idle_secs: 100,
            absolute_secs: 1000,
        };
        for account in [gone.id, kept.id] {
            store
                .create_session(account, &ClientMeta::default(), lifetime, 1)
                .await
                .unwrap();
            store
                .record_audit(
                    Some(account),
                    witzo_store::audit::AuditKind::SignedIn,
                    "",
                    "",
                    1,
                )
                .await
                .unwrap();
        }
        store.delete_account(gone.id, 2).await.unwrap();
        assert!(matches!(
            store.account_by_id(gone.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.sessions_of(gone.id).await.unwrap().len(), 0);
        assert_eq!(store.audit_events_of(gone.id, 10).await.unwrap().len(), 0);
        assert_eq!(store.sessions_of(kept.id).await.unwrap().len(), 1);
        assert_eq!(store.audit_events_of(kept.id, 10).await.unwrap().len(), 1);
        assert!(matches!(
            store.delete_account(gone.id, 2).await,
            Err(StoreError::NotFound)
        ));
    }
);

/// Every table that can hold an account's data, with the column that ties a
/// row to the account (by id or by e-mail address).
const OWNED_ROWS: &[&str] = &[
    "SELECT COUNT(*) FROM accounts WHERE id = $1",
    "SELECT COUNT(*) FROM sessions WHERE account_id = $1",
    "SELECT COUNT(*) FROM audit_events WHERE account_id = $1",
    "SELECT COUNT(*) FROM account_identities WHERE account_id = $1",
    "SELECT COUNT(*) FROM widgets WHERE account_id = $1",
];

store_test!(
    account_deletion_leaves_no_row_of_the_account_in_any_table,
    |store: Store| async move {
        use witzo_store::login_codes::{CodePurpose, CodeRules};
        let address = email("gone@example.com");
        let gone = store.create_account(&address, 1).await.unwrap();
        let lifetime = SessionLifetime {
            idle_secs: 100,
            absolute_secs: 1000,
        };
        store
            .create_session(gone.id, &ClientMeta::default(), lifetime, 1)
            .await
            .unwrap();
        store
            .record_audit(
                Some(gone.id),
                witzo_store::audit::AuditKind::SignedIn,
                "203.0.113.1",
                "",
                1,
            )
            .await
            .unwrap();
        store
            .link_identity(gone.id, "https://issuer", "s", 1)
            .await
            .unwrap();
        let rules = CodeRules {
            ttl_secs: 600,
            max_per_hour: 3,
        };
        store
            .issue_login_code(&address, CodePurpose::DeleteAccount, "h", rules, 1)
            .await
            .unwrap();

        store.delete_account(gone.id, 2).await.unwrap();

        for sql in OWNED_ROWS {
            assert_eq!(store.count_for_test(sql, gone.id.get()).await, 0, "{sql}");
        }
        assert_eq!(
            store
                .live_login_code(&address, CodePurpose::DeleteAccount)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .count_by_text_for_test(
                    "SELECT COUNT(*) FROM login_codes WHERE email = $1",
                    address.as_str()
                )
                .await,
            0
        );
        let deletions = store
        .count_by_text_for_test("SELECT COUNT(*) FROM audit_events WHERE account_id IS NULL AND kind = $1 AND ip = '' AND detail = ''", "account_deleted")
        .await;
        assert_eq!(deletions, 1);
    }
);
