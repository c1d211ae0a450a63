//! Assembles the application: state from config, the router with its
//! security layers per surface, and the server with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;
use witzo_store::Store;
use witzo_store::sessions::SessionLifetime;

mod twins;

use crate::assets::Assets;
use crate::cookies::CookiePolicy;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::openapi::ApiDoc;
use crate::origins::OriginPolicy;
use crate::routes::dashboard::{self, sign_in};
use crate::routes::public::gate::WidgetGate;
use crate::routes::{
    account, analytics, api_keys, auth, billing, conversations, leads, ops, pages, public, qa,
    sources, v1, widgets,
};
use crate::routes::{dashboard::webhooks as webhook_pages, webhooks};
use crate::security::cors::{public_cors, public_preflight};
use crate::security::csrf::csrf_guard;
use crate::security::headers::security_headers;
use crate::security::owner_api::owner_api;
use crate::security::rate_limit::public_ip_limit;
use crate::security::request::{panic_response, request_context};
use crate::state::{AppState, HttpState};
use crate::tls::Certificates;
use witzo_app::auth::oidc::OidcClient;
use witzo_app::config::Config;
use witzo_app::core::Core;
use witzo_app::keys::Keys;
use witzo_app::mail::Mailer;
use witzo_app::metrics::Metrics;
use witzo_app::widgets::cache::WidgetCache;
use witzo_app::widgets::health::EmbedHealth;
use witzo_retrieval::Answerer;

/// Largest document upload: ten files of 10 MB and the multipart framing.
const UPLOAD_BODY_BYTES: usize = 10 * 10 * 1024 * 1024 + 1024 * 1024;
/// A Q&A import: a 1 MB file and the multipart framing.
const QA_IMPORT_BODY_BYTES: usize = 1024 * 1024 + 64 * 1024;
/// A payment provider's event (Stripe's are a few KiB; subscriptions with
/// many items grow).
const WEBHOOK_BODY_BYTES: usize = 256 * 1024;

/// Parts of the application that deployments (and tests) may replace.
#[derive(Default)]
pub struct AppOptions {
    /// Replaces the widget gate (tests of the CORS mechanism).
    pub origins: Option<Arc<dyn OriginPolicy>>,
    /// Replaces the configured answerer (tests).
    pub answerer: Option<Arc<dyn Answerer>>,
}

/// Connects to the database named by `config` and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url();
    let store = Store::connect(url.expose_secret(), config.limits.database_connections)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("running migrations")?;
    Ok(store)
}

