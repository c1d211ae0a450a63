use witzo_store::leads::{NewLead, Stored};
use witzo_store::usage::add_month;
use witzo_store::widgets::WidgetFields;
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

async fn widget(
    store: &Store,
    account: witzo_store::domain::AccountId,
    key: &str,
) -> witzo_store::domain::WidgetId {
    let fields = WidgetFields {
        name: "Shop",
        allowed_domains: &[],
        settings: "{}",
    };
    store
        .create_widget(account, key, &fields, None, 1)
        .await
        .unwrap()
        .id
}

async fn add_lead(
    store: &Store,
    widget: witzo_store::domain::WidgetId,
    limit: Option<i64>,
) -> bool {
    let lead = NewLead {
        visitor_id: "v_1",
        email: "lead@example.org",
        ..NewLead::default()
    };
    match store.add_lead(widget, &lead, limit, 5).await.unwrap() {
        Stored::Created { locked, .. } => locked,
        other => panic!("a form lead is always new: {other:?}"),
    }
}

store_test!(
    leads_past_the_limit_are_kept_locked_and_an_upgrade_unlocks_them,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), 1)
            .await
            .unwrap();
        let (first, second) = (
            widget(&store, ada.id, "wk_1").await,
            widget(&store, ada.id, "wk_2").await,
        );
        let bobs = widget(&store, bob.id, "wk_3").await;
        // The limit counts the account's unlocked leads across its widgets.
        let locked: Vec<bool> = vec![
            add_lead(&store, first, Some(3)).await,
            add_lead(&store, second, Some(3)).await,
            add_lead(&store, first, Some(3)).await,
            add_lead(&store, second, Some(3)).await,
            add_lead(&store, first, Some(3)).await,
        ];
        assert_eq!(locked, [false, false, false, true, true]);
        assert!(
            !add_lead(&store, bobs, Some(3)).await,
            "another tenant's count"
        );
        let held = store.holdings(ada.id).await.unwrap();
        assert_eq!((held.leads, held.leads_locked, held.widgets), (5, 2, 2));

        store.set_plan(ada.id, "enterprise", 2).await.unwrap();
        assert_eq!(store.holdings(ada.id).await.unwrap().leads_locked, 0);
        store.set_plan(ada.id, "free", 3).await.unwrap(); // 3 leads
        let held = store.holdings(ada.id).await.unwrap();
        assert_eq!((held.leads, held.leads_locked), (5, 2));
        assert_eq!(store.holdings(bob.id).await.unwrap().leads_locked, 0);
        // An operator lowering a plan's limit re-marks its accounts.
        let mut free = store.plan("free").await.unwrap();
        free.leads = Some(1);
        store.update_plan(&free).await.unwrap();
        assert_eq!(store.holdings(ada.id).await.unwrap().leads_locked, 4);
        assert_eq!(store.holdings(bob.id).await.unwrap().leads_locked, 0);
    }
);

store_test!(
    a_plan_that_does_not_exist_is_refused_and_nothing_changes,
    |store: Store| async move {
        let ada = store
            .create_account(&email("ada@example.com"), 1)
            .await
            .unwrap();
        store.set_plan(ada.id, "basic", 2).await.unwrap();
        assert!(matches!(
            store.set_plan(ada.id, "platinum", 3).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.account_plan(ada.id).await.unwrap().id, "basic");
        assert!(matches!(
            store.plan("platinum").await,
            Err(StoreError::NotFound)
        ));
        let mut copy = store.plan("basic").await.unwrap();
        assert!(matches!(
            store.create_plan(&copy).await,
            Err(StoreError::Conflict(_))
        ));
        copy.id = "gold".to_owned();
        copy.price_monthly = "price_gold".to_owned();
        store.create_plan(&copy).await.unwrap();
        assert_eq!(
            store
                .plan_by_price("price_gold")
                .await
                .unwrap()
                .map(|p| p.id),
            Some("gold".to_owned())
        );
        assert_eq!(store.plan_by_price("").await.unwrap(), None);
        copy.id = "diamond".to_owned();
        assert!(matches!(
            store.update_plan(&copy).await,
            Err(StoreError::NotFound)
        ));
    }
);

store_test!(
    each_provider_event_is_claimed_once_however_many_deliveries_race,
    |store: Store| async move {
        let claims = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .claim_billing_event("stripe", "evt_1", "checkout.session.completed", 7)
                        .await
                        .unwrap()
                })
            })
            .collect::<Vec<_>>();
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap());
        }
        assert_eq!(won, 1);
        // Another provider's id space is separate; a released claim is claimable again.
        assert!(
            store
                .claim_billing_event("paddle", "evt_1", "x", 7)
                .await
                .unwrap()
        );
        store
            .release_billing_event("stripe", "evt_1")
            .await
            .unwrap();
        assert!(
            store
                .claim_billing_event("stripe", "evt_1", "x", 8)
                .await
                .unwrap()
        );
    }
);

