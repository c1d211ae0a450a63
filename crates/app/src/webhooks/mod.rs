//! Outgoing webhooks, the product's one system for telling an owner's
//! servers about events ([`EVENTS`]: leads, conversations, answers,
//! training runs, the allowance; [`events`] builds all but the leads' and
//! says where each is emitted). [`emit`] queues one delivery per
//! subscribed endpoint; the job worker sends it ([`deliver`]) through the
//! SSRF-safe fetcher, signed ([`signature`]), retried with back-off for
//! about a day.
//! Plans without `lead_webhook` queue nothing; their log stays readable.

pub mod deliver;
pub mod events;
pub mod signature;

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use witzo_ingest::{AddressClass, classify};
use witzo_store::domain::{AccountId, DeliveryId, WebUrl, WebhookId, WidgetId};
use witzo_store::webhooks::{Delivery, NewWebhook, WebhookChange, WebhookEndpoint};

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::widgets::plans::{FeatureAccess, feature_access};

/// The events an endpoint may subscribe to (docs/WEBHOOKS.md says when
/// each is sent and what it carries).
pub const EVENTS: &[&str] = &[
    "lead.created",
    "lead.updated",
    events::CONVERSATION_CREATED,
    events::MESSAGE_ANSWERED,
    events::SOURCE_TRAINED,
    events::USAGE_THRESHOLD,
];
/// Events the page leaves unticked when adding an endpoint (one per
/// answer: many). Like every event, sent only to endpoints naming it.
pub const OPT_IN: &[&str] = &[events::MESSAGE_ANSWERED];
/// The event "send test event" sends (to one endpoint, subscribed or not).
pub const PING: &str = "ping";
/// Endpoints an account may have.
pub const MAX_ENDPOINTS: i64 = 10;
/// Deliveries a log lists.
pub const LOG_LENGTH: i64 = 100;

/// A new endpoint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: http(s), a public address, port 80 or
    /// 443, no credentials; at most 2,048 characters.
    #[schema(schema_with = crate::fields::crawl_url)]
    pub url: String,
    /// One or more of `lead.created`, `lead.updated`,
    /// `conversation.created`, `message.answered`, `source.trained`,
    /// `usage.threshold`; only these are sent (none by default).
    #[schema(schema_with = events_schema)]
    pub events: Vec<String>,
    /// Only this widget's events (default: every widget of the account).
    #[schema(value_type = Option<i64>)]
    pub widget_id: Option<WidgetId>,
    /// Default `true`.
    pub active: Option<bool>,
}

/// Changes to an endpoint; what is left out is kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdate {
    #[schema(schema_with = nullable_url_schema)]
    pub url: Option<String>,
    #[schema(schema_with = nullable_events_schema)]
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// `events` as [`parse_events`] takes them: one or more of [`EVENTS`].
pub fn events_schema() -> ArrayBuilder {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EVENTS.iter().copied()));
    ArrayBuilder::new().min_items(Some(1)).items(name)
}

/// `events` of an update: as [`events_schema`], or `null` to keep them.
pub fn nullable_events_schema() -> ArrayBuilder {
    events_schema().schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
}

/// `url` of an update: as when adding, or `null` to keep it.
pub fn nullable_url_schema() -> ObjectBuilder {
    crate::fields::crawl_url().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// An endpoint with its secret, shown only here (creation, rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: the key of every delivery's `Witzo-Signature`. Not shown again.
    pub secret: String,
}

/// Whether the account's plan includes webhooks, and which plan does.
pub async fn availability(core: &Core, account: AccountId) -> AppResult<FeatureAccess> {
    feature_access(&core.store, account, "lead_webhook").await
}

/// `403 plan_limit_lead_webhook` naming the plan that includes webhooks.
async fn require_plan(core: &Core, account: AccountId) -> AppResult<()> {
    availability(core, account)
        .await?
        .require(ErrorCode::PlanLimitLeadWebhook, "webhooks")
}

/// Emits `event` (with `data`, of `widget` when it concerns one; `None`:
/// the whole account's) to the account's active endpoints subscribed to
/// it: one delivery each, queued with its job. Nothing is queued when the
/// plan lacks `lead_webhook`. With no endpoint wanting the event it costs
/// one query (the account's endpoints), so it may run on the chat path.
pub async fn emit(
    core: &Core,
    account: AccountId,
    widget: Option<WidgetId>,
    event: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let endpoints = core.store.webhooks_of(account).await?;
    emit_to(core, account, &endpoints, widget, event, data).await
}

/// [`emit`] to `endpoints`, the account's endpoints as the caller read
/// them (a chat turn reads them once for its two events): with none
/// wanting the event it costs no query.
pub async fn emit_to(
    core: &Core,
    account: AccountId,
    endpoints: &[WebhookEndpoint],
    widget: Option<WidgetId>,
    event: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let endpoints: Vec<WebhookId> = endpoints
        .iter()
        .filter(|endpoint| endpoint.wants(event, widget))
        .map(|endpoint| endpoint.id)
        .collect();
    if endpoints.is_empty()
        || !core
            .store
            .account_plan(account)
            .await?
            .features
            .lead_webhook
            .0
    {
        return Ok(());
    }
    queue(core, account, &endpoints, event, data).await?;
    Ok(())
}

/// Queues a new event to `endpoints`: `{"id", "type", "created_at", "data"}`.
async fn queue(
    core: &Core,
    account: AccountId,
    endpoints: &[WebhookId],
    event: &str,
    data: serde_json::Value,
) -> AppResult<Vec<DeliveryId>> {
    let now = witzo_store::now();
    let event_id = format!("evt_{}", hex::encode(rand::random::<[u8; 12]>()));
    let body = serde_json::json!({"id": event_id, "type": event, "created_at": now, "data": data});
    let body = serde_json::to_string(&body).map_err(AppError::internal)?;
    Ok(core
        .store
        .queue_deliveries(account, endpoints, &event_id, event, &body, now)
        .await?)
}

fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// The URL as typed, if deliveries may go there: `validation_failed` when
/// it is no http(s) URL (or carries credentials), `url_not_allowed` for an
/// IP address that is not public or a port other than 80/443 (unless the
/// development-only `crawler.allow` names it). Names resolving to such
/// addresses are refused by the fetcher at every delivery.
fn parse_url(core: &Core, raw: &str) -> AppResult<WebUrl> {
    let url = WebUrl::parse(raw).map_err(|e| {
        AppError::new(ErrorCode::ValidationFailed, format!("The URL {e}.")).field("url")
    })?;
    let parsed = url::Url::parse(url.as_str()).map_err(AppError::internal)?;
    let port = parsed.port_or_known_default().unwrap_or(0);
    let allow = &core.config.crawler.allow;
    let host_ip = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    let refused = |why: &str| {
        AppError::new(
            ErrorCode::UrlNotAllowed,
            format!("Webhooks cannot be sent to this address: {why}."),
        )
        .field("url")
    };
    let listed = |ip: IpAddr| allow.contains(&SocketAddr::new(ip, port));
    if let Some(ip) = host_ip
        && !listed(ip)
        && let AddressClass::NotPublic(reason) = classify(ip)
    {
        return Err(refused(reason));
    }
    let port_listed = match host_ip {
        Some(ip) => listed(ip),
        None => allow.iter().any(|a| a.port() == port),
    };
    if ![80, 443].contains(&port) && !port_listed {
        return Err(refused("only ports 80 and 443 are used"));
    }
    Ok(url)
}

/// The events, each known, without repeats, at least one.
fn parse_events(events: &[String]) -> AppResult<Vec<String>> {
    let mut parsed: Vec<String> = Vec::new();
    for event in events {
        if !EVENTS.contains(&event.as_str()) {
            return Err(AppError::new(
                ErrorCode::UnknownWebhookEvent,
                format!("Unknown event. Choose from: {}.", EVENTS.join(", ")),
            )
            .field("events"));
        }
        if !parsed.contains(event) {
            parsed.push(event.clone());
        }
    }
    if parsed.is_empty() {
        return Err(
            AppError::new(ErrorCode::ValidationFailed, "Choose at least one event.")
                .field("events"),
        );
    }
    Ok(parsed)
}

pub async fn create(
    core: &Core,
    account: AccountId,
    input: &WebhookInput,
) -> AppResult<WithSecret> {
    let url = parse_url(core, &input.url)?;
    let events = parse_events(&input.events)?;
    require_plan(core, account).await?;
    if core.store.webhook_count(account).await? >= MAX_ENDPOINTS {
        return Err(AppError::new(
            ErrorCode::TooManyWebhooks,
            format!("An account has at most {MAX_ENDPOINTS} webhook endpoints."),
        ));
    }
    let secret = new_secret();
    let new = NewWebhook {
        widget: input.widget_id,
        url: url.as_str(),
        secret: &secret,
        events: &events,
        active: input.active.unwrap_or(true),
    };
    let endpoint = core
        .store
        .create_webhook(account, &new, witzo_store::now())
        .await?;
    Ok(WithSecret { endpoint, secret })
}

pub async fn update(
    core: &Core,
    account: AccountId,
    id: WebhookId,
    input: &WebhookUpdate,
) -> AppResult<WebhookEndpoint> {
    let url = input
        .url
        .as_deref()
        .map(|raw| parse_url(core, raw))
        .transpose()?;
    let events = input.events.as_deref().map(parse_events).transpose()?;
    let change = WebhookChange {
        url: url.as_ref().map(WebUrl::as_str),
        events: events.as_deref(),
        active: input.active,
    };
    Ok(core
        .store
        .update_webhook(account, id, &change, witzo_store::now())
        .await?)
}

pub async fn rotate_secret(
    core: &Core,
    account: AccountId,
    id: WebhookId,
) -> AppResult<WithSecret> {
    let secret = new_secret();
    let endpoint = core
        .store
        .rotate_webhook_secret(account, id, &secret, witzo_store::now())
        .await?;
    Ok(WithSecret { endpoint, secret })
}

/// Sends a `ping` event to one endpoint (whatever it subscribes to).
pub async fn send_test(core: &Core, account: AccountId, id: WebhookId) -> AppResult<Delivery> {
    let endpoint = core.store.webhook_of(account, id).await?;
    require_plan(core, account).await?;
    let data =
        serde_json::json!({"webhook_id": endpoint.id, "message": "A test event from Witzo."});
    let queued = queue(core, account, &[endpoint.id], PING, data).await?;
    first(core, account, &queued).await
}

/// Queues a delivery again, as a new delivery of the same event (same
/// event id and body, so receivers can tell it is a repeat).
pub async fn redeliver(core: &Core, account: AccountId, id: DeliveryId) -> AppResult<Delivery> {
    let old = core.store.delivery_of(account, id).await?;
    require_plan(core, account).await?;
    let queued = core
        .store
        .queue_deliveries(
            account,
            &[old.endpoint_id],
            &old.event_id,
            &old.event,
            &old.body,
            witzo_store::now(),
        )
        .await?;
    first(core, account, &queued).await
}

async fn first(core: &Core, account: AccountId, queued: &[DeliveryId]) -> AppResult<Delivery> {
    let id = queued.first().copied().ok_or_else(AppError::not_found)?;
    Ok(core.store.delivery_of(account, id).await?)
}
