//! Stripe: hosted Checkout for subscriptions, cancellation at the end of
//! the paid period, and signed webhooks.
//!
//! Stripe signs each webhook delivery with the endpoint's signing secret
//! (`whsec_…`): the `Stripe-Signature` header carries `t=<unix time>` and
//! one or more `v1=<hex>` signatures (several while the secret is being
//! rolled), each the HMAC-SHA256 of `"<t>.<raw body>"`; other schemes
//! (`v0`) are ignored. A delivery is accepted when any `v1` matches, compared
//! in constant time, and `t` is within the tolerance of now.
//!
//! The signature is checked before the timestamp: until it matches, `t` is
//! whatever the sender wrote, so judging it first would answer forgeries
//! with "stale" and let anyone probe the tolerance window. Once it matches,
//! `t` is Stripe's own, and a stale one means a genuine delivery replayed.

use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use url::Url;

use super::{
    BillingEvent, BillingProvider, Checkout, CheckoutRequest, ProviderError, SubscriptionStatus,
    VerifiedEvent, WebhookError,
};

/// The header Stripe signs webhook deliveries in.
const SIGNATURE_HEADER: &str = "stripe-signature";

/// Stripe's API and webhooks, for one Stripe account.
pub struct StripeProvider {
    client: reqwest::Client,
    secret_key: SecretString,
    /// HMAC-SHA256 keyed with the webhook signing secret; cloned per delivery.
    signer: Hmac<Sha256>,
    api_base: Url,
    tolerance_secs: u64,
}

impl StripeProvider {
    /// `secret_key` (`sk_…`) authenticates API calls; `webhook_secret`
    /// (`whsec_…`) is the webhook endpoint's signing secret; `api_base` is
    /// `https://api.stripe.com` outside tests. Deliveries signed more than
    /// `tolerance_secs` away from now are refused (a negative tolerance counts
    /// as 0); `timeout` bounds each API call. An empty signing secret is
    /// refused: anyone could sign with it.
    pub fn new(
        secret_key: SecretString,
        webhook_secret: SecretString,
        api_base: Url,
        tolerance_secs: i64,
        timeout: std::time::Duration,
    ) -> Result<Self, ProviderError> {
        let webhook_secret = webhook_secret.expose_secret().as_bytes();
        if webhook_secret.is_empty() {
            return Err(ProviderError::Refused(
                "the webhook signing secret is empty".to_owned(),
            ));
        }
        let signer = Hmac::<Sha256>::new_from_slice(webhook_secret).map_err(|_| {
            ProviderError::Refused("the webhook signing secret is unusable".to_owned())
        })?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| unreachable(&err))?;
        Ok(Self {
            client,
            secret_key,
            signer,
            api_base,
            tolerance_secs: tolerance_secs.max(0).unsigned_abs(),
        })
    }

    /// `api_base` with `segments` appended, each percent-encoded.
    fn endpoint(&self, segments: &[&str]) -> Result<Url, ProviderError> {
        let mut url = self.api_base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                ProviderError::Unreachable(format!("{} cannot be an API base", self.api_base))
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// POSTs a form with the secret key; the body of a 2xx reply.
    async fn post(&self, url: Url, form: String) -> Result<bytes::Bytes, ProviderError> {
        let response = self
            .client
            .post(url)
            .bearer_auth(self.secret_key.expose_secret())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|err| unreachable(&err))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|err| unreachable(&err))?;
        if status.is_success() {
            return Ok(body);
        }
        #[derive(Deserialize)]
        struct Reply {
            error: Detail,
        }
        #[derive(Deserialize)]
        struct Detail {
            message: String,
        }
        let message = serde_json::from_slice::<Reply>(&body)
            .map_or_else(|_| format!("HTTP {status}"), |reply| reply.error.message);
        Err(ProviderError::Refused(message))
    }
}

