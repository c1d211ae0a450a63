use witzo_store::Store;
use witzo_store::audit::AuditKind;

use crate::{email, store_test};

store_test!(
    the_security_log_lists_an_accounts_events_newest_first,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        store
            .record_audit(Some(ada.id), AuditKind::SignedIn, "203.0.113.1", "", 10)
            .await
            .unwrap();
        store
            .record_audit(Some(bob.id), AuditKind::SignedIn, "", "", 11)
            .await
            .unwrap();
        store
            .record_audit(
                Some(ada.id),
                AuditKind::ProfileUpdated,
                "203.0.113.1",
                "name",
                12,
            )
            .await
            .unwrap();
        store
            .record_audit(None, AuditKind::AccountDeleted, "", "", 13)
            .await
            .unwrap();

        let events = store.audit_events_of(ada.id, 10).await.unwrap();
        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.created_at))
            .collect();
        assert_eq!(kinds, [("profile_updated", 12), ("signed_in", 10)]);
        assert_eq!(events[0].detail, "name");
        assert_eq!(store.audit_events_of(ada.id, 1).await.unwrap().len(), 1);
    }
);
