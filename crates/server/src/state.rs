use std::sync::Arc;

use url::Url;
use witzo_retrieval::Answerer;
use witzo_store::Store;
use witzo_store::sessions::SessionLifetime;

use crate::answers::index::IndexCache;
use crate::answers::qa::QaCache;
use crate::assets::Assets;
use crate::auth::oidc::OidcClient;
use crate::billing::BillingProvider;
use crate::config::Config;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::security::cookie::CookiePolicy;
use crate::security::cors::OriginPolicy;
use crate::security::keys::Keys;
use crate::security::rate_limit::RateLimiter;
use crate::widgets::cache::WidgetCache;
use crate::widgets::health::EmbedHealth;

/// What the product's behaviour needs whatever door it is reached through
/// (HTTP, the worker, the CLI): configuration, the database, mail and the
/// knowledge caches. Built once at start-up. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub store: Store,
    /// The public URL, as Witzo is reached by browsers.
    pub public_url: Arc<Url>,
    pub mailer: Arc<Mailer>,
    pub widgets: Arc<WidgetCache>,
    /// Per-widget knowledge indexes, rebuilt when knowledge changes.
    pub indexes: Arc<IndexCache>,
    /// Per-widget matchers of the owner's Q&A pairs, rebuilt likewise.
    pub corrections: Arc<QaCache>,
    pub answerer: Arc<dyn Answerer>,
}

/// Everything a request may need, behind one `Arc`: every middleware layer
/// and handler clones it per request, and one reference count is cheaper
/// than twenty (measured: each layer cost ~6 µs of `/healthz`'s ~35 µs
/// with a clone per field). Reaches [`HttpState`] and its [`Core`] through
/// `Deref`, so `state.store` and `state.keys` read as fields.
#[derive(Clone)]
pub struct AppState(Arc<HttpState>);

impl AppState {
    pub fn new(state: HttpState) -> Self {
        Self(Arc::new(state))
    }
}

impl std::ops::Deref for AppState {
    type Target = HttpState;

    fn deref(&self) -> &HttpState {
        &self.0
    }
}

/// The [`Core`] and what only the HTTP surfaces use.
pub struct HttpState {
    pub core: Core,
    pub keys: Arc<Keys>,
    /// Its origin (`scheme://host[:port]`), for same-origin checks.
    pub public_origin: Arc<str>,
    /// Served over https (directly or behind a TLS-terminating proxy).
    pub https: bool,
    pub cookies: CookiePolicy,
    pub session_lifetime: SessionLifetime,
    pub limiter: Arc<dyn RateLimiter>,
    pub origins: Arc<dyn OriginPolicy>,
    pub metrics: Arc<Metrics>,
    pub assets: Arc<Assets>,
    /// OpenID Connect sign-in, when configured.
    pub oidc: Option<Arc<OidcClient>>,
    /// Embed health counted in memory, flushed in batches.
    pub health: Arc<EmbedHealth>,
    /// The payment provider, when one is configured.
    pub billing: Option<Arc<dyn BillingProvider>>,
}

impl std::ops::Deref for HttpState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}
