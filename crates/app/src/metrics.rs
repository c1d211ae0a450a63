//! Prometheus metrics: requests by surface and status, latency by surface,
//! answers metered against plans, and payment webhooks by outcome. Exposed
//! at `/metrics` only when configured (see `routes::ops`).

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    surface: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SurfaceLabels {
    surface: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type HistogramFamily = Family<SurfaceLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    conversations: Family<OutcomeLabels, Counter>,
    webhooks: Family<OutcomeLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms … ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("witzo");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        let conversations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "conversations",
            "Visitor messages metered: taken from the allowance, or refused at the limit",
            conversations.clone(),
        );
        let webhooks = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "billing_webhooks",
            "Payment-provider webhooks by outcome",
            webhooks.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            conversations,
            webhooks,
        }
    }
}

impl Metrics {
    /// A request answered on `surface` (`dashboard` or `public`).
    pub fn observe(&self, surface: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { surface, status })
            .inc();
        self.latency
            .get_or_create(&SurfaceLabels { surface })
            .observe(elapsed.as_secs_f64());
    }

    /// A message metered: `taken` from the allowance or `refused` at the limit.
    pub fn conversation(&self, outcome: &'static str) {
        self.conversations
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A payment webhook: `applied`, `ignored`, `duplicate`,
    /// `unknown_account`, `unknown_plan` or `refused`.
    pub fn billing_webhook(&self, outcome: &'static str) {
        self.webhooks
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        encode(&mut out, &self.registry).ok();
        out
    }
}
