//! The public API's gate: a request naming a widget (path
//! `/v1/widgets/{key}/…` or query `?key=`) must name a live key and come
//! from a page on one of the widget's allowed domains — `Origin` is
//! required; a missing or `null` one is refused, never waved through. The
//! dashboard's live preview instead carries a signed, short-lived
//! `?preview=` token for that key.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use witzo_store::Store;
use witzo_store::domain::WidgetKey;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::origins::{BoxFuture, OriginPolicy, Refusal};
use crate::security::cors::request_origin;
use crate::state::AppState;
use witzo_app::keys::Keys;
use witzo_app::limits::{Quota, WhenDown};
use witzo_app::widgets::cache::{Current, PublicWidget, WidgetCache};
use witzo_app::widgets::health::EmbedHealth;

pub struct WidgetGate {
    pub store: Store,
    pub cache: Arc<WidgetCache>,
    pub keys: Arc<Keys>,
    pub health: Arc<EmbedHealth>,
    /// The dashboard's own origin: the only page a preview token may be
    /// used from (besides a request without an Origin).
    pub dashboard_origin: Arc<str>,
}

/// The widget key a public request names, if any.
pub fn key_in(uri: &Uri) -> Option<String> {
    let mut segments = uri.path().split('/').skip(1);
    if let (Some("v1"), Some("widgets"), Some(key)) =
        (segments.next(), segments.next(), segments.next())
    {
        return Some(key.to_owned());
    }
    query_param(uri, "key")
}

pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A page's origin: its scheme and host.
#[derive(Debug, PartialEq, Eq)]
pub struct PageOrigin {
    pub https: bool,
    pub host: String,
}

/// An `Origin` header value, accepted only as browsers serialise it: `http` or `https`, `://`, a lower-case host (letters,
/// digits, dots, dashes; or a bracketed IPv6 literal), and a port only when
/// it is not the scheme's default — no path, trailing slash, fragment,
/// user-info, percent-encoding, upper case, trailing dot or port 0.
pub fn parse_origin(origin: &str) -> Option<PageOrigin> {
    let (scheme, rest) = origin.split_once("://")?;
    let default_port = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']')?;
            let valid = !address.is_empty()
                && address.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
                && !address.chars().any(|c| c.is_ascii_uppercase());
            if !valid {
                return None;
            }
            (&rest[..address.len() + 2], after.strip_prefix(':'))
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    if rest.starts_with('[') && port.is_none() && rest.len() != host.len() {
        return None; // something other than ":port" after the brackets
    }
    let plain = |h: &str| {
        !h.is_empty()
            && !h.ends_with('.')
            && !h.starts_with('.')
            && h.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    };
    if !host.starts_with('[') && !plain(host) {
        return None;
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && !port.starts_with('0')
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != default_port);
        if !valid {
            return None;
        }
    }
    Some(PageOrigin {
        https: scheme == "https",
        host: host.to_owned(),
    })
}

fn readable(code: ErrorCode, message: &str) -> Refusal {
    Refusal {
        error: ApiError::new(code, message),
        readable: true,
    }
}