/// The whole router: ops, dashboard and public surfaces, the OpenAPI
/// document built from their handlers, and the global layers.
pub fn router(state: AppState) -> Router {
    let dashboard = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(pages::home))
        .routes(routes!(dashboard::overview))
        .routes(routes!(sign_in::page, sign_in::request_code))
        .routes(routes!(sign_in::verify_code))
        .routes(routes!(sign_in::sign_out))
        .routes(routes!(
            dashboard::widgets::list,
            dashboard::widgets::create
        ))
        .routes(routes!(
            dashboard::widgets::setup,
            dashboard::widgets::finish_setup
        ))
        .routes(routes!(dashboard::widgets::page, dashboard::widgets::save))
        .routes(routes!(dashboard::widgets::regenerate_key))
        .routes(routes!(dashboard::widgets::delete))
        .routes(routes!(dashboard::widgets::upload_logo))
        .routes(routes!(dashboard::widgets::remove_logo))
        .routes(routes!(dashboard::insights::inbox))
        .routes(routes!(dashboard::insights::delete_filtered))
        .routes(routes!(dashboard::insights::delete_one))
        .routes(routes!(dashboard::insights::forget))
        .routes(routes!(dashboard::insights::analytics_page))
        .routes(routes!(dashboard::insights::save_settings))
        .routes(routes!(dashboard::insights::gaps_page))
        .routes(routes!(dashboard::insights::answer_gap))
        .routes(routes!(dashboard::conversations::page))
        .routes(routes!(dashboard::conversations::correct))
        .routes(routes!(dashboard::qa::page, dashboard::qa::add))
        .routes(routes!(dashboard::qa::update))
        .routes(routes!(dashboard::qa::delete))
        .routes(routes!(dashboard::qa::import).layer(DefaultBodyLimit::max(QA_IMPORT_BODY_BYTES)))
        .routes(routes!(widgets::list, widgets::create))
        .routes(routes!(widgets::get, widgets::update, widgets::delete))
        .routes(routes!(widgets::regenerate_key))
        .routes(routes!(widgets::upload_logo, widgets::remove_logo))
        .routes(routes!(widgets::embed_health))
        .routes(routes!(widgets::conversations))
        .routes(routes!(conversations::list, conversations::delete_filtered))
        .routes(routes!(conversations::export))
        .routes(routes!(conversations::get, conversations::delete))
        .routes(routes!(conversations::forget))
        .routes(routes!(analytics::report))
        .routes(routes!(analytics::settings, analytics::save_settings))
        .routes(routes!(analytics::gaps))
        .routes(routes!(analytics::answer_gap))
        .routes(routes!(sources::add_website, sources::list))
        .routes(routes!(sources::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES)))
        .routes(routes!(sources::get, sources::delete))
        .routes(routes!(sources::retrain))
        .routes(routes!(sources::retrain_all))
        .routes(routes!(sources::schedule))
        .routes(routes!(sources::delete_page, sources::page_text))
        .routes(routes!(sources::retrain_page))
        .routes(routes!(sources::job))
        .routes(routes!(sources::cancel))
        .routes(routes!(qa::list, qa::add))
        .routes(routes!(qa::update, qa::delete))
        .routes(routes!(qa::export))
        .routes(routes!(qa::import).layer(DefaultBodyLimit::max(QA_IMPORT_BODY_BYTES)))
        .routes(routes!(dashboard::sources::index))
        .routes(routes!(
            dashboard::sources::widget_sources,
            dashboard::sources::add_website
        ))
        .routes(routes!(dashboard::sources::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES)))
        .routes(routes!(dashboard::sources::source))
        .routes(routes!(dashboard::sources::retrain))
        .routes(routes!(dashboard::sources::schedule))
        .routes(routes!(dashboard::sources::delete))
        .routes(routes!(dashboard::sources::delete_page))
        .routes(routes!(dashboard::knowledge::retrain_all))
        .routes(routes!(dashboard::knowledge::cancel_job))
        .routes(routes!(dashboard::knowledge::retrain_page))
        .routes(routes!(dashboard::knowledge::page_text))
        .routes(routes!(dashboard::training::page))
        .routes(routes!(dashboard::billing::page))
        .routes(routes!(dashboard::leads::page))
        .routes(routes!(dashboard::leads::lead))
        .routes(routes!(dashboard::leads::save))
        .routes(routes!(dashboard::leads::delete))
        .routes(routes!(dashboard::leads::settings_page))
        .routes(routes!(dashboard::leads::save_settings))
        .routes(routes!(leads::list))
        .routes(routes!(leads::export))
        .routes(routes!(leads::get, leads::update, leads::delete))
        .routes(routes!(leads::get_settings, leads::save_settings))
        .routes(routes!(dashboard::billing::checkout))
        .routes(routes!(dashboard::billing::cancel))
        .routes(routes!(dashboard::billing::portal))
        .routes(routes!(dashboard::billing::resume))
        .routes(routes!(billing::get))
        .routes(routes!(billing::checkout))
        .routes(routes!(billing::cancel))
        .routes(routes!(billing::portal))
        .routes(routes!(dashboard::account::page))
        .routes(routes!(dashboard::account::save_profile))
        .routes(routes!(dashboard::account::revoke_session))
        .routes(routes!(dashboard::account::sign_out_everywhere))
        .routes(routes!(dashboard::account::request_deletion))
        .routes(routes!(dashboard::account::delete))
        .routes(routes!(auth::csrf))
        .routes(routes!(auth::request_code))
        .routes(routes!(auth::verify_code))
        .routes(routes!(auth::oidc_start))
        .routes(routes!(auth::oidc_callback))
        .routes(routes!(account::me))
        .routes(routes!(account::update_profile))
        .routes(routes!(account::sign_out))
        .routes(routes!(account::sessions))
        .routes(routes!(account::revoke_session))
        .routes(routes!(account::sign_out_everywhere))
        .routes(routes!(account::security_log))
        .routes(routes!(account::request_deletion_code))
        .routes(routes!(account::delete_account))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhook_pages::page, webhook_pages::create))
        .routes(routes!(webhook_pages::update))
        .routes(routes!(webhook_pages::delete))
        .routes(routes!(webhook_pages::rotate_secret))
        .routes(routes!(webhook_pages::test))
        .routes(routes!(webhook_pages::redeliver))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(
            dashboard::api_keys::page,
            dashboard::api_keys::create
        ))
        .routes(routes!(dashboard::api_keys::revoke))
        .routes(routes!(v1::usage))
        .routes(routes!(v1::server_chat));
    let public = OpenApiRouter::new()
        .routes(routes!(public::health))
        .routes(routes!(public::config))
        .routes(routes!(public::chat))
        .routes(routes!(public::feedback))
        .routes(routes!(public::contact))
        .routes(routes!(billing::webhook).layer(DefaultBodyLimit::max(WEBHOOK_BODY_BYTES)))
        .routes(routes!(public::events))
        .routes(routes!(public::widget_js))
        .routes(routes!(public::loader))
        .routes(routes!(public::logo));
    let ops = OpenApiRouter::new()
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(pages::asset));
    let (routes, mut openapi) = dashboard.merge(public).merge(ops).split_for_parts();
    twins::document(&mut openapi);
    let routes = twins::mount(routes, UPLOAD_BODY_BYTES);
    let openapi_json: Arc<str> = crate::openapi::document(openapi).unwrap_or_default().into();
    let routes = routes.route(
        "/api/openapi.json",
        get(move || {
            let json = openapi_json.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    json.to_string(),
                )
            }
        }),
    );
    with_global_layers(routes, state)
}

