use witzo_store::accounts::Account;
use witzo_store::domain::QaText;
use witzo_store::sources::NewWebsite;
use witzo_store::widgets::{Widget, WidgetFields};
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

async fn owner_with_widget(store: &Store, address: &str, key: &str) -> (Account, Widget) {
    let account = store.create_account(&email(address), 1).await.unwrap();
    let fields = WidgetFields {
        name: "W",
        allowed_domains: &[],
        settings: "{}",
    };
    let widget = store
        .create_widget(account.id, key, &fields, None, 1)
        .await
        .unwrap();
    (account, widget)
}

fn pair(question: &str, answer: &str) -> QaText {
    QaText::parse(question, answer).unwrap()
}

store_test!(
    pairs_are_added_edited_and_deleted_by_their_owner_only_and_move_the_knowledge_version,
    |store: Store| async move {
        let (ada, widget) = owner_with_widget(&store, "ada@example.com", "wk_a").await;
        let (bob, _) = owner_with_widget(&store, "bob@example.com", "wk_b").await;
        let v0 = store.knowledge_version(widget.id).await.unwrap();
        let added = store
            .add_qa(
                ada.id,
                widget.id,
                &pair("How much is a cleaning?", "80 EUR."),
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                added.question.as_str(),
                added.answer.as_str(),
                added.created_at
            ),
            ("How much is a cleaning?", "80 EUR.", 10)
        );
        let v1 = store.knowledge_version(widget.id).await.unwrap();
        assert!(v1 > v0);
        assert!(matches!(
            store.add_qa(bob.id, widget.id, &pair("q", "a"), 11).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.qa_pair_of(bob.id, widget.id, added.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .update_qa(bob.id, widget.id, added.id, &pair("q", "a"), 11)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_qa(bob.id, widget.id, added.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.qa_of(bob.id, widget.id).await.unwrap().is_empty());
        // Through another of Ada's widgets, the pair is not found either.
        let other = store
            .create_widget(
                ada.id,
                "wk_c",
                &WidgetFields {
                    name: "Other",
                    allowed_domains: &[],
                    settings: "{}",
                },
                None,
                1,
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .update_qa(ada.id, other.id, added.id, &pair("q", "a"), 11)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_qa(ada.id, other.id, added.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.knowledge_version(widget.id).await.unwrap(), v1);

        let edited = store
            .update_qa(
                ada.id,
                widget.id,
                added.id,
                &pair("How much is a cleaning?", "90 EUR."),
                12,
            )
            .await
            .unwrap();
        assert_eq!((edited.answer.as_str(), edited.updated_at), ("90 EUR.", 12));
        assert_eq!(
            store.qa_pair_of(ada.id, widget.id, added.id).await.unwrap(),
            edited
        );
        let v2 = store.knowledge_version(widget.id).await.unwrap();
        assert!(v2 > v1);
        store.delete_qa(ada.id, widget.id, added.id).await.unwrap();
        assert!(store.knowledge_version(widget.id).await.unwrap() > v2);
        assert!(store.qa_of(ada.id, widget.id).await.unwrap().is_empty());
    }
);

store_test!(
    an_import_adds_or_replaces_every_pair_at_once_and_never_into_another_tenant,
    |store: Store| async move {
        let (ada, widget) = owner_with_widget(&store, "ada@example.com", "wk_a").await;
        let (bob, bobs) = owner_with_widget(&store, "bob@example.com", "wk_b").await;
        store
            .add_qa(ada.id, widget.id, &pair("Old?", "Old."), 1)
            .await
            .unwrap();
        let file = [pair("=1+1", "@SUM(A1)"), pair("Two?", "Two.")];
        store
            .import_qa(ada.id, widget.id, &file, false, 2)
            .await
            .unwrap();
        let questions = |pairs: Vec<witzo_store::qa::QaPair>| {
            pairs.into_iter().map(|p| p.question).collect::<Vec<_>>()
        };
        assert_eq!(
            questions(store.qa_of(ada.id, widget.id).await.unwrap()),
            ["Old?", "=1+1", "Two?"]
        );
        store
            .import_qa(ada.id, widget.id, &file[1..], true, 3)
            .await
            .unwrap();
        assert_eq!(
            questions(store.qa_of(ada.id, widget.id).await.unwrap()),
            ["Two?"]
        );
        assert_eq!(store.qa_count_of(ada.id, widget.id).await.unwrap(), 1);

        // Bob can neither add to nor wipe Ada's widget.
        assert!(matches!(
            store.import_qa(bob.id, widget.id, &file, true, 4).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.qa_count_of(ada.id, widget.id).await.unwrap(), 1);
        assert_eq!(store.qa_count_of(bob.id, widget.id).await.unwrap(), 0);
        assert_eq!(store.qa_count_of(bob.id, bobs.id).await.unwrap(), 0);
    }
);

store_test!(
    pairs_count_as_documents_survive_retraining_and_leave_with_their_widget,
    |store: Store| async move {
        let (ada, widget) = owner_with_widget(&store, "ada@example.com", "wk_a").await;
        store
            .import_qa(
                ada.id,
                widget.id,
                &[pair("A?", "A."), pair("B?", "B.")],
                false,
                1,
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Document)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Page)
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.holdings(ada.id).await.unwrap().documents, 2);

        // A complete crawl of a website removes pages it did not see; pairs
        // are not pages.
        let site = NewWebsite {
            url: "https://shop.example.com/",
            max_depth: 1,
            include_paths: "",
            exclude_paths: "",
            rescrape_days: None,
        };
        let (source, run) = store
            .create_website(ada.id, widget.id, &site, 2)
            .await
            .unwrap();
        store.finish_run(&source, run, true).await.unwrap();
        assert_eq!(store.qa_count_of(ada.id, widget.id).await.unwrap(), 2);

        store.delete_widget(ada.id, widget.id).await.unwrap();
        assert_eq!(
            store
                .knowledge_count(ada.id, witzo_store::domain::PageKind::Document)
                .await
                .unwrap(),
            0
        );
    }
);
