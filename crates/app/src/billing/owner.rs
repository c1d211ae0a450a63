//! The owner's side of billing, whatever the door (JSON API or the
//! Billing page): the plan, status and meters, starting a checkout or the
//! provider's portal, and cancelling at the end of the period.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;
use witzo_store::audit::AuditKind;
use witzo_store::domain::{AccountId, SubscriptionStatus};
use witzo_store::plans::Plan;

use crate::billing::{self, CheckoutRequest};
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};

/// The feature flags Witzo has behaviour behind, in the order the Billing
/// page lists them. A flag not here is kept on the plan but never sold: a
/// listed feature without behaviour would be a promise the product breaks.
pub const SOLD_FEATURES: &[&str] = &[
    "lead_form_fallback",
    "follow_up_email",
    "lead_webhook",
    "auto_rescrape",
    "white_label",
    "api_keys",
];

/// A plan as owners compare them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    /// Per month, in cents; `null`: custom pricing.
    pub price_cents: Option<i64>,
    /// `null` limits are unlimited.
    pub conversations: Option<i64>,
    pub pages: Option<i64>,
    pub documents: Option<i64>,
    pub leads: Option<i64>,
    pub widgets: Option<i64>,
    /// The feature flags that are on (of [`SOLD_FEATURES`]).
    pub features: Vec<&'static str>,
    /// The billing intervals it can be bought online for (`month`,
    /// `year`): those the provider has a price for.
    pub intervals: Vec<BillingInterval>,
}

impl PlanView {
    fn of(plan: &Plan, online: bool) -> Self {
        Self {
            id: plan.id.clone(),
            name: plan.name.clone(),
            price_cents: plan.price_cents,
            conversations: plan.conversations,
            pages: plan.pages,
            documents: plan.documents,
            leads: plan.leads,
            widgets: plan.widgets,
            features: plan
                .features
                .named()
                .into_iter()
                .filter_map(|(name, on)| (on && SOLD_FEATURES.contains(&name)).then_some(name))
                .collect(),
            intervals: [
                (BillingInterval::Month, &plan.price_monthly),
                (BillingInterval::Year, &plan.price_yearly),
            ]
            .into_iter()
            .filter(|(_, price)| online && !price.is_empty())
            .map(|(interval, _)| interval)
            .collect(),
        }
    }
}

/// One usage meter: what is used against the plan's limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meter {
    /// `conversations`, `pages`, `documents`, `leads` or `widgets`.
    pub name: &'static str,
    pub used: i64,
    /// `null`: unlimited.
    pub limit: Option<i64>,
    /// Kept over a lowered limit: not re-processed (pages, documents) or
    /// locked (leads).
    pub over_limit: i64,
}

impl Meter {
    /// Whole percent used (0 when unlimited), for the page's bar.
    pub fn percent(&self) -> i64 {
        crate::widgets::plans::percent_used(self.used, self.limit)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillingView {
    pub plan: PlanView,
    /// `active`, `past_due` or `cancelled`.
    pub status: SubscriptionStatus,
    /// The subscription ends (the account moves to Free) at `renews_at`.
    pub cancel_at_period_end: bool,
    /// When this cycle ends and the allowance renews (unix seconds).
    pub renews_at: i64,
    pub meters: Vec<Meter>,
    pub plans: Vec<PlanView>,
    /// The payment provider (`stripe`), or `null` when plans are changed
    /// by the operator.
    pub provider: Option<&'static str>,
    /// The account pays through the provider: its portal changes the plan
    /// and payment method (and a new checkout is refused).
    pub portal: bool,
    /// A provider subscription is running: plan changes go through the portal.
    pub subscribed: bool,
}

pub async fn billing_view(state: &Core, account: AccountId) -> AppResult<BillingView> {
    let store = &state.store;
    let plan = store.account_plan(account).await?;
    let subscription = store.subscription(account).await?;
    let usage = store.usage(account).await?;
    let held = store.holdings(account).await?;
    let online = state.billing.is_some();
    let meter = |name, used, limit, over_limit| Meter {
        name,
        used,
        limit,
        over_limit,
    };
    Ok(BillingView {
        meters: vec![
            meter("conversations", usage.used, plan.conversations, 0),
            meter("pages", held.pages, plan.pages, held.pages_over_limit),
            meter(
                "documents",
                held.documents,
                plan.documents,
                held.documents_over_limit,
            ),
            meter("leads", held.leads, plan.leads, held.leads_locked),
            meter("widgets", held.widgets, plan.widgets, 0),
        ],
        plans: store
            .plans()
            .await?
            .iter()
            .map(|p| PlanView::of(p, online))
            .collect(),
        plan: PlanView::of(&plan, online),
        status: subscription.status,
        cancel_at_period_end: subscription.cancel_at_period_end.0,
        renews_at: usage.resets_at(),
        provider: state.billing.as_ref().map(|b| b.name()),
        portal: state.billing.is_some() && !subscription.customer.is_empty(),
        subscribed: !subscription.subscription.is_empty(),
    })
}

/// How often a subscription is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillingInterval {
    Month,
    /// Ten months' price for a year.
    Year,
}

impl BillingInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingInterval::Month => "month",
            BillingInterval::Year => "year",
        }
    }

    /// `month` or `year`, as forms send them.
    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw {
            "month" => Ok(BillingInterval::Month),
            "year" => Ok(BillingInterval::Year),
            _ => Err(AppError::new(
                ErrorCode::ValidationFailed,
                "interval must be month or year",
            )
            .field("interval")),
        }
    }
}

