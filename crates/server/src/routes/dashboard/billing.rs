//! The Billing page: plan, status, usage meters, upgrade (through the
//! payment provider's checkout) and cancellation at the end of the cycle.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiError, ApiResult, AppResult};
use crate::extract::{ApiForm, ApiQuery, ClientIp, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::billing::owner::{self as api, BillingInterval, BillingView, CheckoutInput};

#[derive(Template)]
#[template(path = "app/billing.html")]
struct BillingPage {
    layout: Layout,
    billing: BillingView,
    renews: String,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

#[derive(Template)]
#[template(path = "app/checkout.html")]
struct CheckoutPage {
    layout: Layout,
    heading: &'static str,
    explain: &'static str,
    url: String,
}

impl BillingPage {
    /// The price of a plan as shown: "$20 / month", "Free", "Custom".
    fn price(&self, cents: &Option<i64>) -> String {
        match cents {
            None => "Custom".to_owned(),
            Some(0) => "Free".to_owned(),
            Some(cents) if cents % 100 == 0 => format!("${} / month", cents / 100),
            Some(cents) => format!("${}.{:02} / month", cents / 100, cents % 100),
        }
    }

    fn limit(&self, limit: &Option<i64>) -> String {
        limit.map_or_else(|| "unlimited".to_owned(), |l| l.to_string())
    }

    /// A feature flag's name as owners read it.
    fn feature(&self, name: &str) -> &'static str {
        match name {
            "lead_form_fallback" => "lead form at the limit",
            "follow_up_email" => "follow-up e-mail to leads",
            "lead_webhook" => "lead webhook",
            "auto_rescrape" => "automatic re-scrape",
            "white_label" => "white-label",
            "api_keys" => "API keys",
            _ => "",
        }
    }
}

fn notice_text(notice: &str) -> Option<&'static str> {
    match notice {
        "checkout_done" => Some(
            "Thank you. Your plan changes as soon as the payment provider confirms the payment.",
        ),
        "cancelled" => Some("Your subscription ends with the current cycle."),
        "resumed" => Some("Your subscription continues."),
        _ => None,
    }
}

async fn billing_page(
    state: &AppState,
    owner: &OwnerSession,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let billing = api::billing_view(state, owner.account).await?;
    let page = BillingPage {
        layout: Layout::signed_in(state, owner, "billing").await?,
        renews: witzo_app::format::utc_minute(billing.renews_at),
        billing,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// A client error shown on the page; anything else is an error response.
async fn or_page(
    state: &AppState,
    owner: &OwnerSession,
    result: ApiResult<Response>,
) -> ApiResult<Response> {
    match result {
        Err(err) if err.code().is_client_error() || is_provider(&err) => {
            let page = billing_page(state, owner, None, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        other => other,
    }
}

/// A page linking to the provider's hosted page at `url` (a link rather
/// than a redirect, which the dashboard's `form-action 'self'` policy would
/// block); the Billing page with the error when there is none.
async fn hosted_page(
    state: &AppState,
    owner: &OwnerSession,
    heading: &'static str,
    explain: &'static str,
    url: AppResult<String>,
) -> ApiResult<Response> {
    let result = async {
        let page = CheckoutPage {
            layout: Layout::signed_in(state, owner, "billing").await?,
            heading,
            explain,
            url: url?,
        };
        Ok(render(&page)?.into_response())
    }
    .await;
    or_page(state, owner, result).await
}

fn is_provider(err: &ApiError) -> bool {
    err.code() == crate::error::ErrorCode::BillingProviderError
}

/// The Billing page.
#[utoipa::path(get, path = "/app/billing", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = query.notice.as_deref().and_then(notice_text);
    billing_page(&state, &owner, notice, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeForm {
    plan: String,
    #[schema(schema_with = witzo_app::fields::interval_text)]
    interval: Option<String>,
    csrf_token: String,
}

/// Starts an upgrade: a page that links to the provider's checkout.
#[utoipa::path(post, path = "/app/billing/checkout", tag = "pages",
    request_body(content = UpgradeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "A page linking to the checkout", content_type = "text/html"),
        (status = 409, description = "The Billing page with `billing_not_configured` or `subscription_exists`", content_type = "text/html"),
        (status = 422, description = "The Billing page with `plan_not_for_sale`", content_type = "text/html"),
        (status = 502, description = "`billing_provider_error`", content_type = "text/html")))]
pub async fn checkout(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiForm(form): ApiForm<UpgradeForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let input = CheckoutInput {
        plan: form.plan,
        interval: match form.interval.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(BillingInterval::parse(raw)?),
        },
    };
    let url = api::start_checkout(&state, owner.account, &input).await;
    hosted_page(
        &state,
        &owner,
        "Checkout",
        "Payment happens on the payment provider's secure page. Your plan changes as soon as it confirms the payment.",
        url,
    )
    .await
}

/// Opens the payment provider's portal (plan, payment method, invoices).
#[utoipa::path(post, path = "/app/billing/portal", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "A page linking to the portal", content_type = "text/html"),
        (status = 409, description = "The Billing page with `billing_not_configured` or `no_billing_customer`", content_type = "text/html"),
        (status = 502, description = "`billing_provider_error`", content_type = "text/html")))]
pub async fn portal(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let url = api::open_portal(&state, owner.account).await;
    hosted_page(
        &state,
        &owner,
        "Manage your subscription",
        "Change your plan, payment method or billing details on the payment provider's secure page; Witzo follows what you change there.",
        url,
    )
    .await
}

/// Cancels the subscription at the end of the current cycle.
#[utoipa::path(post, path = "/app/billing/cancel", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the Billing page"),
        (status = 409, description = "The Billing page with `nothing_to_cancel`", content_type = "text/html"),
        (status = 502, description = "`billing_provider_error`", content_type = "text/html")))]
pub async fn cancel(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let result = api::cancel_at_period_end(&state, owner.account, ip.0, true)
        .await
        .map(|()| redirect("/app/billing?notice=cancelled", []))
        .map_err(ApiError::from);
    or_page(&state, &owner, result).await
}

/// Takes a pending cancellation back.
#[utoipa::path(post, path = "/app/billing/resume", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the Billing page"),
        (status = 409, description = "The Billing page with `nothing_to_cancel`", content_type = "text/html"),
        (status = 502, description = "`billing_provider_error`", content_type = "text/html")))]
pub async fn resume(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let result = api::cancel_at_period_end(&state, owner.account, ip.0, false)
        .await
        .map(|()| redirect("/app/billing?notice=resumed", []))
        .map_err(ApiError::from);
    or_page(&state, &owner, result).await
}
