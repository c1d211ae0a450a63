//! What belongs to the site, and which of its paths are crawled.

use url::Url;

use super::SkipReason;

/// Path segments of account, cart and admin pages (compared without extension).
const PRIVATE_SEGMENTS: &[&str] = &[
    "login",
    "log-in",
    "signin",
    "sign-in",
    "signup",
    "sign-up",
    "logout",
    "log-out",
    "signout",
    "sign-out",
    "cart",
    "basket",
    "checkout",
    "admin",
    "administrator",
    "wp-admin",
    "wp-login",
    "account",
    "accounts",
    "my-account",
    "myaccount",
];

/// File extensions that are never HTML pages.
const BINARY_EXTENSIONS: &[&str] = &[
    "pdf", "zip", "gz", "tgz", "bz2", "xz", "rar", "7z", "tar", "png", "jpg", "jpeg", "gif",
    "webp", "svg", "ico", "bmp", "tif", "tiff", "avif", "heic", "mp4", "mov", "avi", "mkv", "webm",
    "wmv", "flv", "m4v", "mpg", "mpeg", "mp3", "wav", "ogg", "oga", "m4a", "flac", "aac", "doc",
    "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "epub", "exe", "msi", "dmg",
    "pkg", "deb", "rpm", "apk", "iso", "bin", "css", "js", "json", "xml", "rss", "atom", "txt",
    "csv", "woff", "woff2", "ttf", "otf", "eot",
];

/// The site (start host and its `www.` twin, same port) and the crawled paths.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    hosts: Vec<String>,
    port: Option<u16>,
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Scope {
    /// The scope of a crawl starting at `start`.
    pub(crate) fn new(start: &Url, include: &[String], exclude: &[String]) -> Self {
        let host = start.host_str().unwrap_or_default().to_owned();
        let mut hosts = vec![host.clone()];
        if matches!(start.host(), Some(url::Host::Domain(_))) {
            match host.strip_prefix("www.") {
                Some(bare) => hosts.push(bare.to_owned()),
                None => hosts.push(format!("www.{host}")),
            }
        }
        let prefixes = |list: &[String]| {
            list.iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| {
                    if p.starts_with('/') {
                        p.to_owned()
                    } else {
                        format!("/{p}")
                    }
                })
                .collect()
        };
        Self {
            hosts,
            port: start.port(),
            include: prefixes(include),
            exclude: prefixes(exclude),
        }
    }

    /// True for http(s) URLs on the site. Ports must match, where a scheme's default
    /// port matches the other scheme's default (http → https upgrades stay on the site).
    pub(crate) fn on_site(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && url
                .host_str()
                .is_some_and(|h| self.hosts.iter().any(|s| s == h))
            && url.port() == self.port
    }

    /// True when the configured include/exclude prefixes let `url` be indexed.
    pub(crate) fn included(&self, url: &Url) -> bool {
        let path = url.path();
        (self.include.is_empty() || self.include.iter().any(|p| path.starts_with(p.as_str())))
            && !self.exclude.iter().any(|p| path.starts_with(p.as_str()))
    }

    /// Why an on-site URL is skipped without fetching regardless of the configured
    /// paths: account/cart/admin pages are `OutsideScope`, binary files `NotHtml`.
    pub(crate) fn verdict(&self, url: &Url) -> Option<SkipReason> {
        let segments: Vec<String> = url
            .path_segments()
            .into_iter()
            .flatten()
            .map(str::to_ascii_lowercase)
            .collect();
        let private = segments.iter().any(|s| {
            let stem = s.rsplit_once('.').map_or(s.as_str(), |(stem, _)| stem);
            PRIVATE_SEGMENTS.contains(&stem)
        });
        if private {
            return Some(SkipReason::OutsideScope);
        }
        let binary = segments
            .last()
            .and_then(|s| s.rsplit_once('.'))
            .is_some_and(|(_, ext)| BINARY_EXTENSIONS.contains(&ext));
        binary.then_some(SkipReason::NotHtml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn site_is_host_and_www_twin_on_the_same_port() {
        let scope = Scope::new(&url("https://example.com/"), &[], &[]);
        assert!(scope.on_site(&url("https://example.com/a")));
        assert!(scope.on_site(&url("http://www.example.com/a")));
        assert!(!scope.on_site(&url("https://shop.example.com/")));
        assert!(!scope.on_site(&url("https://example.com:8443/")));
        assert!(!scope.on_site(&url("ftp://example.com/")));
        let scope = Scope::new(&url("http://www.example.com:8080/"), &[], &[]);
        assert!(scope.on_site(&url("http://example.com:8080/")));
        assert!(!scope.on_site(&url("http://example.com/")));
        let scope = Scope::new(&url("http://127.0.0.1:8080/"), &[], &[]);
        assert!(scope.on_site(&url("http://127.0.0.1:8080/x")));
        assert!(!scope.on_site(&url("http://127.0.0.2:8080/x")));
    }

    #[test]
    fn included_paths() {
        let scope = Scope::new(
            &url("https://x.org/"),
            &["docs".into()],
            &["/docs/old".into()],
        );
        assert!(scope.included(&url("https://x.org/docs/a")));
        assert!(!scope.included(&url("https://x.org/blog")));
        assert!(!scope.included(&url("https://x.org/docs/old/a")));
        let scope = Scope::new(&url("https://x.org/"), &[], &["/tmp".into()]);
        assert!(scope.included(&url("https://x.org/docs")));
        assert!(!scope.included(&url("https://x.org/tmp/x")));
    }

    #[test]
    fn verdicts() {
        let scope = Scope::new(&url("https://x.org/"), &[], &[]);
        assert_eq!(
            scope.verdict(&url("https://x.org/docs/Guide.PDF")),
            Some(SkipReason::NotHtml)
        );
        assert_eq!(scope.verdict(&url("https://x.org/docs/page.html")), None);
        assert_eq!(scope.verdict(&url("https://x.org/")), None);
        for private in [
            "/login",
            "/wp-admin/x",
            "/shop/cart/",
            "/wp-login.php",
            "/my-account",
        ] {
            let u = url(&format!("https://x.org{private}"));
            assert_eq!(
                scope.verdict(&u),
                Some(SkipReason::OutsideScope),
                "{private}"
            );
        }
        assert_eq!(scope.verdict(&url("https://x.org/cartography")), None);
    }
}
