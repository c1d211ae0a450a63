//! CORS for the public surface only. Which origins may call which public
//! path is a per-request decision of an [`OriginPolicy`] (the widgets work
//! plugs in a policy that reads the widget's allowed domains). The dashboard
//! gets no CORS headers at all: it is same-origin only.

use std::future::Future;
use std::pin::Pin;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::security::headers::Surface;
use crate::state::AppState;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides whether a browser page at `origin` may call `path`.
pub trait OriginPolicy: Send + Sync {
    fn allows<'a>(&'a self, path: &'a str, origin: &'a str) -> BoxFuture<'a, bool>;
}

/// Allows no origin: the default until a surface declares its own.
pub struct DenyAllOrigins;

impl OriginPolicy for DenyAllOrigins {
    fn allows<'a>(&'a self, _path: &'a str, _origin: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
}

const ALLOWED_METHODS: &str = "GET, POST";
const ALLOWED_HEADERS: &str = "content-type, accept";
const PREFLIGHT_MAX_AGE: &str = "600";
const VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// Answers preflights and adds `Access-Control-Allow-Origin` (never
/// credentials) for allowed origins. A request that carries an `Origin` the
/// policy refuses is answered `403 origin_not_allowed` before any handler
/// runs; requests without `Origin` (scripts, curl) pass, and handlers that
/// need a verified origin refuse them themselves.
pub async fn public_cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if Surface::of(req.uri().path()) != Surface::Public {
        return next.run(req).await;
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = match &origin {
        Some(origin) => state.origins.allows(req.uri().path(), origin).await,
        None => false,
    };
    let mut response = match (&origin, allowed, preflight) {
        (Some(_), false, _) | (None, _, true) => ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This origin may not call this endpoint.",
        )
        .into_response(),
        (_, true, true) => preflight_response(),
        _ => next.run(req).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    if let (Some(origin), true) = (origin, allowed) {
        allow_origin(headers, &origin);
    }
    response
}

fn preflight_response() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}