impl BillingProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, ProviderError>> {
        Box::pin(async move {
            let url = self.endpoint(&["v1", "checkout", "sessions"])?;
            let body = self.post(url, checkout_form(request)).await?;
            hosted_page(&body, "checkout session")
        })
    }

    fn portal<'a>(
        &'a self,
        customer: &'a str,
        return_url: &'a str,
    ) -> BoxFuture<'a, Result<Checkout, ProviderError>> {
        Box::pin(async move {
            check_id(customer, "customer")?;
            let url = self.endpoint(&["v1", "billing_portal", "sessions"])?;
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("customer", customer)
                .append_pair("return_url", return_url)
                .finish();
            let body = self.post(url, form).await?;
            hosted_page(&body, "billing portal session")
        })
    }

    fn cancel_at_period_end<'a>(
        &'a self,
        subscription: &'a str,
        cancel: bool,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            check_id(subscription, "subscription")?;
            let url = self.endpoint(&["v1", "subscriptions", subscription])?;
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair(
                    "cancel_at_period_end",
                    if cancel { "true" } else { "false" },
                )
                .finish();
            self.post(url, form).await?;
            Ok(())
        })
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedEvent, WebhookError> {
        let signature = SignatureHeader::parse(headers).ok_or(WebhookError::MissingSignature)?;
        let mut mac = self.signer.clone();
        mac.update(signature.timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = hex::encode(mac.finalize().into_bytes());
        let matches = signature
            .v1
            .iter()
            .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())));
        if !matches {
            return Err(WebhookError::BadSignature);
        }
        if now.abs_diff(signature.timestamp) > self.tolerance_secs {
            return Err(WebhookError::StaleTimestamp);
        }
        parse_event(body)
    }
}

/// The `url` of a session Stripe created (checkout, billing portal).
fn hosted_page(body: &[u8], what: &str) -> Result<Checkout, ProviderError> {
    #[derive(Deserialize)]
    struct Session {
        url: String,
    }
    let session: Session = serde_json::from_slice(body)
        .map_err(|err| ProviderError::Unreachable(format!("unexpected {what} reply: {err}")))?;
    Ok(Checkout { url: session.url })
}

/// Refuses an id that is not Stripe-shaped before it reaches a URL or form.
fn check_id(id: &str, what: &str) -> Result<(), ProviderError> {
    let well_formed = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(ProviderError::Refused(format!(
            "{id:?} is not a Stripe {what} id"
        )))
    }
}

/// The Checkout Session form: a subscription to `request.price`, with
/// Witzo's account and plan on the session and on the subscription.
fn checkout_form(request: &CheckoutRequest<'_>) -> String {
    let account = request.account.to_string();
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("mode", "subscription")
        .append_pair("line_items[0][price]", request.price)
        .append_pair("line_items[0][quantity]", "1")
        .append_pair("success_url", request.success_url)
        .append_pair("cancel_url", request.cancel_url)
        .append_pair("client_reference_id", &account);
    match request.customer {
        Some(customer) => form.append_pair("customer", customer),
        None => form.append_pair("customer_email", request.email),
    };
    form.append_pair("metadata[plan]", request.plan)
        .append_pair("metadata[account]", &account)
        .append_pair("subscription_data[metadata][plan]", request.plan)
        .append_pair("subscription_data[metadata][account]", &account)
        .finish()
}

/// A transport failure, with its causes (never the request's headers).
fn unreachable(err: &reqwest::Error) -> ProviderError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::Unreachable(message)
}

/// `Stripe-Signature`: the first `t`, and every `v1`.
struct SignatureHeader<'h> {
    timestamp: i64,
    v1: Vec<&'h str>,
}

impl<'h> SignatureHeader<'h> {
    /// `None` when the header is missing or malformed, or lacks `t` or `v1`.
    fn parse(headers: &'h HeaderMap) -> Option<Self> {
        let value = headers.get(SIGNATURE_HEADER)?.to_str().ok()?;
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in value.split(',') {
            match item.trim().split_once('=')? {
                ("t", t) if timestamp.is_none() => timestamp = Some(t.parse().ok()?),
                ("v1", signature) => v1.push(signature),
                _ => {}
            }
        }
        if v1.is_empty() {
            return None;
        }
        Some(Self {
            timestamp: timestamp?,
            v1,
        })
    }
}