store_test!(
    a_cancellation_takes_effect_at_the_cycle_end_unless_a_provider_ends_it,
    |store: Store| async move {
        let start = 1_767_225_600; // 2026-01-01 00:00 UTC
        let ada = store
            .create_account(&email("ada@example.com"), start)
            .await
            .unwrap();
        let bob = store
            .create_account(&email("bob@example.com"), start)
            .await
            .unwrap();
        for account in [ada.id, bob.id] {
            store.set_plan(account, "standard", start).await.unwrap();
            store
                .set_cancel_at_period_end(account, true, start)
                .await
                .unwrap();
        }
        // Bob pays through a provider: its own event ends the subscription.
        store
            .link_billing(bob.id, "cus_b", "sub_b", start)
            .await
            .unwrap();
        let due = add_month(start);
        assert_eq!(store.reset_due_usage(due - 1).await.unwrap(), 0);
        assert_eq!(store.subscription(ada.id).await.unwrap().plan, "standard");
        assert_eq!(store.reset_due_usage(due).await.unwrap(), 2);
        let (a, b) = (
            store.subscription(ada.id).await.unwrap(),
            store.subscription(bob.id).await.unwrap(),
        );
        assert_eq!(
            (a.plan.as_str(), a.status.as_str(), a.cancel_at_period_end.0),
            ("free", "cancelled", false)
        );
        assert_eq!(
            (b.plan.as_str(), b.status.as_str(), b.cancel_at_period_end.0),
            ("standard", "active", true)
        );
        assert_eq!(store.reset_due_usage(due).await.unwrap(), 0);
        assert_eq!(
            store.account_by_billing(Some("cus_b"), None).await.unwrap(),
            Some(bob.id)
        );
        assert_eq!(
            store.account_by_billing(None, Some("sub_b")).await.unwrap(),
            Some(bob.id)
        );
        assert_eq!(
            store.account_by_billing(Some(""), Some("")).await.unwrap(),
            None
        );
    }
);

/// Two leads at the limit at once on PostgreSQL: a second connection plays
/// another request mid-way (account row locked, its lead inserted, not yet
/// committed). `add_lead` must wait for it and then count its lead; without
/// the lock it would count from a snapshot without it and store a second
/// unlocked lead past the limit.
#[tokio::test]
async fn a_lead_added_while_another_is_being_stored_waits_and_counts_it() {
    use sqlx::Connection;
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let store = db.store().await;
    let ada = store
        .create_account(&email("ada@example.com"), 1)
        .await
        .unwrap();
    let shop = widget(&store, ada.id, "wk_1").await;
    let mut other = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(ada.id.get())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO leads (widget_id, visitor_id, source, created_at, locked) VALUES ($1, 'v_0', 'form', 1, 0)",
    )
    .bind(shop.get())
    .execute(&mut *tx)
    .await
    .unwrap();
    let adding = {
        let store = store.clone();
        tokio::spawn(async move { add_lead(&store, shop, Some(1)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.commit().await.unwrap();
    assert!(
        adding.await.unwrap(),
        "the second lead is past the limit of 1"
    );
    let held = store.holdings(ada.id).await.unwrap();
    assert_eq!((held.leads, held.leads_locked), (2, 1));
    store.close().await;
}
