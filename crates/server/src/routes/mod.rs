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

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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
