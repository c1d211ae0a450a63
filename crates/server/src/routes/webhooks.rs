//! Outgoing webhooks (JSON API): an owner's endpoints, their delivery log,
//! a test event and redelivery. Every finder takes the owner: another
//! account's endpoint or delivery is 404. The use cases are
//! `witzo_app::webhooks`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use witzo_store::domain::{DeliveryId, WebhookId};
use witzo_store::webhooks::{Delivery, WebhookEndpoint};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, OwnerSession};
use crate::state::AppState;
use witzo_app::webhooks::{self, WebhookInput, WebhookUpdate, WithSecret};

/// The account's endpoints, oldest first (kept and listed whatever the plan).
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookEndpoint>)))]
pub async fn list(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<Vec<WebhookEndpoint>>> {
    Ok(Json(state.store.webhooks_of(owner.account).await?))
}

/// Adds an endpoint. The answer holds its signing secret, shown only here.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WithSecret),
        (status = 403, description = "`plan_limit_lead_webhook`: the plan does not include webhooks", body = ErrorBody),
        (status = 404, description = "`not_found`: `widget_id` is not one of yours", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `url_not_allowed`, `unknown_webhook_event`, `too_many_webhooks`", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WithSecret>)> {
    let created = webhooks::create(&state, owner.account, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<Json<WebhookEndpoint>> {
    Ok(Json(state.store.webhook_of(owner.account, id).await?))
}

/// Changes an endpoint's URL, events or state (what is left out is kept).
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), request_body = WebhookUpdate,
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed`, `url_not_allowed`, `unknown_webhook_event`", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
    ApiJson(input): ApiJson<WebhookUpdate>,
) -> ApiResult<Json<WebhookEndpoint>> {
    Ok(Json(
        webhooks::update(&state, owner.account, id, &input).await?,
    ))
}

/// Deletes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<StatusCode> {
    state.store.delete_webhook(owner.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the endpoint's signing secret (the old one stops at once);
/// the answer holds the new one, shown only here.
#[utoipa::path(post, path = "/api/webhooks/{id}/secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WithSecret), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<Json<WithSecret>> {
    Ok(Json(
        webhooks::rotate_secret(&state, owner.account, id).await?,
    ))
}

/// The endpoint's last 100 deliveries, newest first: status, attempts,
/// response code, latency and the first 1 KB of the answer.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Delivery>), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<Json<Vec<Delivery>>> {
    let log = state
        .store
        .deliveries_of(owner.account, id, webhooks::LOG_LENGTH)
        .await?;
    Ok(Json(log))
}

/// Queues a `ping` event to the endpoint (whatever it subscribes to).
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 202, body = Delivery),
        (status = 403, description = "`plan_limit_lead_webhook`", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    let queued = webhooks::send_test(&state, owner.account, id).await?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// Queues the delivery's event again, as a new delivery with the same
/// event id and body.
#[utoipa::path(post, path = "/api/webhooks/deliveries/{id}/redeliver", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 202, body = Delivery),
        (status = 403, description = "`plan_limit_lead_webhook`", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<DeliveryId>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    let queued = webhooks::redeliver(&state, owner.account, id).await?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}
