//! Witzo's cookies: `HttpOnly`, `SameSite=Lax`, `Path=/`, and over https
//! `Secure` with the `__Host-` prefix (which browsers only accept from a
//! secure origin, without `Domain`, for the whole site). Only the dashboard
//! surface ever sets or reads them.

use axum::http::{HeaderMap, HeaderValue, header};
use witzo_app::auth::openid;

/// What a cookie carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieKind {
    /// The signed-in session's token.
    Session,
    /// A random value binding CSRF tokens of signed-out forms (sign-in).
    PreSession,
    /// A random value binding an OpenID sign-in to the browser that began it.
    OidcBrowser,
}

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    /// Lifetime of the session cookie (the session's absolute lifetime).
    pub session_max_age_secs: i64,
}

/// Lifetime of the pre-session cookie.
pub const PRE_SESSION_MAX_AGE_SECS: i64 = 24 * 3600;
impl CookiePolicy {
    pub fn name(self, kind: CookieKind) -> &'static str {
        match (kind, self.secure) {
            (CookieKind::Session, false) => "witzo_session",
            (CookieKind::Session, true) => "__Host-witzo_session",
            (CookieKind::PreSession, false) => "witzo_pre",
            (CookieKind::PreSession, true) => "__Host-witzo_pre",
            (CookieKind::OidcBrowser, false) => "witzo_oidc",
            (CookieKind::OidcBrowser, true) => "__Host-witzo_oidc",
        }
    }

    fn max_age(self, kind: CookieKind) -> i64 {
        match kind {
            CookieKind::Session => self.session_max_age_secs,
            CookieKind::PreSession => PRE_SESSION_MAX_AGE_SECS,
            CookieKind::OidcBrowser => openid::PENDING_MAX_AGE_SECS,
        }
    }

    /// `Set-Cookie` carrying `value`.
    pub fn issue(self, kind: CookieKind, value: &str) -> Option<HeaderValue> {
        self.header(kind, value, self.max_age(kind))
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear(self, kind: CookieKind) -> Option<HeaderValue> {
        self.header(kind, "", 0)
    }

    fn header(self, kind: CookieKind, value: &str, max_age: i64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name(kind)
        );
        HeaderValue::from_str(&cookie).ok()
    }

    /// The cookie's value in a request, if it carries one.
    pub fn read(self, kind: CookieKind, headers: &HeaderMap) -> Option<String> {
        let name = self.name(kind);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, value)| *key == name && !value.is_empty())
            .map(|(_, value)| value.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: CookiePolicy = CookiePolicy {
        secure: false,
        session_max_age_secs: 60,
    };
    const HTTPS: CookiePolicy = CookiePolicy {
        secure: true,
        session_max_age_secs: 60,
    };

    #[test]
    fn plain_http_cookies_are_httponly_and_lax() {
        assert_eq!(
            HTTP.issue(CookieKind::Session, "abc").unwrap(),
            "witzo_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
    }

    #[test]
    fn https_cookies_are_secure_with_the_host_prefix() {
        assert_eq!(
            HTTPS.issue(CookieKind::Session, "abc").unwrap(),
            "__Host-witzo_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert_eq!(
            HTTPS.clear(CookieKind::PreSession).unwrap(),
            "__Host-witzo_pre=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        assert_eq!(
            HTTPS.issue(CookieKind::OidcBrowser, "x").unwrap(),
            "__Host-witzo_oidc=x; Path=/; HttpOnly; SameSite=Lax; Max-Age=600; Secure"
        );
    }

    #[test]
    fn reads_only_its_own_cookie() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("witzo_session=plain; a=b"),
        );
        assert_eq!(HTTPS.read(CookieKind::Session, &headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("x=1; __Host-witzo_session=good"),
        );
        assert_eq!(
            HTTPS.read(CookieKind::Session, &headers).as_deref(),
            Some("good")
        );
        assert_eq!(HTTPS.read(CookieKind::PreSession, &headers), None);
    }
}
