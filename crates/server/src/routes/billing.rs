//! Billing: the owner's plan, status and meters (JSON), upgrades through
//! the payment provider's checkout, cancellation at the end of the period,
//! and the provider's webhooks — the only way a payment changes a plan.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ClientIp, OwnerSession};
use crate::state::AppState;
use witzo_app::billing;
use witzo_app::billing::owner::{
    BillingView, CheckoutInput, billing_view, cancel_at_period_end, open_portal, start_checkout,
};

/// The signed-in owner's plan, subscription status and usage meters.
#[utoipa::path(get, path = "/api/billing", tag = "billing",
    responses((status = 200, body = BillingView), (status = 401, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<BillingView>> {
    Ok(Json(billing_view(&state, owner.account).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    /// The provider's hosted page (checkout or portal); send the owner there.
    pub url: String,
}

/// Starts a checkout for a plan; answers the page to send the owner to.
#[utoipa::path(post, path = "/api/billing/checkout", tag = "billing", request_body = CheckoutInput,
    responses((status = 200, body = CheckoutView),
        (status = 409, description = "`billing_not_configured`, or `subscription_exists` (change it in the portal)"),
        (status = 422, description = "`plan_not_for_sale`"),
        (status = 502, description = "`billing_provider_error`", body = ErrorBody)))]
pub async fn checkout(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> ApiResult<Json<CheckoutView>> {
    let url = start_checkout(&state, owner.account, &input).await?;
    Ok(Json(CheckoutView { url }))
}

/// Opens the provider's customer portal; answers the page to send the owner to.
#[utoipa::path(post, path = "/api/billing/portal", tag = "billing",
    responses((status = 200, body = CheckoutView),
        (status = 409, description = "`billing_not_configured`, `no_billing_customer`", body = ErrorBody),
        (status = 502, description = "`billing_provider_error`", body = ErrorBody)))]
pub async fn portal(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<CheckoutView>> {
    let url = open_portal(&state, owner.account).await?;
    Ok(Json(CheckoutView { url }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// true: end with the current cycle; false: keep the subscription.
    pub cancel_at_period_end: bool,
}

/// Cancels the subscription at the end of the cycle, or takes that back.
#[utoipa::path(put, path = "/api/billing/cancel", tag = "billing", request_body = CancelInput,
    responses((status = 200, body = BillingView),
        (status = 409, description = "`nothing_to_cancel`", body = ErrorBody),
        (status = 502, description = "`billing_provider_error`", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<BillingView>> {
    cancel_at_period_end(&state, owner.account, ip.0, input.cancel_at_period_end).await?;
    Ok(Json(billing_view(&state, owner.account).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// `applied`, `ignored` (a type Witzo does not act on), `duplicate`
    /// (this event id was processed before), `unknown_account`,
    /// `unknown_plan` or `awaiting_payment` (a delayed payment method).
    pub outcome: &'static str,
}

/// The payment provider's webhook. The signature (and its timestamp) is
/// checked before anything is read; each event id is processed once.
#[utoipa::path(post, path = "/v1/billing/webhooks/{provider}", tag = "billing",
    params(("provider" = String, Path, description = "`stripe`")),
    request_body(content = String, description = "The provider's signed event (JSON), read as raw bytes", content_type = "application/json"),
    responses((status = 200, body = WebhookAck),
        (status = 400, description = "`webhook_signature_missing`, `webhook_signature_invalid`, `webhook_timestamp_stale`, `webhook_payload_invalid`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such provider is configured", body = ErrorBody)))]
pub async fn webhook(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<WebhookAck>> {
    let outcome = billing::webhook(&state, &name, &headers, &body).await?;
    Ok(Json(WebhookAck {
        received: true,
        outcome,
    }))
}
