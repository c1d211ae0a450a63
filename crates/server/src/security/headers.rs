//! Security headers on every response, chosen by surface (DESIGN.md "The two
//! surfaces"): the owner's dashboard, same-origin only, and the public widget
//! API, loaded cross-origin from owners' sites.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;
use crate::surface::Surface;

pub const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The public API answers JSON and scripts; none of it may load anything or be framed.
pub const PUBLIC_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()";
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Sets the surface's headers on the response, and `Cache-Control: no-store`
/// where a handler did not choose its own caching.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let surface = Surface::of(req.uri().path());
    let mut response = next.run(req).await;
    apply(response.headers_mut(), surface, state.https);
    response
}

pub fn apply(headers: &mut HeaderMap, surface: Surface, https: bool) {
    let (csp, referrer, corp) = match surface {
        Surface::Dashboard => (DASHBOARD_CSP, "same-origin", "same-origin"),
        Surface::Public => (PUBLIC_CSP, "no-referrer", "cross-origin"),
        Surface::OwnerApi => (PUBLIC_CSP, "no-referrer", "same-origin"),
    };
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, csp);
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, referrer);
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        corp,
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    } else {
        headers.remove(header::STRICT_TRANSPORT_SECURITY);
    }
    headers.remove(header::SERVER);
    headers.remove(HeaderName::from_static("x-powered-by"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_surface() {
        for path in ["/v1", "/v1/health", "/widget.js", "/embed/wk_abc.js"] {
            assert_eq!(Surface::of(path), Surface::Public, "{path}");
        }
        for path in [
            "/",
            "/app",
            "/api/me",
            "/v1x",
            "/healthz",
            "/static/app.css",
            "/widget.jsx",
        ] {
            assert_eq!(Surface::of(path), Surface::Dashboard, "{path}");
        }
        for path in ["/api/v1", "/api/v1/widgets", "/api/v1/chat"] {
            assert_eq!(Surface::of(path), Surface::OwnerApi, "{path}");
        }
        assert_eq!(Surface::of("/api/v1x"), Surface::Dashboard);
    }
}
