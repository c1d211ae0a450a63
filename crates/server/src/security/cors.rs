//! CORS for the public surface only. Whether a request may proceed, and
//! from which origin, is decided per request by an [`OriginPolicy`](crate::origins::OriginPolicy)
//! (the widget gate: key + allowed domains, in `routes/public/gate.rs`). The dashboard
//! gets no CORS headers at all: it is same-origin only.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::origins::Refusal;
use crate::state::AppState;
use crate::surface::Surface;

const ALLOWED_METHODS: &str = "GET, POST";
const ALLOWED_HEADERS: &str = "content-type, accept";
const PREFLIGHT_MAX_AGE: &str = "600";
const VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Answers the public surface's preflights, before routing (no route
/// declares `OPTIONS`), and marks every public response as varying with
/// the `Origin` (unknown paths and methods included).
pub async fn public_preflight(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if Surface::of(req.uri().path()) != Surface::Public {
        return next.run(req).await;
    }
    let mut response = if is_preflight(&req) {
        gate(&state, req, next, true).await
    } else {
        next.run(req).await
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// Puts the public surface's requests through the policy and adds
/// `Access-Control-Allow-Origin` (never credentials) when it lets them
/// through. A route layer: a method the route does not declare is answered
/// `405` with `Allow` before this runs.
pub async fn public_cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if Surface::of(req.uri().path()) != Surface::Public || is_preflight(&req) {
        return next.run(req).await;
    }
    gate(&state, req, next, false).await
}

async fn gate(state: &AppState, req: Request, next: Next, preflight: bool) -> Response {
    let origin = request_origin(req.headers());
    let (mut parts, body) = req.into_parts();
    let decision = if preflight && origin.is_none() {
        Err(Refusal {
            error: ApiError::new(ErrorCode::OriginMissing, "A preflight needs an Origin."),
            readable: false,
        })
    } else {
        state.origins.check(&mut parts).await
    };
    let (mut response, allow) = match decision {
        Err(refusal) => (refusal.error.into_response(), refusal.readable),
        Ok(true) if preflight => (preflight_response(), true),
        // Nothing here may be called across origins: no preflight passes.
        Ok(false) if preflight => (
            ApiError::new(
                ErrorCode::OriginNotAllowed,
                "This origin may not call this endpoint.",
            )
            .into_response(),
            false,
        ),
        Ok(readable) => (next.run(Request::from_parts(parts, body)).await, readable),
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    if let (Some(origin), true) = (origin, allow) {
        allow_origin(headers, &origin);
    }
    response
}

pub fn request_origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
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

/// Lets `origin` read the response (no credentials, ever).
pub fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        // The widget reads Retry-After to say how long to wait.
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
        headers.insert(header::VARY, HeaderValue::from_static(VARY));
    }
}
