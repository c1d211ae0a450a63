use std::sync::Arc;

use witzo_app::core::Core;

use witzo_store::sessions::SessionLifetime;

use crate::assets::Assets;
use crate::cookies::CookiePolicy;
use crate::origins::OriginPolicy;
use witzo_app::auth::oidc::OidcClient;
use witzo_app::widgets::health::EmbedHealth;

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
    /// Its origin (`scheme://host[:port]`), for same-origin checks.
    pub public_origin: Arc<str>,
    /// Served over https (directly or behind a TLS-terminating proxy).
    pub https: bool,
    pub cookies: CookiePolicy,
    pub session_lifetime: SessionLifetime,
    pub origins: Arc<dyn OriginPolicy>,
    pub assets: Arc<Assets>,
    /// OpenID Connect sign-in, when configured.
    pub oidc: Option<Arc<OidcClient>>,
    /// Embed health counted in memory, flushed in batches.
    pub health: Arc<EmbedHealth>,
}

impl std::ops::Deref for HttpState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}
