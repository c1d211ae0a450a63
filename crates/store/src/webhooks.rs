//! Outgoing webhooks: an owner's endpoints and the deliveries of events to
//! them. Every finder an owner reaches takes the account, so another
//! tenant's endpoint or delivery is `NotFound`. A delivery is queued with
//! its job in one transaction (`Task::Deliver`), so it is never written
//! without the job that sends it; the worker's side (`delivery_by_id`,
//! `begin_delivery_attempt`, `finish_delivery_attempt`) has no tenant,
//! as jobs have none.

use serde::Serialize;

use crate::domain::{AccountId, DeliveryId, DeliveryStatus, WebhookId, WidgetId};
use crate::jobs::{Task, insert_job};
use crate::{Store, StoreError, StoreResult};

/// Claims a delivery job may take: each attempt is one claim, and so is a
/// recovery after a worker died. The delivery counts its own attempts and
/// fails itself; this only keeps the job system from failing it first.
pub const DELIVERY_JOB_CLAIMS: i64 = 1000;

/// An endpoint's signing secret: never in `Debug` output or serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointSecret(String);

impl EndpointSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndpointSecret(…)")
    }
}

/// One endpoint of an owner's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: WebhookId,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub account_id: AccountId,
    /// Only this widget's events; `null`: every widget of the account.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub widget_id: Option<WidgetId>,
    pub url: String,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub secret: EndpointSecret,
    /// The event names it is sent.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookEndpoint {
    /// Whether `event` of `widget` goes to this endpoint. An event of no
    /// widget (the account's allowance) concerns every widget, so it goes
    /// to endpoints limited to one too.
    pub fn wants(&self, event: &str, widget: Option<WidgetId>) -> bool {
        self.active
            && self.events.iter().any(|e| e == event)
            && (widget.is_none() || self.widget_id.is_none() || self.widget_id == widget)
    }
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    account_id: i64,
    widget_id: Option<i64>,
    url: String,
    secret: String,
    events: String,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(row: EndpointRow) -> Self {
        Self {
            id: WebhookId::from_raw(row.id),
            account_id: AccountId::from_raw(row.account_id),
            widget_id: row.widget_id.map(WidgetId::from_raw),
            url: row.url,
            secret: EndpointSecret(row.secret),
            events: row.events.split_whitespace().map(str::to_owned).collect(),
            active: row.active != 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const ENDPOINT_COLUMNS: &str =
    "id, account_id, widget_id, url, secret, events, active, created_at, updated_at";

/// One delivery of one event to one endpoint, with what its last attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: DeliveryId,
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub endpoint_id: WebhookId,
    #[serde(skip)]
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub account_id: AccountId,
    /// `evt_…`, the same for a redelivery of the same event.
    pub event_id: String,
    pub event: String,
    /// The JSON body sent.
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: i64,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub in_flight: i64,
    /// When the next retry is due (pending deliveries that failed once).
    pub next_attempt_at: Option<i64>,
    /// The HTTP status of the last answer.
    pub response_code: Option<i64>,
    /// How long the last attempt took, in milliseconds.
    pub latency_ms: Option<i64>,
    /// The first 1 KB of the last answer's body.
    pub response_body: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, account_id, event_id, event, body, status, \
     attempts, in_flight, next_attempt_at, response_code, latency_ms, response_body, last_error, \
     created_at, updated_at";

/// A new endpoint. `events` are validated names.
pub struct NewWebhook<'a> {
    pub widget: Option<WidgetId>,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [String],
    pub active: bool,
}

/// What an update changes (`None`: kept).
#[derive(Default)]
pub struct WebhookChange<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub active: Option<bool>,
}

/// What one attempt ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
    pub response_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub response_body: String,
    pub last_error: Option<String>,
}

fn joined(events: &[String]) -> String {
    events.join(" ")
}