/// Reads a verified body: `{"id", "type", "data": {"object": {…}}}`.
fn parse_event(body: &[u8]) -> Result<VerifiedEvent, WebhookError> {
    let malformed = |what: &str| WebhookError::Malformed(what.to_owned());
    let event: Value = serde_json::from_slice(body)
        .map_err(|err| WebhookError::Malformed(format!("not JSON: {err}")))?;
    let id = event
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no id"))?;
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no type"))?;
    let object = event
        .pointer("/data/object")
        .filter(|object| object.is_object())
        .ok_or_else(|| malformed("no data.object"))?;
    let string = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let event = match kind {
        // A delayed payment method (a bank debit) completes the session
        // `unpaid`; `async_payment_succeeded` follows once the money is in.
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            BillingEvent::CheckoutCompleted {
                account: string("/client_reference_id")
                    .and_then(|account| account.parse().ok())
                    .or_else(|| {
                        string("/metadata/account").and_then(|account| account.parse().ok())
                    }),
                customer: id_of(object.get("customer")),
                subscription: id_of(object.get("subscription")),
                plan: string("/metadata/plan").map(str::to_owned),
                paid: kind == "checkout.session.async_payment_succeeded"
                    || string("/payment_status") != Some("unpaid"),
            }
        }
        "customer.subscription.created" | "customer.subscription.updated" => {
            let status = string("/status").ok_or_else(|| malformed("no subscription status"))?;
            BillingEvent::SubscriptionUpdated {
                customer: id_of(object.get("customer")),
                subscription: string("/id")
                    .ok_or_else(|| malformed("no subscription id"))?
                    .to_owned(),
                status: subscription_status(status).ok_or_else(|| {
                    WebhookError::Malformed(format!("unknown subscription status {status:?}"))
                })?,
                cancel_at_period_end: object
                    .get("cancel_at_period_end")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                price: id_of(object.pointer("/items/data/0/price")),
                plan: string("/metadata/plan").map(str::to_owned),
            }
        }
        "customer.subscription.deleted" => BillingEvent::SubscriptionDeleted {
            customer: id_of(object.get("customer")),
            subscription: string("/id")
                .ok_or_else(|| malformed("no subscription id"))?
                .to_owned(),
        },
        "invoice.payment_failed" => BillingEvent::PaymentFailed {
            customer: id_of(object.get("customer")),
            // API versions from 2025-03-31 moved it under `parent`.
            subscription: id_of(object.get("subscription"))
                .or_else(|| id_of(object.pointer("/parent/subscription_details/subscription"))),
        },
        _ => BillingEvent::Ignored,
    };
    Ok(VerifiedEvent {
        id: id.to_owned(),
        kind: kind.to_owned(),
        event,
    })
}

