use witzo_store::accounts::Account;
use witzo_store::domain::{DeliveryStatus, WebhookId, WidgetId};
use witzo_store::jobs::Task;
use witzo_store::webhooks::{AttemptRecord, NewWebhook, WebhookChange};
use witzo_store::widgets::WidgetFields;
use witzo_store::{Store, StoreError};

use crate::{email, store_test};

async fn owner(store: &Store, address: &str, key: &str) -> (Account, WidgetId) {
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
    (account, widget.id)
}

fn events(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

store_test!(
    endpoints_are_kept_per_account_and_changed_by_their_owner_only,
    |store: Store| async move {
        let (ada, widget) = owner(&store, "ada@example.com", "wk_a").await;
        let (bob, bobs_widget) = owner(&store, "bob@example.com", "wk_b").await;
        let created = store
            .create_webhook(
                ada.id,
                &NewWebhook {
                    widget: Some(widget),
                    url: "https://crm.example.com/hook",
                    secret: "whsec_1",
                    events: &events(&["lead.created", "lead.updated"]),
                    active: true,
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            (created.widget_id, created.events.len(), created.active),
            (Some(widget), 2, true)
        );
        assert_eq!(created.secret.expose(), "whsec_1");
        assert!(
            !format!("{created:?}").contains("whsec_1"),
            "secret in Debug"
        );
        assert!(created.wants("lead.created", Some(widget)));
        assert!(!created.wants("lead.created", Some(bobs_widget)));
        assert!(!created.wants("ping", Some(widget)));
        // An account-wide event concerns every widget, this one's too.
        assert!(created.wants("lead.created", None));
        // Bob's widget, his endpoint id space: nothing of Ada's.
        let foreign = NewWebhook {
            widget: Some(widget),
            url: "https://x.example/",
            secret: "s",
            events: &events(&["lead.created"]),
            active: true,
        };
        assert!(matches!(
            store.create_webhook(bob.id, &foreign, 11).await,
            Err(StoreError::NotFound)
        ));
        for result in [
            store.webhook_of(bob.id, created.id).await.map(|_| ()),
            store
                .update_webhook(bob.id, created.id, &WebhookChange::default(), 12)
                .await
                .map(|_| ()),
            store
                .rotate_webhook_secret(bob.id, created.id, "x", 12)
                .await
                .map(|_| ()),
            store.delete_webhook(bob.id, created.id).await,
            store
                .queue_deliveries(bob.id, &[created.id], "evt_1", "ping", "{}", 12)
                .await
                .map(|_| ()),
        ] {
            assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
        }
        assert!(store.webhooks_of(bob.id).await.unwrap().is_empty());

        let only = events(&["lead.updated"]);
        let changed = store
            .update_webhook(
                ada.id,
                created.id,
                &WebhookChange {
                    url: None,
                    events: Some(&only),
                    active: Some(false),
                },
                13,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                changed.url.as_str(),
                changed.events,
                changed.active,
                changed.updated_at
            ),
            ("https://crm.example.com/hook", only, false, 13)
        );
        let rotated = store
            .rotate_webhook_secret(ada.id, created.id, "whsec_2", 14)
            .await
            .unwrap();
        assert_eq!(rotated.secret.expose(), "whsec_2");
        assert_eq!(store.webhook_count(ada.id).await.unwrap(), 1);
        store.delete_webhook(ada.id, created.id).await.unwrap();
        assert_eq!(store.webhook_count(ada.id).await.unwrap(), 0);
    }
);

store_test!(
    deliveries_are_queued_with_their_job_and_record_each_attempt,
    |store: Store| async move {
        let (ada, _) = owner(&store, "ada@example.com", "wk_a").await;
        let (bob, _) = owner(&store, "bob@example.com", "wk_b").await;
        let new = NewWebhook {
            widget: None,
            url: "https://crm.example.com/hook",
            secret: "whsec_1",
            events: &events(&["lead.created"]),
            active: true,
        };
        let endpoint = store.create_webhook(ada.id, &new, 10).await.unwrap();
        let queued = store
            .queue_deliveries(
                ada.id,
                &[endpoint.id],
                "evt_1",
                "lead.created",
                "{\"a\":1}",
                20,
            )
            .await
            .unwrap();
        assert_eq!(queued.len(), 1);
        let delivery = store.delivery_of(ada.id, queued[0]).await.unwrap();
        assert_eq!(
            (
                delivery.status,
                delivery.attempts,
                delivery.event_id.as_str()
            ),
            (DeliveryStatus::Pending, 0, "evt_1")
        );
        assert!(matches!(
            store.delivery_of(bob.id, queued[0]).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.deliveries_of(bob.id, endpoint.id, 10).await,
            Err(StoreError::NotFound)
        ));

        let job = store.claim_job(60, 20).await.unwrap().unwrap();
        assert_eq!(job.task, Task::Deliver(queued[0]));
        assert_eq!(
            store.begin_delivery_attempt(queued[0], 21).await.unwrap(),
            Some(1)
        );
        let in_flight = store.delivery_by_id(queued[0]).await.unwrap().unwrap();
        assert_eq!(in_flight.in_flight, 1);
        let retry = AttemptRecord {
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(81),
            response_code: Some(500),
            latency_ms: Some(7),
            response_body: "oops".to_owned(),
            last_error: Some("HTTP 500".to_owned()),
        };
        store
            .finish_delivery_attempt(queued[0], &retry, 21)
            .await
            .unwrap();
        store.requeue_job(job.id, 81, 21).await.unwrap();
        assert!(
            store.claim_job(60, 80).await.unwrap().is_none(),
            "not due yet"
        );
        let again = store.claim_job(60, 81).await.unwrap().unwrap();
        assert_eq!(again.id, job.id);
        assert_eq!(
            store.begin_delivery_attempt(queued[0], 81).await.unwrap(),
            Some(2)
        );
        let done = AttemptRecord {
            status: DeliveryStatus::Delivered,
            next_attempt_at: None,
            response_code: Some(204),
            latency_ms: Some(3),
            response_body: String::new(),
            last_error: None,
        };
        store
            .finish_delivery_attempt(queued[0], &done, 82)
            .await
            .unwrap();
        assert_eq!(
            store.begin_delivery_attempt(queued[0], 83).await.unwrap(),
            None,
            "a delivered delivery is not attempted again"
        );
        let redelivered = store
            .queue_deliveries(
                ada.id,
                &[endpoint.id],
                "evt_1",
                "lead.created",
                "{\"a\":1}",
                90,
            )
            .await
            .unwrap();
        let log = store.deliveries_of(ada.id, endpoint.id, 10).await.unwrap();
        assert_eq!(
            log.iter().map(|d| (d.id, d.status)).collect::<Vec<_>>(),
            [
                (redelivered[0], DeliveryStatus::Pending),
                (queued[0], DeliveryStatus::Delivered)
            ]
        );
        assert_eq!((log[1].response_code, log[1].attempts), (Some(204), 2));
        // Deleting the endpoint deletes its log.
        store.delete_webhook(ada.id, endpoint.id).await.unwrap();
        assert!(store.delivery_by_id(queued[0]).await.unwrap().is_none());
        assert!(
            store
                .webhook_by_id(WebhookId::from_raw(endpoint.id.get()))
                .await
                .unwrap()
                .is_none()
        );
    }
);