/// The layers every route gets. Surface-specific controls (CSRF for the
/// dashboard; CORS and the per-IP limit for the public API) choose by path
/// themselves, so they also cover routes added later. From the inside out:
/// CSRF and the widget gate (CORS) on every routed request (a method a route
/// does not declare is answered `405` with `Allow` before them: nothing runs
/// for it), JSON fallbacks for unknown paths and methods, errors on
/// dashboard pages shown as pages, the body limit, the public surface's
/// preflights, the public rate limit, panic capture, the request context
/// (id, timeout, logging, metrics) and the security headers.
pub fn with_global_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .route_layer(from_fn_with_state(state.clone(), csrf_guard))
        .route_layer(from_fn_with_state(state.clone(), public_cors))
        .route_layer(from_fn_with_state(state.clone(), owner_api))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), dashboard::page_errors))
        .layer(DefaultBodyLimit::max(state.config.limits.json_body_bytes))
        .layer(from_fn_with_state(state.clone(), public_preflight))
        .layer(from_fn_with_state(state.clone(), public_ip_limit))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state.clone(), request_context))
        .layer(from_fn_with_state(state.clone(), security_headers))
        .with_state(state)
}

/// The redirect listener's one answer: `308` to the same path and query
/// on the https origin (no HSTS: that is sent over HTTPS only).
fn to_https(origin: &str, uri: &axum::http::Uri) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match HeaderValue::from_str(&format!("{origin}{path}")) {
        Ok(location) => (
            axum::http::StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => axum::http::StatusCode::BAD_REQUEST.into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "This method is not allowed here.",
    )
}

