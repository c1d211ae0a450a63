use std::fmt;

use super::InvalidValue;

/// An absolute `http`/`https` URL with a host and no credentials, at most
/// 2,048 characters, as an owner would type their website. The host is an
/// IP address or a DNS name (labels of letters, digits and inner hyphens;
/// international names as the URL parser converts them to punycode), not
/// whatever else URL parsing lets through (`*`, `_`, `!`, a trailing dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(url::Url);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.len() > 2048 {
            return Err(InvalidValue::new("must be at most 2048 characters"));
        }
        // URL parsing would drop tabs and newlines and encode spaces: an
        // address with any inside is not one that was meant.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidValue::new("must not contain spaces"));
        }
        let url = url::Url::parse(raw).map_err(|_| InvalidValue::new("is not a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidValue::new("must start with http:// or https://"));
        }
        let dns_name = |host: &str| {
            host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        };
        match url.host() {
            None => return Err(InvalidValue::new("must name a host")),
            Some(url::Host::Domain(host)) if !dns_name(host) => {
                return Err(InvalidValue::new("must name a valid host"));
            }
            Some(_) => {}
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidValue::new(
                "must not contain a user name or password",
            ));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The allowed-domain entry for a widget on this website: its host, or
    /// `http://host` when the website is plain http (which must be opted
    /// in to).
    pub fn allowed_domain(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        if self.0.scheme() == "http" {
            format!("http://{host}")
        } else {
            host.to_owned()
        }
    }

    /// The page a widget reported being on, as stored beside a visit:
    /// without query or fragment (they may carry visitors' tokens), at most
    /// 500 characters; empty when `raw` is missing or not a web URL.
    pub fn page_of(raw: Option<&str>) -> String {
        let Some(mut url) = raw.and_then(|raw| Self::parse(raw).ok()) else {
            return String::new();
        };
        url.0.set_query(None);
        url.0.set_fragment(None);
        url.0.as_str().chars().take(500).collect()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_website_gives_its_allowed_domain_and_pages_lose_query_and_fragment() {
        let domain = |raw: &str| WebUrl::parse(raw).unwrap().allowed_domain();
        assert_eq!(domain("https://Shop.Example.com/about"), "shop.example.com");
        assert_eq!(
            domain("http://shop.example.com:8080/"),
            "http://shop.example.com"
        );
        assert_eq!(
            WebUrl::page_of(Some("https://shop.example.com/p?token=x#top")),
            "https://shop.example.com/p"
        );
        assert_eq!(WebUrl::page_of(Some("javascript:alert(1)")), "");
        assert_eq!(WebUrl::page_of(None), "");
    }

    #[test]
    fn accepts_http_and_https_urls() {
        assert_eq!(
            WebUrl::parse("https://Shop.Example.com/about")
                .unwrap()
                .as_str(),
            "https://shop.example.com/about"
        );
        assert!(WebUrl::parse("http://example.com").is_ok());
    }

    #[test]
    fn refuses_other_schemes_credentials_and_garbage() {
        for raw in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "ftp://example.com",
            "https://user:pw@example.com",
            "example.com",
            "https://",
            "https://example.com*/",
            "https://exa_mple.com",
            "https://example.com./",
            "https://-example.com",
            "https://example.com/a b",
            "https://exa\tmple.com/",
        ] {
            assert!(WebUrl::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }
}
