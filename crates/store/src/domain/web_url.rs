use std::fmt;

use super::InvalidValue;

/// An absolute `http`/`https` URL with a host and no credentials, at most
/// 2,048 characters, as an owner would type their website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(url::Url);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.len() > 2048 {
            return Err(InvalidValue::new("must be at most 2048 characters"));
        }
        let url = url::Url::parse(raw).map_err(|_| InvalidValue::new("is not a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidValue::new("must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidValue::new("must name a host"));
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
        ] {
            assert!(WebUrl::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }
}
