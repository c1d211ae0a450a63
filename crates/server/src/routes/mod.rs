//! Handlers, one module per area. Handlers parse (extractors), call the
//! store or a service, and map the result; they stay short.

pub mod account;
pub mod analytics;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub mod chat_turn;
pub mod conversations;
pub mod dashboard;
pub mod leads;
pub mod ops;
pub mod pages;
pub mod public;
pub mod qa;
pub mod sources;
pub mod v1;
pub mod webhooks;
pub mod widgets;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use witzo_app::error::AppError;

/// A `303 See Other` to `to`, setting `cookies`.
pub fn redirect(to: &str, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, location);
    }
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// A file streamed to the browser as an attachment named `file_name`. The
/// status is sent before the first chunk, so a chunk that fails ends the
/// download early; its cause is logged.
pub fn attachment(
    chunks: impl Stream<Item = Result<Bytes, AppError>> + Send + 'static,
    content_type: &'static str,
    file_name: &str,
) -> Response {
    let body = Body::from_stream(chunks.map(|chunk| {
        chunk.map_err(|err| {
            tracing::error!(cause = err.cause().unwrap_or_default(), "export failed");
            std::io::Error::other("export failed")
        })
    }));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{file_name}\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(
    mut response: Response,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
