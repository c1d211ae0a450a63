//! The session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, and over https
//! `Secure` with the `__Host-` prefix (which browsers only accept from a
//! secure origin, without `Domain`, for the whole site).

use axum::http::{HeaderMap, HeaderValue, header};

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    pub max_age_secs: i64,
}

impl CookiePolicy {
    pub fn name(self) -> &'static str {
        if self.secure {
            "__Host-witzo_session"
        } else {
            "witzo_session"
        }
    }

    /// `Set-Cookie` for a new session token.
    pub fn issue(self, token: &str) -> Option<HeaderValue> {
        self.header(token, self.max_age_secs)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear(self) -> Option<HeaderValue> {
        self.header("", 0)
    }

    fn header(self, value: &str, max_age: i64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name()
        );
        HeaderValue::from_str(&cookie).ok()
    }

    /// The session cookie's value in a request, if it carries one.
    pub fn read(self, headers: &HeaderMap) -> Option<String> {
        let name = self.name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_cookies_are_httponly_and_lax() {
        let policy = CookiePolicy {
            secure: false,
            max_age_secs: 60,
        };
        assert_eq!(
            policy.issue("abc").unwrap(),
            "witzo_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
    }

    #[test]
    fn https_cookies_are_secure_with_the_host_prefix() {
        let policy = CookiePolicy {
            secure: true,
            max_age_secs: 60,
        };
        assert_eq!(
            policy.clear().unwrap(),
            "__Host-witzo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
    }

    #[test]
    fn reads_only_its_own_cookie() {
        let policy = CookiePolicy {
            secure: true,
            max_age_secs: 60,
        };
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("witzo_session=plain; a=b"),
        );
        assert_eq!(policy.read(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("x=1; __Host-witzo_session=good"),
        );
        assert_eq!(policy.read(&headers).as_deref(), Some("good"));
    }
}