impl WidgetGate {
    async fn resolve(&self, parts: &Parts) -> Result<Option<PublicWidget>, Refusal> {
        let path = parts.uri.path();
        // Scripts and images load without CORS; their handlers check the key.
        if path == "/widget.js" || path.starts_with("/embed/") {
            return Ok(None);
        }
        let origin = request_origin(&parts.headers);
        let Some(key) = key_in(&parts.uri) else {
            return match origin {
                Some(_) => Err(Refusal {
                    error: ApiError::new(
                        ErrorCode::OriginNotAllowed,
                        "This origin may not call this endpoint.",
                    ),
                    readable: false,
                }),
                None => Ok(None),
            };
        };
        let invalid = || readable(ErrorCode::WidgetKeyInvalid, "This widget key is not valid.");
        let key = WidgetKey::parse(&key).map_err(|_| invalid())?;
        let Current {
            live,
            knowledge_version,
        } = self
            .cache
            .get(&self.store, &key)
            .await
            .map_err(|err| Refusal {
                error: err.into(),
                readable: true,
            })?
            .ok_or_else(invalid)?;
        let now = witzo_store::now();
        if let Some(token) = query_param(&parts.uri, "preview") {
            // A leaked token must not turn the origin check off for other
            // sites: previews come from the dashboard only.
            if origin
                .as_deref()
                .is_some_and(|o| !o.eq_ignore_ascii_case(&self.dashboard_origin))
            {
                return Err(Refusal {
                    error: ApiError::new(
                        ErrorCode::OriginNotAllowed,
                        "A preview can only be used from the dashboard.",
                    ),
                    readable: false,
                });
            }
            if !self.keys.preview_token_valid(key.as_str(), &token, now) {
                return Err(readable(
                    ErrorCode::PreviewTokenInvalid,
                    "This preview has expired. Reload the page.",
                ));
            }
            return Ok(Some(PublicWidget {
                live,
                knowledge_version,
                origin: "preview".to_owned(),
                preview: true,
            }));
        }
        let origin = origin.filter(|o| o != "null").ok_or_else(|| {
            readable(
                ErrorCode::OriginMissing,
                "This request must come from a web page (Origin).",
            )
        })?;
        let allowed =
            parse_origin(&origin).is_some_and(|page| live.allows_origin(page.https, &page.host));
        if !allowed {
            self.health.record(live.widget.id, &origin, false);
            return Err(readable(
                ErrorCode::WidgetDomainNotAllowed,
                "This widget is not allowed on this website.",
            ));
        }
        if !live.widget.is_active() {
            return Err(readable(
                ErrorCode::WidgetInactive,
                "This widget is switched off.",
            ));
        }
        Ok(Some(PublicWidget {
            live,
            knowledge_version,
            origin: origin.to_lowercase(),
            preview: false,
        }))
    }
}

impl OriginPolicy for WidgetGate {
    fn check<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<bool, Refusal>> {
        Box::pin(async move {
            let Some(widget) = self.resolve(parts).await? else {
                return Ok(false);
            };
            parts.extensions.insert(widget);
            Ok(true)
        })
    }
}

impl FromRequestParts<AppState> for PublicWidget {
    type Rejection = ApiError;

    /// The widget the gate verified, counted against the widget's own rate limit.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let widget = parts
            .extensions
            .get::<PublicWidget>()
            .cloned()
            .ok_or_else(|| {
                ApiError::new(ErrorCode::WidgetKeyInvalid, "This request names no widget.")
            })?;
        let limits = &state.config.limits;
        let quota = Quota::per_minute(limits.widget_per_minute, limits.widget_burst);
        state
            .limiter
            .check(
                &format!("widget:{}", widget.live.widget.id),
                quota,
                WhenDown::Local,
            )
            .await
            .map_err(|refusal| {
                refusal.error("This chat is very busy. Please try again shortly.")
            })?;
        Ok(widget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_in_the_path_or_the_query() {
        let key = |uri: &str| key_in(&uri.parse().unwrap());
        assert_eq!(key("/v1/widgets/wk_1/config").as_deref(), Some("wk_1"));
        assert_eq!(key("/v1/chat?key=wk_2&preview=x").as_deref(), Some("wk_2"));
        assert_eq!(key("/v1/health"), None);
    }

    #[test]
    fn origins_are_accepted_only_as_browsers_send_them() {
        for (origin, host) in [
            ("https://shop.example.com", "shop.example.com"),
            ("https://shop.example.com:8443", "shop.example.com"),
            ("http://localhost:3000", "localhost"),
            ("http://127.0.0.1:8080", "127.0.0.1"),
            ("http://[::1]:8080", "[::1]"),
            ("https://xn--bcher-kva.example", "xn--bcher-kva.example"),
        ] {
            let page = parse_origin(origin).map(|page| (page.https, page.host));
            assert_eq!(
                page,
                Some((origin.starts_with("https:"), host.to_owned())),
                "{origin}"
            );
        }
        for origin in [
            "HTTPS://EXAMPLE.COM",
            "https://Shop.Example.com",
            "https://example.com/",
            "https://example.com/path",
            "https://example.com#x",
            "https://example.com?q",
            "https://user@example.com",
            "https://exa%6Dple.com",
            "https://example.com.",
            "https://example.com:0",
            "https://example.com:443",
            "http://example.com:80",
            "https://example.com:08443",
            "https://example.com:65536",
            "https://example.com:",
            "https://",
            "ftp://example.com",
            "null",
            "file://",
            "https://[::1]x",
            "https://[]",
        ] {
            assert_eq!(parse_origin(origin), None, "{origin}");
        }
    }
}