impl std::fmt::Display for BillingInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// The plan's id, e.g. `basic`.
    pub plan: String,
    /// `month` (default) or `year` (ten months' price).
    #[serde(default)]
    #[schema(schema_with = crate::fields::interval)]
    pub interval: Option<BillingInterval>,
}

/// Starts buying `plan`: the provider's checkout page. The plan changes
/// only when the provider's webhook confirms the payment.
pub async fn start_checkout(
    state: &Core,
    account: AccountId,
    input: &CheckoutInput,
) -> AppResult<String> {
    let provider = configured(state)?;
    let plan = match state.store.plan(&input.plan).await {
        Ok(plan) => plan,
        Err(witzo_store::StoreError::NotFound) => {
            return Err(not_for_sale(&input.plan, "There is no such plan."));
        }
        Err(err) => return Err(err.into()),
    };
    let price = match input.interval.unwrap_or(BillingInterval::Month) {
        BillingInterval::Month => &plan.price_monthly,
        BillingInterval::Year => &plan.price_yearly,
    };
    if price.is_empty() {
        return Err(not_for_sale(
            &plan.id,
            "This plan is not sold online; contact us.",
        ));
    }
    let subscription = state.store.subscription(account).await?;
    if subscription.plan == plan.id && subscription.status != SubscriptionStatus::Cancelled {
        return Err(not_for_sale(&plan.id, "You are already on this plan."));
    }
    // A second checkout would start a second subscription: changes to a
    // running one go through the provider's portal.
    if !subscription.subscription.is_empty() {
        return Err(AppError::new(
            ErrorCode::SubscriptionExists,
            "You already have a subscription; change its plan in the billing portal.",
        ));
    }
    let email = state.store.account_by_id(account).await?.email;
    let base = state.public_url.as_str().trim_end_matches('/');
    let success_url = format!("{base}/app/billing?notice=checkout_done");
    let cancel_url = format!("{base}/app/billing");
    let request = CheckoutRequest {
        account: account.get(),
        email: &email,
        customer: Some(subscription.customer.as_str()).filter(|c| !c.is_empty()),
        plan: &plan.id,
        price,
        success_url: &success_url,
        cancel_url: &cancel_url,
    };
    let checkout = provider.checkout(&request).await.map_err(provider_error)?;
    Ok(checkout.url)
}

/// The provider's customer portal for the account (change plan, payment
/// method, invoices).
pub async fn open_portal(state: &Core, account: AccountId) -> AppResult<String> {
    let provider = configured(state)?;
    let customer = state.store.subscription(account).await?.customer;
    if customer.is_empty() {
        return Err(AppError::new(
            ErrorCode::NoBillingCustomer,
            "There is no payment account yet: choose a plan first.",
        ));
    }
    let return_url = format!(
        "{}/app/billing",
        state.public_url.as_str().trim_end_matches('/')
    );
    let page = provider
        .portal(&customer, &return_url)
        .await
        .map_err(provider_error)?;
    Ok(page.url)
}

fn configured(state: &Core) -> AppResult<&dyn billing::BillingProvider> {
    state.billing.as_deref().ok_or_else(|| {
        AppError::new(
            ErrorCode::BillingNotConfigured,
            "Online payment is not set up here; the operator changes plans.",
        )
    })
}

fn not_for_sale(plan: &str, message: &str) -> AppError {
    AppError::new(ErrorCode::PlanNotForSale, message)
        .field("plan")
        .details(serde_json::json!({ "plan": plan }))
}

fn provider_error(err: billing::ProviderError) -> AppError {
    tracing::warn!(%err, "the payment provider failed");
    AppError::new(
        ErrorCode::BillingProviderError,
        "The payment provider could not be reached. Please try again.",
    )
}

/// Cancels (or with `cancel = false` resumes) the subscription at the end
/// of the current cycle; the plan and its allowance stay until then.
pub async fn cancel_at_period_end(
    state: &Core,
    account: AccountId,
    ip: IpAddr,
    cancel: bool,
) -> AppResult<()> {
    let subscription = state.store.subscription(account).await?;
    if subscription.plan == billing::FREE_PLAN {
        return Err(AppError::new(
            ErrorCode::NothingToCancel,
            "The Free plan has nothing to cancel.",
        ));
    }
    if let (Some(provider), false) = (&state.billing, subscription.subscription.is_empty()) {
        provider
            .cancel_at_period_end(&subscription.subscription, cancel)
            .await
            .map_err(provider_error)?;
    }
    let now = witzo_store::now();
    state
        .store
        .set_cancel_at_period_end(account, cancel, now)
        .await?;
    let kind = if cancel {
        AuditKind::SubscriptionCancelled
    } else {
        AuditKind::SubscriptionResumed
    };
    state
        .store
        .record_audit(
            Some(account),
            kind,
            &ip.to_string(),
            &subscription.plan,
            now,
        )
        .await?;
    Ok(())
}