impl Store {
    /// The account's endpoints, oldest first.
    pub async fn webhooks_of(&self, account: AccountId) -> StoreResult<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY id"
        );
        let rows: Vec<EndpointRow> = sqlx::query_as(&sql)
            .bind(account.get())
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One of the account's endpoints.
    pub async fn webhook_of(
        &self,
        account: AccountId,
        id: WebhookId,
    ) -> StoreResult<WebhookEndpoint> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND account_id = $2"
        );
        let row: Option<EndpointRow> = sqlx::query_as(&sql)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        row.map(Into::into).ok_or(StoreError::NotFound)
    }

    /// An endpoint by id alone, for the worker delivering to it.
    pub async fn webhook_by_id(&self, id: WebhookId) -> StoreResult<Option<WebhookEndpoint>> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
        let row: Option<EndpointRow> = sqlx::query_as(&sql)
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(Into::into))
    }

    /// Adds an endpoint; `NotFound` when `widget` is not the account's.
    pub async fn create_webhook(
        &self,
        account: AccountId,
        new: &NewWebhook<'_>,
        now: i64,
    ) -> StoreResult<WebhookEndpoint> {
        let mut tx = self.begin_write().await?;
        if let Some(widget) = new.widget {
            crate::widgets::owned_widget(&mut tx, account, widget).await?;
        }
        let sql = format!(
            "INSERT INTO webhook_endpoints (account_id, widget_id, url, secret, events, active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: EndpointRow = sqlx::query_as(&sql)
            .bind(account.get())
            .bind(new.widget.map(WidgetId::get))
            .bind(new.url)
            .bind(new.secret)
            .bind(joined(new.events))
            .bind(i64::from(new.active))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// How many endpoints the account has.
    pub async fn webhook_count(&self, account: AccountId) -> StoreResult<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = $1")
                .bind(account.get())
                .fetch_one(self.pool())
                .await?;
        Ok(n)
    }

    /// Changes an endpoint's URL, events or state.
    pub async fn update_webhook(
        &self,
        account: AccountId,
        id: WebhookId,
        change: &WebhookChange<'_>,
        now: i64,
    ) -> StoreResult<WebhookEndpoint> {
        let sql = format!(
            "UPDATE webhook_endpoints SET url = COALESCE($1, url), events = COALESCE($2, events), \
             active = COALESCE($3, active), updated_at = $4 \
             WHERE id = $5 AND account_id = $6 RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: Option<EndpointRow> = sqlx::query_as(&sql)
            .bind(change.url)
            .bind(change.events.map(joined))
            .bind(change.active.map(i64::from))
            .bind(now)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        row.map(Into::into).ok_or(StoreError::NotFound)
    }

    /// Replaces an endpoint's secret; the old one stops signing at once.
    pub async fn rotate_webhook_secret(
        &self,
        account: AccountId,
        id: WebhookId,
        secret: &str,
        now: i64,
    ) -> StoreResult<WebhookEndpoint> {
        let sql = format!(
            "UPDATE webhook_endpoints SET secret = $1, updated_at = $2 \
             WHERE id = $3 AND account_id = $4 RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: Option<EndpointRow> = sqlx::query_as(&sql)
            .bind(secret)
            .bind(now)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        row.map(Into::into).ok_or(StoreError::NotFound)
    }

    /// Deletes an endpoint and its delivery log.
    pub async fn delete_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2")
            .bind(id.get())
            .bind(account.get())
            .execute(self.pool())
            .await?;
        StoreError::found(done.rows_affected())
    }

    /// Queues one delivery of the event to each of `endpoints` (the
    /// account's; another's is `NotFound` and nothing is queued), each with
    /// its job, in one transaction.
    pub async fn queue_deliveries(
        &self,
        account: AccountId,
        endpoints: &[WebhookId],
        event_id: &str,
        event: &str,
        body: &str,
        now: i64,
    ) -> StoreResult<Vec<DeliveryId>> {
        let mut tx = self.begin_write().await?;
        let mut queued = Vec::with_capacity(endpoints.len());
        for endpoint in endpoints {
            let row: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO webhook_deliveries (endpoint_id, account_id, event_id, event, body, \
                 created_at, updated_at) SELECT id, account_id, $1, $2, $3, $4, $4 \
                 FROM webhook_endpoints WHERE id = $5 AND account_id = $6 RETURNING id",
            )
            .bind(event_id)
            .bind(event)
            .bind(body)
            .bind(now)
            .bind(endpoint.get())
            .bind(account.get())
            .fetch_optional(&mut *tx)
            .await?;
            let id = DeliveryId::from_raw(row.ok_or(StoreError::NotFound)?.0);
            insert_job(&mut *tx, Task::Deliver(id), DELIVERY_JOB_CLAIMS, now, now).await?;
            queued.push(id);
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// An endpoint's deliveries, newest first, at most `limit`.
    pub async fn deliveries_of(
        &self,
        account: AccountId,
        endpoint: WebhookId,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        self.webhook_of(account, endpoint).await?;
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE endpoint_id = $1 AND account_id = $2 ORDER BY id DESC LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(endpoint.get())
            .bind(account.get())
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// One of the account's deliveries.
    pub async fn delivery_of(&self, account: AccountId, id: DeliveryId) -> StoreResult<Delivery> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND account_id = $2"
        );
        let delivery: Option<Delivery> = sqlx::query_as(&sql)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        delivery.ok_or(StoreError::NotFound)
    }

    /// A delivery by id alone, for the worker (`None`: its endpoint was
    /// deleted with it).
    pub async fn delivery_by_id(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?)
    }

    /// Records that an attempt starts (committed before anything is sent):
    /// the attempt count it now has, or `None` when the delivery is no
    /// longer pending.
    pub async fn begin_delivery_attempt(
        &self,
        id: DeliveryId,
        now: i64,
    ) -> StoreResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, in_flight = 1, \
             next_attempt_at = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'pending' RETURNING attempts",
        )
        .bind(now)
        .bind(id.get())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(attempts,)| attempts))
    }

    /// Records how an attempt (or a delivery that cannot be attempted) ended.
    pub async fn finish_delivery_attempt(
        &self,
        id: DeliveryId,
        record: &AttemptRecord,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, in_flight = 0, next_attempt_at = $2, \
             response_code = $3, latency_ms = $4, response_body = $5, last_error = $6, \
             updated_at = $7 WHERE id = $8",
        )
        .bind(record.status.as_str())
        .bind(record.next_attempt_at)
        .bind(record.response_code)
        .bind(record.latency_ms)
        .bind(&record.response_body)
        .bind(&record.last_error)
        .bind(now)
        .bind(id.get())
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }
}
