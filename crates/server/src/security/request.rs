//! The outermost per-request work: a request id (logged on every line and
//! returned as `X-Request-Id`), the client's address, the request timeout,
//! panics turned into a generic 500, one log line per failure with its cause,
//! and metrics.

use std::any::Any;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, ErrorCause, ErrorCode};
use crate::extract::ClientIp;
use crate::state::AppState;
use crate::surface::Surface;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    // Always our own id: a client-chosen one could forge or split log lines.
    let id = format!("{:016x}", rand::random::<u64>());
    let ip = ClientIp::resolve(req.extensions(), req.headers(), state.config.trust_proxy);
    req.extensions_mut().insert(ip);
    let surface = Surface::of(req.uri().path());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        client_ip = %ip,
    );
    let started = Instant::now();
    let run = next.run(req).instrument(span.clone());
    let mut response = match tokio::time::timeout(state.config.request_timeout(), run).await {
        Ok(response) => response,
        Err(_) => ApiError::new(ErrorCode::RequestTimeout, "").into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status();
    let cause = response.extensions_mut().remove::<ErrorCause>();
    span.in_scope(|| {
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        if status.is_server_error() {
            let cause = cause.map_or_else(|| "no cause recorded".to_owned(), |c| c.0);
            tracing::error!(status = status.as_u16(), elapsed_ms, %cause, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), elapsed_ms, "request");
        }
    });
    state
        .metrics
        .observe(surface.as_str(), status.as_u16(), elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Turns a handler panic into a generic 500; the panic message becomes the
/// logged cause.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}
