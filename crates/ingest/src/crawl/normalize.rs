//! URL normalisation and the de-duplication key.

use url::Url;

/// Query parameters that only track visitors.
const TRACKING_PARAMS: &[&str] = &[
    "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "yclid", "mc_cid", "mc_eid", "ref",
    "_ga", "_gl",
];

/// The URL as crawled: no fragment, no tracking parameters, no empty query. (Scheme and
/// host are already lower-case and default ports dropped by the `url` parser.)
pub(crate) fn normalize(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let name = pair
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                !name.is_empty()
                    && !name.starts_with("utm_")
                    && !TRACKING_PARAMS.contains(&name.as_str())
            })
            .collect();
        let kept = kept.join("&");
        url.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    url
}

/// The identity of a normalised URL: `/about/` and `/about` are the same page.
pub(crate) fn key(url: &Url) -> String {
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(url.scheme());
    key.push_str("://");
    key.push_str(url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = url.path();
    key.push_str(match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    });
    if let Some(query) = url.query() {
        key.push('?');
        key.push_str(query);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn normalizes() {
        assert_eq!(n("HTTP://Example.COM:80/a#frag"), "http://example.com/a");
        assert_eq!(n("https://example.com:443"), "https://example.com/");
        assert_eq!(
            n("https://x.org/p?utm_source=a&id=3&UTM_medium=b&gclid=1&ref=z&b=2&fbclid=q"),
            "https://x.org/p?id=3&b=2"
        );
        assert_eq!(n("https://x.org/p?utm_source=a&"), "https://x.org/p");
        assert_eq!(
            n("https://x.org/p?referrer=1"),
            "https://x.org/p?referrer=1"
        );
        assert_eq!(n("https://x.org/a/./b/../c"), "https://x.org/a/c");
    }

    #[test]
    fn keys_ignore_trailing_slash() {
        let k = |s: &str| key(&normalize(&Url::parse(s).unwrap()));
        assert_eq!(k("https://x.org/about/"), k("https://x.org/about"));
        assert_eq!(k("https://x.org/"), "https://x.org/");
        assert_eq!(k("http://x.org:8080/a/?q"), "http://x.org:8080/a?q");
        assert_ne!(k("http://x.org/a"), k("https://x.org/a"));
    }
}
