//! Payment providers. A provider sells plans (a hosted checkout page) and
//! reports what happened through signed webhooks; Witzo only ever trusts a
//! plan or status change that arrived in a verified event. Stripe is the
//! one provider today ([`stripe`]); another implements [`BillingProvider`].

pub mod owner;
pub mod stripe;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::HeaderMap;
use witzo_store::domain::AccountId;
use witzo_store::{Store, StoreResult};

use crate::config::BillingConfig;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};

pub use witzo_store::domain::SubscriptionStatus;

/// What the owner is buying.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    /// Witzo's account id; comes back in `CheckoutCompleted::account`.
    pub account: i64,
    pub email: &'a str,
    /// The provider's customer id, when the account already has one.
    pub customer: Option<&'a str>,
    /// Witzo's plan id; comes back in the events' `plan`.
    pub plan: &'a str,
    /// The provider's price id for that plan.
    pub price: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// A provider's hosted page (checkout, customer portal) to send the owner to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub url: String,
}

/// What a verified webhook says happened, in provider-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingEvent {
    /// The owner finished the checkout page.
    CheckoutCompleted {
        account: Option<i64>,
        customer: Option<String>,
        subscription: Option<String>,
        plan: Option<String>,
        /// False while a delayed payment method has not paid yet: the ids
        /// are remembered, the plan waits for the payment.
        paid: bool,
    },
    /// A subscription's status, renewal or price changed.
    SubscriptionUpdated {
        customer: Option<String>,
        subscription: String,
        status: SubscriptionStatus,
        cancel_at_period_end: bool,
        /// The provider's price id of the (first) subscription item.
        price: Option<String>,
        /// `metadata.plan`, when Witzo's checkout set it.
        plan: Option<String>,
    },
    /// The subscription ended.
    SubscriptionDeleted {
        customer: Option<String>,
        subscription: String,
    },
    /// A renewal payment failed.
    PaymentFailed {
        customer: Option<String>,
        subscription: Option<String>,
    },
    /// A type Witzo does not act on; acknowledged and recorded, no change.
    Ignored,
}

/// A webhook whose signature and timestamp checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    /// The provider's event id: each is processed once.
    pub id: String,
    /// The provider's event type, e.g. `checkout.session.completed`.
    pub kind: String,
    pub event: BillingEvent,
}

/// Why a webhook was refused; none of them changes anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signature header is missing or malformed")]
    MissingSignature,
    #[error("no signature matches the payload")]
    BadSignature,
    #[error("the signed timestamp is outside the tolerance window")]
    StaleTimestamp,
    #[error("the payload is not a valid event: {0}")]
    Malformed(String),
}

/// A call to the provider's API that did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("the payment provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
}

pub trait BillingProvider: Send + Sync {
    /// Short name, for logs and the webhook path (`/billing/webhooks/{name}`).
    fn name(&self) -> &'static str;

    /// Creates a hosted checkout page for a subscription to `request.price`.
    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, ProviderError>>;

    /// A hosted page where the customer changes plan or payment method;
    /// what they change comes back as webhook events.
    fn portal<'a>(
        &'a self,
        customer: &'a str,
        return_url: &'a str,
    ) -> BoxFuture<'a, Result<Checkout, ProviderError>>;

    /// Sets (or clears) cancellation at the end of the paid period.
    fn cancel_at_period_end<'a>(
        &'a self,
        subscription: &'a str,
        cancel: bool,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Verifies a webhook delivery's signature (at unix time `now`) and
    /// reads its event.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedEvent, WebhookError>;
}

/// The configured provider, if any.
pub fn from_config(config: &BillingConfig) -> anyhow::Result<Option<Arc<dyn BillingProvider>>> {
    let stripe = &config.stripe;
    let (Some(secret_key), Some(webhook_secret)) = (&stripe.secret_key, &stripe.webhook_secret)
    else {
        return Ok(None);
    };
    let provider = stripe::StripeProvider::new(
        secret_key.clone(),
        webhook_secret.clone(),
        url::Url::parse(&stripe.api_base)?,
        i64::try_from(stripe.tolerance_secs).unwrap_or(300),
        Duration::from_secs(stripe.timeout_secs),
    )?;
    Ok(Some(Arc::new(provider)))
}

/// What processing a verified event did, as recorded and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// A type Witzo does not act on.
    Ignored,
    /// No account matches the event's customer or subscription.
    UnknownAccount,
    /// The event names a plan (or price) Witzo does not sell.
    UnknownPlan,
    /// Checkout finished with a payment still pending; no plan change yet.
    AwaitingPayment,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::UnknownAccount => "unknown_account",
            Self::UnknownPlan => "unknown_plan",
            Self::AwaitingPayment => "awaiting_payment",
        }
    }
}

/// A payment provider's webhook named `name`: verified against its
/// signature, then processed once. Answers the outcome's name
/// (`duplicate` for an event processed before); every outcome is counted in
/// the metrics, refusals included.
pub async fn webhook(
    core: &Core,
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<&'static str> {
    let provider = core
        .billing
        .as_ref()
        .filter(|p| p.name() == name)
        .ok_or_else(AppError::not_found)?;
    let now = witzo_store::now();
    let verified = provider.verify(headers, body, now).map_err(|err| {
        let code = match err {
            WebhookError::MissingSignature => ErrorCode::WebhookSignatureMissing,
            WebhookError::BadSignature => ErrorCode::WebhookSignatureInvalid,
            WebhookError::StaleTimestamp => ErrorCode::WebhookTimestampStale,
            WebhookError::Malformed(_) => ErrorCode::WebhookPayloadInvalid,
        };
        tracing::warn!(%err, provider = name, "refused a billing webhook");
        core.metrics.billing_webhook("refused");
        AppError::new(code, err.to_string())
    })?;
    let outcome = receive(&core.store, provider.name(), &verified, now)
        .await?
        .map_or("duplicate", Outcome::as_str);
    tracing::info!(
        provider = name,
        event = verified.id,
        kind = verified.kind,
        outcome,
        "billing webhook"
    );
    core.metrics.billing_webhook(outcome);
    Ok(outcome)
}

