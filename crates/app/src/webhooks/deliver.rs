//! The `deliver` job: one attempt at sending a delivery, through the same
//! SSRF-safe fetcher as the crawler (public addresses only, the connection
//! pinned to the checked address, redirects not followed), signed, within
//! [`TIMEOUT_SECS`]. A 2xx answer delivers it; anything else is retried
//! after [`BACKOFF_SECS`] until [`MAX_ATTEMPTS`], then it has failed. An
//! address the fetcher refuses, or a redirect, fails it at once: retrying
//! would not change the answer.
//!
//! An attempt is recorded as started (`in_flight`) before anything is
//! sent. A worker that dies mid-attempt leaves the job's lease to run out;
//! the worker that takes the job over finds the attempt in flight and
//! makes the next one at once (or, with none left, marks it failed), so a
//! delivery ends delivered or failed, never lost.

use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, header};
use witzo_ingest::{FetchError, FetchPolicy, Fetcher};
use witzo_store::domain::{DeliveryId, DeliveryStatus};
use witzo_store::jobs::Job;
use witzo_store::webhooks::{AttemptRecord, Delivery, WebhookEndpoint};

use super::{PING, signature};
use crate::core::Core;
use crate::training::worker::{JobEnd, JobError};

/// Waits after the 1st, 2nd, … failed attempt: 1 min, 5 min, 30 min, 2 h,
/// 6 h, 12 h — the last attempt comes about 21 hours after the first.
pub const BACKOFF_SECS: [i64; 6] = [60, 300, 1800, 7200, 21_600, 43_200];
/// Attempts before a delivery has failed.
pub const MAX_ATTEMPTS: i64 = BACKOFF_SECS.len() as i64 + 1;
/// Longest one attempt may take, connection and answer included.
pub const TIMEOUT_SECS: u64 = 10;
/// Bytes of the answer kept in the log.
pub const KEPT_BYTES: usize = 1024;

/// The wait after `attempts` failed attempts, or `None`: no attempt is left.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    BACKOFF_SECS.get(index).copied()
}

/// The fetcher policy of deliveries: the crawler's allow list (development
/// and tests), the delivery timeout, no redirects.
pub fn fetch_policy(core: &Core) -> FetchPolicy {
    FetchPolicy {
        allow: core.config.crawler.allow.clone(),
        max_body_bytes: KEPT_BYTES,
        timeout: Duration::from_secs(TIMEOUT_SECS),
        max_redirects: 0,
        user_agent: format!(
            "Witzo-Webhooks/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            core.public_url
        ),
        ..FetchPolicy::default()
    }
}

fn failed(reason: impl Into<String>) -> AttemptRecord {
    AttemptRecord {
        status: DeliveryStatus::Failed,
        next_attempt_at: None,
        response_code: None,
        latency_ms: None,
        response_body: String::new(),
        last_error: Some(reason.into()),
    }
}

/// Runs the job of delivery `id`.
pub async fn run(core: &Core, job: &Job, id: DeliveryId) -> Result<JobEnd, JobError> {
    let store = &core.store;
    let now = witzo_store::now();
    let Some(delivery) = store.delivery_by_id(id).await? else {
        return Ok(JobEnd::Done); // deleted with its endpoint
    };
    if delivery.status != DeliveryStatus::Pending {
        return Ok(JobEnd::Done);
    }
    // A run that recorded its retry but died before re-queuing the job.
    if let Some(due) = delivery.next_attempt_at
        && due > now
    {
        return Ok(JobEnd::Later(due));
    }
    let Some(endpoint) = store.webhook_by_id(delivery.endpoint_id).await? else {
        return Ok(JobEnd::Done);
    };
    let interrupted = delivery.in_flight != 0;
    let refusal = if !store
        .account_plan(endpoint.account_id)
        .await?
        .features
        .lead_webhook
        .0
    {
        Some("the plan no longer includes webhooks".to_owned())
    } else if !endpoint.active && delivery.event != PING {
        Some("the endpoint is inactive".to_owned())
    } else if delivery.attempts >= MAX_ATTEMPTS {
        Some(if interrupted {
            "interrupted: the worker stopped mid-delivery".to_owned()
        } else {
            "no attempts left".to_owned()
        })
    } else {
        None
    };
    if let Some(reason) = refusal {
        store
            .finish_delivery_attempt(id, &failed(reason), now)
            .await?;
        return Ok(JobEnd::Done);
    }
    if interrupted {
        tracing::warn!(delivery.id = %id, job.attempt = job.attempts, "webhook delivery was interrupted; trying again");
    }
    let Some(attempt) = store.begin_delivery_attempt(id, now).await? else {
        return Ok(JobEnd::Done);
    };
    let (record, finished) = attempt_once(core, &endpoint, &delivery, attempt).await;
    let next = record.next_attempt_at;
    store.finish_delivery_attempt(id, &record, finished).await?;
    Ok(next.map_or(JobEnd::Done, JobEnd::Later))
}