/// What the product needs whatever the door, for Witzo reached at
/// `public_url`: opens and migrates the database, prepares mail, the
/// embedder, the answerer, keys, billing and the knowledge caches.
pub async fn build_core(
    config: Config,
    answerer: Option<Arc<dyn Answerer>>,
    public_url: url::Url,
) -> anyhow::Result<Core> {
    let limiter = witzo_app::limits::from_config(&config).map_err(anyhow::Error::msg)?;
    let secret = config.resolve_secret_key()?;
    let keys = Arc::new(Keys::derive(&secret).context("deriving keys from the secret key")?);
    let billing = witzo_app::billing::from_config(&config.billing)?;
    let store = open_store(&config).await?;
    let mailer = Mailer::from_config(&config.smtp)?;
    let embeddings =
        witzo_app::answers::embedding::Embeddings::from_config(&config.answers.embeddings)?;
    let answerer = match answerer {
        Some(answerer) => answerer,
        None => witzo_app::answers::from_config(&config.answers.llm, embeddings.clone())?,
    };
    Ok(Core {
        public_url: Arc::new(public_url),
        widgets: Arc::new(WidgetCache::default()),
        indexes: Arc::new(witzo_app::answers::index::IndexCache::new(
            embeddings,
            config.answers.index_memory_mb.saturating_mul(1024 * 1024),
        )),
        corrections: Arc::default(),
        answerer,
        remembered: Arc::new(witzo_app::answers::memo::AnswerMemo::new(
            config.answers.remembered_answers,
        )),
        mailer: Arc::new(mailer),
        keys,
        limiter,
        metrics: Arc::new(Metrics::default()),
        billing,
        store,
        config: Arc::new(config),
    })
}

/// Everything a request needs: the [`Core`], plus cookies, the origin gate
/// and OpenID.
pub async fn build_state(
    config: Config,
    options: AppOptions,
    public_url: url::Url,
) -> anyhow::Result<AppState> {
    let https = public_url.scheme() == "https";
    let oidc = OidcClient::from_config(&config.oidc, &public_url).map(Arc::new);
    let session_lifetime = SessionLifetime {
        idle_secs: i64::try_from(config.session.idle_timeout_minutes.saturating_mul(60))
            .unwrap_or(i64::MAX),
        absolute_secs: i64::try_from(config.session.absolute_timeout_hours.saturating_mul(3600))
            .unwrap_or(i64::MAX),
    };
    let public_origin: Arc<str> = public_url.origin().ascii_serialization().into();
    let core = build_core(config, options.answerer, public_url).await?;
    let health = Arc::new(EmbedHealth::default());
    let origins = options.origins.unwrap_or_else(|| {
        Arc::new(WidgetGate {
            store: core.store.clone(),
            cache: core.widgets.clone(),
            keys: core.keys.clone(),
            health: health.clone(),
            dashboard_origin: public_origin.clone(),
        })
    });
    Ok(AppState::new(HttpState {
        public_origin,
        https,
        cookies: CookiePolicy {
            secure: https,
            session_max_age_secs: session_lifetime.absolute_secs,
        },
        session_lifetime,
        origins,
        health,
        assets: Arc::new(Assets::default()),
        oidc,
        core,
    }))
}

/// A bound, ready-to-run Witzo server.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    /// With `tls.redirect_listen`: plain HTTP that redirects to https.
    redirect_listener: Option<TcpListener>,
    tls: Option<Arc<Certificates>>,
    state: AppState,
}