/// An id given either as a string or as an expanded object with an `id`.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(id) => Some(id.clone()),
        Value::Object(object) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Stripe's subscription statuses in Witzo's terms (a paused subscription
/// collects no payment: past due); `None` for one Stripe adds later.
fn subscription_status(status: &str) -> Option<SubscriptionStatus> {
    match status {
        "active" | "trialing" => Some(SubscriptionStatus::Active),
        "past_due" | "unpaid" | "incomplete" | "paused" => Some(SubscriptionStatus::PastDue),
        "canceled" | "incomplete_expired" => Some(SubscriptionStatus::Cancelled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

    use std::time::Duration;

    use axum::Json;
    use axum::body::Bytes;
    use axum::http::{HeaderValue, StatusCode, Uri};
    use axum::routing::post;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;

    const SECRET_KEY: &str = "sk_test_51secretkey";
    const WEBHOOK_SECRET: &str = "whsec_test_signing_secret";
    const NOW: i64 = 1_750_000_000;
    const TOLERANCE: i64 = 300;

    fn provider(api_base: &str) -> StripeProvider {
        StripeProvider::new(
            SecretString::from(SECRET_KEY),
            SecretString::from(WEBHOOK_SECRET),
            Url::parse(api_base).unwrap(),
            TOLERANCE,
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn sign(secret: &str, timestamp: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{body}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn signature_header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Stripe-Signature", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn verify(header: &str, body: &str, now: i64) -> Result<VerifiedEvent, WebhookError> {
        provider("https://api.stripe.com").verify(&signature_header(header), body.as_bytes(), now)
    }

    /// `body` signed at `NOW` with the right secret, verified at `NOW`.
    fn deliver(body: &str) -> Result<VerifiedEvent, WebhookError> {
        let header = format!("t={NOW},v1={}", sign(WEBHOOK_SECRET, NOW, body));
        verify(&header, body, NOW)
    }

    fn event(kind: &str, object: Value) -> String {
        json!({
            "id": "evt_1",
            "object": "event",
            "type": kind,
            "data": {"object": object},
        })
        .to_string()
    }

    fn delivered(kind: &str, object: Value) -> BillingEvent {
        let verified = deliver(&event(kind, object)).unwrap();
        assert_eq!(
            (verified.id.as_str(), verified.kind.as_str()),
            ("evt_1", kind)
        );
        verified.event
    }

    fn subscription(status: &str) -> Value {
        json!({"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": status})
    }

    #[test]
    fn a_completed_checkout_names_the_account_customer_subscription_and_plan() {
        let object = json!({
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": "42",
            "customer": "cus_1",
            "subscription": "sub_1",
            "metadata": {"plan": "pro", "account": "42"},
        });
        assert_eq!(
            delivered("checkout.session.completed", object),
            BillingEvent::CheckoutCompleted {
                account: Some(42),
                customer: Some("cus_1".to_owned()),
                subscription: Some("sub_1".to_owned()),
                plan: Some("pro".to_owned()),
                paid: true,
            }
        );
        let object = json!({
            "id": "cs_test_2",
            "customer": null,
            "subscription": {"id": "sub_2", "object": "subscription"},
            "metadata": {"account": "7"},
        });
        assert_eq!(
            delivered("checkout.session.completed", object),
            BillingEvent::CheckoutCompleted {
                account: Some(7),
                customer: None,
                subscription: Some("sub_2".to_owned()),
                plan: None,
                paid: true,
            },
            "metadata.account without client_reference_id; null and expanded ids"
        );
    }

    #[test]
    fn a_delayed_payment_completes_unpaid_and_is_paid_when_it_succeeds() {
        let object = json!({"id": "cs_3", "client_reference_id": "9", "customer": "cus_9",
                            "subscription": "sub_9", "payment_status": "unpaid",
                            "metadata": {"plan": "basic"}});
        let paid = |kind| match delivered(kind, object.clone()) {
            BillingEvent::CheckoutCompleted { paid, .. } => paid,
            other => panic!("{kind}: {other:?}"),
        };
        assert!(!paid("checkout.session.completed"));
        assert!(paid("checkout.session.async_payment_succeeded"));
    }

    #[test]
    fn an_updated_subscription_carries_status_renewal_price_and_plan() {
        let object = json!({
            "id": "sub_1",
            "object": "subscription",
            "customer": {"id": "cus_1", "object": "customer"},
            "status": "past_due",
            "cancel_at_period_end": true,
            "items": {"object": "list", "data": [
                {"id": "si_1", "price": {"id": "price_pro", "object": "price"}},
            ]},
            "metadata": {"plan": "pro"},
        });
        assert_eq!(
            delivered("customer.subscription.updated", object),
            BillingEvent::SubscriptionUpdated {
                customer: Some("cus_1".to_owned()),
                subscription: "sub_1".to_owned(),
                status: SubscriptionStatus::PastDue,
                cancel_at_period_end: true,
                price: Some("price_pro".to_owned()),
                plan: Some("pro".to_owned()),
            }
        );
        assert_eq!(
            delivered("customer.subscription.created", subscription("trialing")),
            BillingEvent::SubscriptionUpdated {
                customer: Some("cus_1".to_owned()),
                subscription: "sub_1".to_owned(),
                status: SubscriptionStatus::Active,
                cancel_at_period_end: false,
                price: None,
                plan: None,
            }
        );
    }

    #[test]
    fn stripe_statuses_map_to_three_and_an_unknown_one_is_malformed() {
        for (stripe, ours) in [
            ("active", SubscriptionStatus::Active),
            ("trialing", SubscriptionStatus::Active),
            ("past_due", SubscriptionStatus::PastDue),
            ("unpaid", SubscriptionStatus::PastDue),
            ("incomplete", SubscriptionStatus::PastDue),
            ("paused", SubscriptionStatus::PastDue),
            ("canceled", SubscriptionStatus::Cancelled),
            ("incomplete_expired", SubscriptionStatus::Cancelled),
        ] {
            let BillingEvent::SubscriptionUpdated { status, .. } =
                delivered("customer.subscription.updated", subscription(stripe))
            else {
                panic!("{stripe}: not a subscription update");
            };
            assert_eq!(status, ours, "{stripe}");
        }
        assert_eq!(
            deliver(&event(
                "customer.subscription.updated",
                subscription("hibernating")
            )),
            Err(WebhookError::Malformed(
                "unknown subscription status \"hibernating\"".to_owned()
            ))
        );
        assert_eq!(
            deliver(&event(
                "customer.subscription.updated",
                json!({"customer": "cus_1", "status": "active"})
            )),
            Err(WebhookError::Malformed("no subscription id".to_owned()))
        );
    }

    #[test]
    fn a_deleted_subscription_names_it() {
        assert_eq!(
            delivered("customer.subscription.deleted", subscription("canceled")),
            BillingEvent::SubscriptionDeleted {
                customer: Some("cus_1".to_owned()),
                subscription: "sub_1".to_owned(),
            }
        );
    }

    #[test]
    fn a_failed_payment_finds_the_subscription_in_old_and_new_invoices() {
        let expected = BillingEvent::PaymentFailed {
            customer: Some("cus_1".to_owned()),
            subscription: Some("sub_1".to_owned()),
        };
        let old = json!({"id": "in_1", "object": "invoice", "customer": "cus_1", "subscription": "sub_1"});
        assert_eq!(delivered("invoice.payment_failed", old), expected);
        let new = json!({
            "id": "in_2",
            "object": "invoice",
            "customer": "cus_1",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": "sub_1"},
            },
        });
        assert_eq!(delivered("invoice.payment_failed", new), expected);
    }

    #[test]
    fn an_unknown_type_is_verified_and_ignored() {
        assert_eq!(
            deliver(&event("customer.created", json!({"id": "cus_1"}))),
            Ok(VerifiedEvent {
                id: "evt_1".to_owned(),
                kind: "customer.created".to_owned(),
                event: BillingEvent::Ignored,
            })
        );
    }

    #[test]
    fn a_signature_that_does_not_match_is_refused() {
        let body = event("customer.subscription.deleted", subscription("canceled"));
        let other = event("customer.subscription.deleted", subscription("active"));
        for (why, signature) in [
            (
                "not a signature",
                "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd".to_owned(),
            ),
            ("another body", sign(WEBHOOK_SECRET, NOW, &other)),
            ("another secret", sign("whsec_someone_else", NOW, &body)),
            ("another timestamp", sign(WEBHOOK_SECRET, NOW - 1, &body)),
        ] {
            assert_eq!(
                verify(&format!("t={NOW},v1={signature}"), &body, NOW),
                Err(WebhookError::BadSignature),
                "{why}"
            );
        }
    }

    #[test]
    fn a_missing_or_incomplete_header_is_refused() {
        let body = event("customer.created", json!({}));
        let signature = sign(WEBHOOK_SECRET, NOW, &body);
        let unsigned =
            provider("https://api.stripe.com").verify(&HeaderMap::new(), body.as_bytes(), NOW);
        assert_eq!(unsigned, Err(WebhookError::MissingSignature));
        for header in [
            format!("t={NOW},v0={signature}"),
            format!("t={NOW}"),
            format!("v1={signature}"),
            format!("t=soon,v1={signature}"),
            format!("t={NOW},{signature}"),
            String::new(),
        ] {
            assert_eq!(
                verify(&header, &body, NOW),
                Err(WebhookError::MissingSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn any_matching_v1_is_enough() {
        let body = event("customer.created", json!({}));
        let stale_secret = sign("whsec_rolled_away", NOW, &body);
        let current = sign(WEBHOOK_SECRET, NOW, &body);
        let header = format!("t={NOW}, v1={stale_secret}, v1={current}, v0=abc");
        assert_eq!(
            verify(&header, &body, NOW).map(|v| v.event),
            Ok(BillingEvent::Ignored)
        );
    }

    #[test]
    fn a_timestamp_beyond_the_tolerance_either_way_is_stale() {
        let body = event("customer.created", json!({}));
        let header = format!("t={NOW},v1={}", sign(WEBHOOK_SECRET, NOW, &body));
        for now in [NOW - TOLERANCE, NOW + TOLERANCE] {
            assert!(verify(&header, &body, now).is_ok(), "at the edge, {now}");
        }
        for now in [NOW + TOLERANCE + 1, NOW - TOLERANCE - 1, NOW + 86_400] {
            assert_eq!(
                verify(&header, &body, now),
                Err(WebhookError::StaleTimestamp),
                "now {now}, signed at {NOW}"
            );
        }
    }

    #[test]
    fn the_signature_is_judged_before_the_timestamp() {
        let body = event("customer.created", json!({}));
        let forged = format!("t={NOW},v1={}", sign("whsec_forger", NOW, &body));
        assert_eq!(
            verify(&forged, &body, NOW + 86_400),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_malformed() {
        for (body, why) in [
            ("{\"id\": \"evt_1\", \"type\"", "not JSON"),
            (
                r#"{"type": "customer.created", "data": {"object": {}}}"#,
                "no id",
            ),
            (r#"{"id": "evt_1", "data": {"object": {}}}"#, "no type"),
            (
                r#"{"id": "evt_1", "type": "customer.created", "data": {}}"#,
                "no data.object",
            ),
            (
                r#"{"id": "evt_1", "type": "customer.created", "data": {"object": "cus_1"}}"#,
                "no data.object",
            ),
        ] {
            match deliver(body) {
                Err(WebhookError::Malformed(message)) => {
                    assert!(message.starts_with(why), "{body}: {message}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    /// A request the fake Stripe API received.
    #[derive(Debug)]
    struct Received {
        path: String,
        authorization: Option<String>,
        content_type: Option<String>,
        form: Vec<(String, String)>,
    }

    /// Serves Stripe's two endpoints on 127.0.0.1, answering every request
    /// with `status` and `reply`; returns the base URL (no trailing slash)
    /// and what was received.
    async fn fake_stripe(
        status: StatusCode,
        reply: Value,
    ) -> (String, mpsc::UnboundedReceiver<Received>) {
        let (sender, received) = mpsc::unbounded_channel();
        let handler = move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let header = |name: axum::http::header::HeaderName| {
                headers
                    .get(name)
                    .map(|value| value.to_str().unwrap().to_owned())
            };
            sender
                .send(Received {
                    path: uri.path().to_owned(),
                    authorization: header(axum::http::header::AUTHORIZATION),
                    content_type: header(CONTENT_TYPE),
                    form: form_urlencoded::parse(&body).into_owned().collect(),
                })
                .unwrap();
            let reply = reply.clone();
            async move { (status, Json(reply)) }
        };
        let app = axum::Router::new()
            .route("/v1/checkout/sessions", post(handler.clone()))
            .route("/v1/subscriptions/{id}", post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{address}"), received)
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn checkout_request(customer: Option<&str>) -> CheckoutRequest<'_> {
        CheckoutRequest {
            account: 42,
            email: "owner@example.com",
            customer,
            plan: "pro",
            price: "price_pro",
            success_url: "https://witzo.test/billing?done=1",
            cancel_url: "https://witzo.test/billing",
        }
    }

    #[tokio::test]
    async fn checkout_creates_a_subscription_session_with_the_account_and_plan() {
        let (base, mut received) = fake_stripe(
            StatusCode::OK,
            json!({"id": "cs_test_1", "url": "https://checkout.stripe.com/c/pay/cs_test_1"}),
        )
        .await;
        let stripe = provider(&base);
        assert_eq!(stripe.name(), "stripe");
        let checkout = stripe.checkout(&checkout_request(None)).await.unwrap();
        assert_eq!(checkout.url, "https://checkout.stripe.com/c/pay/cs_test_1");
        let request = received.try_recv().unwrap();
        assert_eq!(request.path, "/v1/checkout/sessions");
        assert_eq!(
            request.authorization.as_deref(),
            Some("Bearer sk_test_51secretkey")
        );
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            request.form,
            pairs(&[
                ("mode", "subscription"),
                ("line_items[0][price]", "price_pro"),
                ("line_items[0][quantity]", "1"),
                ("success_url", "https://witzo.test/billing?done=1"),
                ("cancel_url", "https://witzo.test/billing"),
                ("client_reference_id", "42"),
                ("customer_email", "owner@example.com"),
                ("metadata[plan]", "pro"),
                ("metadata[account]", "42"),
                ("subscription_data[metadata][plan]", "pro"),
                ("subscription_data[metadata][account]", "42"),
            ])
        );

        // A known customer is reused instead of the e-mail; a trailing slash
        // on the base changes nothing.
        let stripe = provider(&format!("{base}/"));
        stripe
            .checkout(&checkout_request(Some("cus_1")))
            .await
            .unwrap();
        let request = received.try_recv().unwrap();
        assert_eq!(request.path, "/v1/checkout/sessions");
        assert!(
            request
                .form
                .contains(&("customer".to_owned(), "cus_1".to_owned()))
        );
        assert!(!request.form.iter().any(|(key, _)| key == "customer_email"));
    }

    #[tokio::test]
    async fn a_stripe_error_is_refused_with_its_message_and_never_the_key() {
        let (base, _received) = fake_stripe(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "message": "No such price: 'price_pro'",
                "type": "invalid_request_error",
            }}),
        )
        .await;
        let err = provider(&base)
            .checkout(&checkout_request(None))
            .await
            .unwrap_err();
        let ProviderError::Refused(message) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(message, "No such price: 'price_pro'");
        assert!(!err.to_string().contains(SECRET_KEY));
    }

    #[tokio::test]
    async fn an_unreachable_api_is_reported_without_the_key() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let err = provider(&format!("http://{address}"))
            .cancel_at_period_end("sub_1", true)
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
        assert!(!err.to_string().contains(SECRET_KEY), "{err}");
    }

    #[tokio::test]
    async fn cancellation_at_period_end_is_set_and_cleared() {
        let (base, mut received) = fake_stripe(
            StatusCode::OK,
            json!({"id": "sub_1A2b_3", "object": "subscription"}),
        )
        .await;
        let stripe = provider(&base);
        for (cancel, sent) in [(true, "true"), (false, "false")] {
            stripe
                .cancel_at_period_end("sub_1A2b_3", cancel)
                .await
                .unwrap();
            let request = received.try_recv().unwrap();
            assert_eq!(request.path, "/v1/subscriptions/sub_1A2b_3");
            assert_eq!(
                request.authorization.as_deref(),
                Some("Bearer sk_test_51secretkey")
            );
            assert_eq!(request.form, pairs(&[("cancel_at_period_end", sent)]));
        }
        for id in [
            "",
            "sub_1/../../v1/customers",
            "sub_1?expand=x",
            "sub 1",
            "sub_é",
        ] {
            let err = stripe.cancel_at_period_end(id, true).await.unwrap_err();
            assert!(matches!(err, ProviderError::Refused(_)), "{id:?}: {err:?}");
        }
        assert!(received.try_recv().is_err(), "nothing sent for a bad id");
    }
}
