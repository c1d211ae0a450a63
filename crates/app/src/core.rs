//! What the product's behaviour needs whatever door it is reached through
//! (HTTP, the worker, the CLI).

use std::sync::Arc;

use url::Url;
use witzo_retrieval::Answerer;
use witzo_store::Store;

use crate::answers::index::IndexCache;
use crate::answers::memo::AnswerMemo;
use crate::answers::qa::QaCache;
use crate::billing::BillingProvider;
use crate::config::Config;
use crate::keys::Keys;
use crate::limits::RateLimiter;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::widgets::cache::WidgetCache;

/// Configuration, the database, mail, keys, limits and the knowledge
/// caches. Built once at start-up. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub store: Store,
    /// The public URL, as Witzo is reached by browsers.
    pub public_url: Arc<Url>,
    pub mailer: Arc<Mailer>,
    pub keys: Arc<Keys>,
    pub limiter: Arc<dyn RateLimiter>,
    pub metrics: Arc<Metrics>,
    pub widgets: Arc<WidgetCache>,
    /// Per-widget knowledge indexes, rebuilt when knowledge changes.
    pub indexes: Arc<IndexCache>,
    /// Per-widget matchers of the owner's Q&A pairs, rebuilt likewise.
    pub corrections: Arc<QaCache>,
    pub answerer: Arc<dyn Answerer>,
    /// Answers the answerer gave recently, when it is repeatable.
    pub remembered: Arc<AnswerMemo>,
    /// The payment provider, when one is configured.
    pub billing: Option<Arc<dyn BillingProvider>>,
}