impl Application {
    /// Binds the listener(s), opens and migrates the database, derives keys.
    pub async fn build(config: Config, options: AppOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let metrics_listener = match config.metrics.listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr}"))?,
            ),
            None => None,
        };
        let redirect_listener = match config.tls.redirect_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr}"))?,
            ),
            None => None,
        };
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some(Certificates::load(cert, key)?),
            _ => None,
        };
        let bound = listener.local_addr()?;
        let public_url = config.public_url_for(bound).context("public_url")?;
        let state = build_state(config, options, public_url).await?;
        Ok(Self {
            listener,
            metrics_listener,
            redirect_listener,
            tls,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// for up to `limits.shutdown_grace_secs`.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state;
        let limits = &state.config.limits;
        let grace = Duration::from_secs(limits.shutdown_grace_secs);
        let connection_limits = crate::listener::ConnectionLimits {
            header_read_timeout: Duration::from_secs(limits.header_read_timeout_secs),
            max_connections: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
        };
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        if let Some(listener) = self.metrics_listener {
            let metrics = Router::new()
                .route("/metrics", get(separate_metrics))
                .with_state(state.clone());
            let mut stop = stopping_rx.clone();
            tokio::spawn(crate::listener::serve(
                listener,
                metrics,
                connection_limits,
                None,
                async move { stop.wait_for(|s| *s).await.map(|_| ()).unwrap_or(()) },
            ));
        }
        if let Some(listener) = self.redirect_listener {
            let origin = state.public_origin.to_string();
            let redirect = Router::new().fallback(move |uri: axum::http::Uri| {
                let origin = origin.clone();
                async move { to_https(&origin, &uri) }
            });
            let mut stop = stopping_rx.clone();
            tokio::spawn(crate::listener::serve(
                listener,
                redirect,
                connection_limits,
                None,
                async move { stop.wait_for(|s| *s).await.map(|_| ()).unwrap_or(()) },
            ));
        }
        let (acceptor, reloader) = match &self.tls {
            Some(certificates) => (
                Some(certificates.acceptor()?),
                Some(certificates.watch(Duration::from_secs(state.config.tls.reload_secs))),
            ),
            None => (None, None),
        };
        let sweeper = tokio::spawn(sweep_sessions(state.clone()));
        let flusher = tokio::spawn(flush_embed_health(state.clone()));
        let workers = witzo_app::training::worker::spawn(&state);
        let server = crate::listener::serve(
            self.listener,
            router(state.clone()),
            connection_limits,
            acceptor,
            async move {
                shutdown.await;
                tracing::info!("shutting down: no new connections, finishing requests in flight");
                stopping_tx.send_replace(true);
            },
        );
        let result = tokio::select! {
            () = server => Ok(()),
            () = async {
                stopping_rx.wait_for(|s| *s).await.ok();
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; closing");
                Ok(())
            }
        };
        sweeper.abort();
        flusher.abort();
        if let Some(reloader) = reloader {
            reloader.abort();
        }
        if let Err(err) = state.health.flush(&state.store).await {
            tracing::warn!(%err, "could not write the last embed health counts");
        }
        for worker in workers {
            worker.abort();
        }
        state.store.close().await;
        result
    }
}

async fn separate_metrics(State(state): State<AppState>) -> Response {
    ops::metrics_text(&state).into_response()
}

/// Every ten minutes: deletes dead sessions, old codes and abandoned
/// OpenID sign-ins.
async fn sweep_sessions(state: AppState) {
    let every = Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let now = witzo_store::now();
        let store = &state.store;
        match store
            .delete_dead_sessions(state.session_lifetime, now)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "ended expired sessions"),
            Err(err) => tracing::warn!(%err, "could not sweep expired sessions"),
        }
        // Codes and pending sign-ins hold addresses and secrets: a day at most.
        if let Err(err) = store.delete_old_login_codes(now - 24 * 3600).await {
            tracing::warn!(%err, "could not sweep old sign-in codes");
        }
        if let Err(err) = store.delete_expired_oidc_logins(now).await {
            tracing::warn!(%err, "could not sweep pending OpenID sign-ins");
        }
    }
}

/// Writes the embed health counted in memory every ten seconds.
async fn flush_embed_health(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        if let Err(err) = state.health.flush(&state.store).await {
            tracing::warn!(%err, "could not write embed health");
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// when this is called, not when it is first polled: a SIGTERM that came
/// as the server began to answer (a supervisor stopping it at once) killed
/// the process instead of stopping it gracefully.
#[cfg(unix)]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let wait = |installed: std::io::Result<Signal>| async move {
        match installed {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "could not listen for a signal");
                std::future::pending::<()>().await;
            }
        }
    };
    let interrupt = wait(signal(SignalKind::interrupt()));
    let terminate = wait(signal(SignalKind::terminate()));
    async move {
        tokio::select! {
            () = interrupt => {},
            () = terminate => {},
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
