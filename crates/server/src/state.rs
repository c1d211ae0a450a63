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

/// Everything a request may need, built once at start-up. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub keys: Arc<Keys>,
    /// The public URL, as Witzo is reached by browsers.
    pub public_url: Arc<Url>,
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
    pub mailer: Arc<Mailer>,
    /// OpenID Connect sign-in, when configured.
    pub oidc: Option<Arc<OidcClient>>,
    pub widgets: Arc<WidgetCache>,
    /// Embed health counted in memory, flushed in batches.
    pub health: Arc<EmbedHealth>,
    /// Per-widget knowledge indexes, rebuilt when knowledge changes.
    pub indexes: Arc<IndexCache>,
    /// Per-widget matchers of the owner's Q&A pairs, rebuilt likewise.
    pub corrections: Arc<QaCache>,
    pub answerer: Arc<dyn Answerer>,
    /// The payment provider, when one is configured.
    pub billing: Option<Arc<dyn BillingProvider>>,
}
