use std::fmt;

use super::InvalidValue;

/// Where a widget may answer: an exact host (`shop.example.com`) or a
/// wildcard (`*.example.com`: any subdomain, not the apex), on `https`
/// pages only unless written with `http://` (an explicit opt-in for
/// plain-http pages; `localhost` and `127.0.0.1` answer on any scheme).
/// Stored lower-case, IDN labels as punycode, without port, path,
/// user-info or trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedDomain {
    host: String,
    wildcard: bool,
    http: bool,
}

impl AllowedDomain {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim().to_lowercase();
        let refuse = |why: &str| Err(InvalidValue::new(format!("{raw:?} {why}")));
        if raw.is_empty() {
            return refuse("is empty");
        }
        let (http, raw) = match (raw.strip_prefix("http://"), raw.strip_prefix("https://")) {
            (Some(rest), _) => (true, rest.to_owned()),
            (_, Some(rest)) => (false, rest.to_owned()),
            _ => (false, raw.clone()),
        };
        if raw.contains("://") {
            return refuse("may only start with http:// (to allow plain-http pages) or https://");
        }
        if raw.contains('/') || raw.contains('?') || raw.contains('#') {
            return refuse("must be a host name without a path");
        }
        if raw.contains('@') {
            return refuse("must not contain a user name");
        }
        if raw.contains(':') {
            return refuse("must not contain a port (every port of the host is allowed)");
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refuse("must not contain spaces");
        }
        let (wildcard, rest) = match raw.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, raw.as_str()),
        };
        let rest = rest.strip_suffix('.').unwrap_or(rest);
        if rest.contains('*') {
            return refuse("may only start with \"*.\" as a wildcard");
        }
        let host = match url::Host::parse(rest) {
            // An international name is written as browsers send it in
            // `Origin` (its xn-- form), so what the owner typed is what
            // is matched, and what the API document describes.
            Ok(url::Host::Domain(domain)) if !rest.is_ascii() => {
                return refuse(&format!("must be written as {domain:?} (its xn-- form)"));
            }
            Ok(url::Host::Domain(domain)) => domain,
            Ok(url::Host::Ipv4(ip)) if !wildcard => ip.to_string(),
            Ok(_) => return refuse("is not a host name this widget can be embedded on"),
            Err(_) => return refuse("is not a valid host name"),
        };
        let labels_ok = host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return refuse("is not a valid host name");
        }
        if wildcard && !host.contains('.') {
            return refuse("is too broad: a wildcard needs a domain such as *.example.com");
        }
        Ok(Self {
            host,
            wildcard,
            http,
        })
    }

    /// Whether a page of this origin (scheme and host, as a browser sends
    /// them in `Origin`) may use the widget.
    pub fn allows(&self, https: bool, host: &str) -> bool {
        let local = host == "localhost" || host == "127.0.0.1" || host.ends_with(".localhost");
        self.matches(host) && (https || self.http || local)
    }

    /// Whether a page on `host` (as a browser sends it in `Origin`) matches.
    pub fn matches(&self, host: &str) -> bool {
        if self.wildcard {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }
}

impl fmt::Display for AllowedDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.http {
            f.write_str("http://")?;
        }
        if self.wildcard {
            write!(f, "*.{}", self.host)
        } else {
            f.write_str(&self.host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> String {
        AllowedDomain::parse(raw).unwrap().to_string()
    }

    #[test]
    fn normalises_case_idn_and_trailing_dots() {
        assert_eq!(parse(" Shop.EXAMPLE.com "), "shop.example.com");
        assert_eq!(parse("*.Example.com."), "*.example.com");
        assert_eq!(parse("xn--BCHER-kva.de"), "xn--bcher-kva.de");
        assert_eq!(
            AllowedDomain::parse("bücher.de").map_err(|e| e.message),
            Err("\"bücher.de\" must be written as \"xn--bcher-kva.de\" (its xn-- form)".to_owned())
        );
        assert_eq!(parse("localhost"), "localhost");
        assert_eq!(parse("127.0.0.1"), "127.0.0.1");
        assert_eq!(parse("https://Shop.example.com"), "shop.example.com");
        assert_eq!(parse("HTTP://*.example.com"), "http://*.example.com");
    }

    #[test]
    fn pages_must_be_https_unless_http_is_opted_in_or_local() {
        let secure = AllowedDomain::parse("example.com").unwrap();
        assert!(secure.allows(true, "example.com"));
        assert!(!secure.allows(false, "example.com"));
        let legacy = AllowedDomain::parse("http://example.com").unwrap();
        assert!(legacy.allows(false, "example.com") && legacy.allows(true, "example.com"));
        assert!(!legacy.allows(false, "www.example.com"));
        let local = AllowedDomain::parse("localhost").unwrap();
        assert!(local.allows(false, "localhost"));
    }

    #[test]
    fn refuses_schemes_ports_paths_userinfo_and_bad_wildcards() {
        for raw in [
            "ftp://example.com",
            "https://http://example.com",
            "example.com:8080",
            "example.com/shop",
            "user@example.com",
            "*.com",
            "*",
            "a.*.example.com",
            "*example.com",
            "exa mple.com",
            "-bad.example.com",
            "",
            "[::1]",
            "*.127.0.0.1",
        ] {
            assert!(AllowedDomain::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn exact_hosts_match_only_themselves() {
        let exact = AllowedDomain::parse("example.com").unwrap();
        assert!(exact.matches("example.com"));
        for host in [
            "www.example.com",
            "evil-example.com",
            "example.com.evil.com",
            "example.com.",
        ] {
            assert!(!exact.matches(host), "{host}");
        }
    }

    #[test]
    fn wildcards_match_subdomains_but_not_the_apex_or_look_alikes() {
        let wild = AllowedDomain::parse("*.example.com").unwrap();
        assert!(wild.matches("shop.example.com"));
        assert!(wild.matches("a.b.example.com"));
        for host in [
            "example.com",
            "evil-example.com",
            "example.com.evil.com",
            "shop.example.com.",
            "xexample.com",
        ] {
            assert!(!wild.matches(host), "{host}");
        }
    }
}
