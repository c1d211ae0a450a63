//! CSRF protection for every state-changing dashboard request: a
//! Fetch-Metadata / `Origin` check that refuses cross-site requests, then a
//! synchronizer token bound to the session (header `X-CSRF-Token` or form
//! field `csrf_token`), compared in constant time. Applied to every route of
//! the dashboard surface (everything outside the public API), so no route can
//! opt out by forgetting.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::cookies::CookieKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::OwnerSession;
use crate::state::AppState;
use crate::surface::Surface;
use witzo_app::keys::random_token;
use witzo_app::keys::sha256_hex;

pub const HEADER: &str = "x-csrf-token";
pub const FORM_FIELD: &str = "csrf_token";

pub async fn csrf_guard(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> ApiResult<Response> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || Surface::of(req.uri().path()) != Surface::Dashboard {
        return Ok(next.run(req).await);
    }
    refuse_cross_site(req.headers(), &state.public_origin)?;
    let (mut parts, body) = req.into_parts();
    let (presented, body) = presented_token(
        &parts.headers,
        parts.uri.query(),
        body,
        state.config.limits.json_body_bytes,
    )
    .await?;
    let presented = presented.filter(|token| !token.is_empty()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::CsrfTokenMissing,
            "This request needs a CSRF token.",
        )
    })?;
    let invalid = || {
        ApiError::new(
            ErrorCode::CsrfTokenInvalid,
            "The CSRF token is not valid for this session.",
        )
    };
    // Signed in: the token is bound to the session. Signed out (the sign-in
    // forms): to the browser's pre-session cookie.
    let binding = match OwnerSession::load(&state, &parts.headers).await {
        Ok(owner) => {
            let binding = owner.session.id_hash.clone();
            parts.extensions.insert(owner);
            binding
        }
        Err(err)
            if matches!(
                err.code(),
                ErrorCode::Unauthenticated | ErrorCode::SessionExpired
            ) =>
        {
            state
                .cookies
                .read(CookieKind::PreSession, &parts.headers)
                .map(|value| pre_session_binding(&value))
                .ok_or_else(invalid)?
        }
        Err(err) => return Err(err),
    };
    if !state.keys.csrf_token_matches(&binding, &presented) {
        return Err(invalid());
    }
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// The CSRF binding of a signed-out browser's pre-session cookie value.
pub fn pre_session_binding(cookie_value: &str) -> String {
    format!("pre:{}", sha256_hex(cookie_value))
}

/// The CSRF token for a signed-out page, and the pre-session cookie to set
/// when the browser has none yet.
pub fn pre_session_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match state.cookies.read(CookieKind::PreSession, headers) {
        Some(value) => (state.keys.csrf_token(&pre_session_binding(&value)), None),
        None => {
            let value = random_token();
            let token = state.keys.csrf_token(&pre_session_binding(&value));
            (token, state.cookies.issue(CookieKind::PreSession, &value))
        }
    }
}

/// Refuses requests a browser marks as coming from another site.
fn refuse_cross_site(headers: &HeaderMap, public_origin: &str) -> ApiResult<()> {
    let cross = || {
        ApiError::new(
            ErrorCode::CrossSiteRequest,
            "Cross-site requests are not allowed.",
        )
    };
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return Err(cross());
    }
    if let Some(origin) = headers.get(header::ORIGIN)
        && origin.to_str().ok() != Some(public_origin)
    {
        return Err(cross());
    }
    Ok(())
}

/// The token from the header, or else from a URL-encoded form body (which is
/// read, inspected and handed on unchanged), or for multipart uploads from
/// the query string.
async fn presented_token(
    headers: &HeaderMap,
    uri_query: Option<&str>,
    body: Body,
    limit: usize,
) -> ApiResult<(Option<String>, Body)> {
    if let Some(value) = headers.get(HEADER) {
        return Ok((value.to_str().ok().map(str::to_owned), body));
    }
    if is_multipart(headers) {
        // Uploads carry the token in the form's action URL: the body may be
        // large and is parsed by the handler, after this check.
        let token = uri_query
            .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(key, _)| key == FORM_FIELD))
            .map(|(_, value)| value.into_owned());
        return Ok((token, body));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok((None, body));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large."))?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == FORM_FIELD)
        .map(|(_, value)| value.into_owned());
    Ok((token, Body::from(bytes)))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_and_header_less_requests_pass_the_site_check() {
        let origin = "https://app.example.com";
        assert!(refuse_cross_site(&headers(&[]), origin).is_ok());
        assert!(
            refuse_cross_site(
                &headers(&[("sec-fetch-site", "same-origin"), ("origin", origin)]),
                origin
            )
            .is_ok()
        );
    }

    #[test]
    fn other_sites_and_null_origins_are_refused() {
        let origin = "https://app.example.com";
        for pairs in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")][..],
            &[("origin", "https://evil.example")][..],
            &[("origin", "null")][..],
            &[("origin", "https://app.example.com:444")][..],
        ] {
            let err = refuse_cross_site(&headers(pairs), origin).unwrap_err();
            assert_eq!(err.code(), ErrorCode::CrossSiteRequest, "{pairs:?}");
        }
    }
}