/// Processes a verified event of `provider` once: claims its id, applies
/// it and records the outcome; on a failure the claim is released so the
/// provider's retry processes it. `None`: the event was processed before.
async fn receive(
    store: &Store,
    provider: &str,
    verified: &VerifiedEvent,
    now: i64,
) -> StoreResult<Option<Outcome>> {
    if !store
        .claim_billing_event(provider, &verified.id, &verified.kind, now)
        .await?
    {
        return Ok(None);
    }
    match apply(store, &verified.event, now).await {
        Ok((outcome, account)) => {
            store
                .finish_billing_event(provider, &verified.id, account, outcome.as_str())
                .await?;
            Ok(Some(outcome))
        }
        Err(err) => {
            store.release_billing_event(provider, &verified.id).await?;
            Err(err)
        }
    }
}

/// The plan every ended subscription falls back to.
pub const FREE_PLAN: &str = "free";

/// Applies a verified event to the account it concerns. Every change is
/// idempotent, so a redelivery that races past the event-id check changes
/// nothing further.
pub async fn apply(
    store: &Store,
    event: &BillingEvent,
    now: i64,
) -> StoreResult<(Outcome, Option<AccountId>)> {
    match event {
        BillingEvent::Ignored => Ok((Outcome::Ignored, None)),
        BillingEvent::CheckoutCompleted {
            account,
            customer,
            subscription,
            plan,
            paid,
        } => {
            let account = match account {
                Some(id) => match store.account_by_id(AccountId::from_raw(*id)).await {
                    Ok(account) => Some(account.id),
                    Err(witzo_store::StoreError::NotFound) => None,
                    Err(err) => return Err(err),
                },
                None => {
                    store
                        .account_by_billing(customer.as_deref(), subscription.as_deref())
                        .await?
                }
            };
            let Some(account) = account else {
                return Ok((Outcome::UnknownAccount, None));
            };
            let Some(plan) = known_plan(store, plan.as_deref()).await? else {
                return Ok((Outcome::UnknownPlan, Some(account)));
            };
            store
                .link_billing(
                    account,
                    customer.as_deref().unwrap_or_default(),
                    subscription.as_deref().unwrap_or_default(),
                    now,
                )
                .await?;
            if !paid {
                return Ok((Outcome::AwaitingPayment, Some(account)));
            }
            store
                .change_plan(account, &plan, SubscriptionStatus::Active, now)
                .await?;
            Ok((Outcome::Applied, Some(account)))
        }
        BillingEvent::SubscriptionUpdated {
            customer,
            subscription,
            status,
            cancel_at_period_end,
            price,
            plan,
        } => {
            let Some(account) = store
                .account_by_billing(customer.as_deref(), Some(subscription))
                .await?
            else {
                return Ok((Outcome::UnknownAccount, None));
            };
            if *status == SubscriptionStatus::Cancelled {
                store.change_plan(account, FREE_PLAN, *status, now).await?;
                return Ok((Outcome::Applied, Some(account)));
            }
            let by_price = match price {
                Some(price) => store.plan_by_price(price).await?.map(|p| p.id),
                None => None,
            };
            let target = match by_price {
                Some(id) => Some(id),
                None => known_plan(store, plan.as_deref()).await?,
            };
            let Some(target) = target else {
                return Ok((Outcome::UnknownPlan, Some(account)));
            };
            store.change_plan(account, &target, *status, now).await?;
            store
                .set_cancel_at_period_end(account, *cancel_at_period_end, now)
                .await?;
            Ok((Outcome::Applied, Some(account)))
        }
        BillingEvent::SubscriptionDeleted {
            customer,
            subscription,
        } => {
            let Some(account) = store
                .account_by_billing(customer.as_deref(), Some(subscription))
                .await?
            else {
                return Ok((Outcome::UnknownAccount, None));
            };
            store
                .change_plan(account, FREE_PLAN, SubscriptionStatus::Cancelled, now)
                .await?;
            let customer = store.subscription(account).await?.customer;
            store.link_billing(account, &customer, "", now).await?;
            Ok((Outcome::Applied, Some(account)))
        }
        BillingEvent::PaymentFailed {
            customer,
            subscription,
        } => {
            let Some(account) = store
                .account_by_billing(customer.as_deref(), subscription.as_deref())
                .await?
            else {
                return Ok((Outcome::UnknownAccount, None));
            };
            store
                .set_subscription_status(account, SubscriptionStatus::PastDue, now)
                .await?;
            Ok((Outcome::Applied, Some(account)))
        }
    }
}

/// `plan` if it names a stored plan.
async fn known_plan(store: &Store, plan: Option<&str>) -> StoreResult<Option<String>> {
    match plan {
        Some(id) if !id.is_empty() => match store.plan(id).await {
            Ok(plan) => Ok(Some(plan.id)),
            Err(witzo_store::StoreError::NotFound) => Ok(None),
            Err(err) => Err(err),
        },
        _ => Ok(None),
    }
}