/// Sends the delivery once and says how that ended, and when (the next
/// attempt is due that long after).
async fn attempt_once(
    core: &Core,
    endpoint: &WebhookEndpoint,
    delivery: &Delivery,
    attempt: i64,
) -> (AttemptRecord, i64) {
    let url = match url::Url::parse(&endpoint.url) {
        Ok(url) => url,
        Err(_) => return (failed("invalid URL"), witzo_store::now()),
    };
    let fetcher = match Fetcher::new(fetch_policy(core)) {
        Ok(fetcher) => fetcher,
        Err(err) => return (failed(err.reason()), witzo_store::now()),
    };
    let timestamp = witzo_store::now();
    let headers = headers(endpoint, delivery, timestamp);
    let started = Instant::now();
    let sent = fetcher
        .post(
            &url,
            headers,
            delivery.body.clone().into_bytes(),
            KEPT_BYTES,
        )
        .await;
    let latency = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let finished = witzo_store::now();
    let retry = || retry_delay(attempt).map(|delay| finished + delay);
    let record = match sent {
        Ok(posted) => {
            let mut record = AttemptRecord {
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
                response_code: Some(i64::from(posted.status)),
                latency_ms: Some(latency),
                response_body: String::from_utf8_lossy(&posted.body).into_owned(),
                last_error: None,
            };
            if posted.is_redirect() {
                record.status = DeliveryStatus::Failed;
                record.last_error = Some("redirect not followed".to_owned());
            } else if !(200..300).contains(&posted.status) {
                record.next_attempt_at = retry();
                record.status = if record.next_attempt_at.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                };
                record.last_error = Some(format!("HTTP {}", posted.status));
            }
            record
        }
        Err(err) => {
            let permanent = matches!(
                err,
                FetchError::RefusedAddress { .. }
                    | FetchError::Port(_)
                    | FetchError::Scheme
                    | FetchError::Userinfo
                    | FetchError::BadUrl(_)
            );
            let next = if permanent { None } else { retry() };
            AttemptRecord {
                status: if next.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                next_attempt_at: next,
                response_code: None,
                latency_ms: Some(latency),
                response_body: String::new(),
                last_error: Some(err.reason()),
            }
        }
    };
    (record, finished)
}

fn headers(endpoint: &WebhookEndpoint, delivery: &Delivery, timestamp: i64) -> HeaderMap {
    let signature = signature::header_value(endpoint.secret.expose(), timestamp, &delivery.body);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut add = |name: &'static str, value: String| {
        // Event ids, numbers and hex are always valid header values.
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    add("witzo-event-id", delivery.event_id.clone());
    add("witzo-event", delivery.event.clone());
    add("witzo-delivery-id", delivery.id.to_string());
    add("witzo-timestamp", timestamp.to_string());
    add("witzo-signature", signature);
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_for_about_a_day_then_stop() {
        let waits: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(
            waits,
            [60, 300, 1800, 7200, 21_600, 43_200]
                .map(Some)
                .into_iter()
                .chain([None])
                .collect::<Vec<_>>()
        );
        let total: i64 = BACKOFF_SECS.iter().sum();
        assert!((20 * 3600..=24 * 3600).contains(&total), "{total}");
        assert_eq!(retry_delay(0), None);
    }
}
