//! Page metadata: title, language, links, canonical URL, robots directives.

use scraper::{ElementRef, Html, Node};
use url::Url;

/// Everything but the main text.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub title: String,
    pub lang: Option<String>,
    pub links: Vec<Url>,
    pub canonical: Option<Url>,
    pub noindex: bool,
    pub nofollow: bool,
}

/// Reads the metadata of `html`, resolving relative URLs against `<base href>` or `url`.
pub(crate) fn read(html: &Html, url: &Url) -> Meta {
    let elements: Vec<ElementRef<'_>> = html
        .tree
        .root()
        .descendants()
        .filter_map(ElementRef::wrap)
        .collect();
    let base = elements
        .iter()
        .find(|e| e.value().name() == "base" && e.attr("href").is_some())
        .and_then(|e| e.attr("href"))
        .and_then(|href| web_url(url, href))
        .unwrap_or_else(|| url.clone());
    let mut meta = Meta::default();
    let mut og_title = None;
    let mut first_h1 = None;
    for element in &elements {
        let attr = |name: &str| element.attr(name).map(str::trim);
        match element.value().name() {
            "html" => {
                meta.lang = attr("lang").filter(|l| !l.is_empty()).map(str::to_owned);
            }
            "title" if meta.title.is_empty() && !in_svg(element) => {
                meta.title = collapse(&element.text().collect::<String>());
            }
            "h1" if first_h1.is_none() => {
                first_h1 = Some(collapse(&element.text().collect::<String>()));
            }
            "a" | "area" => {
                if let Some(link) = attr("href").and_then(|h| web_url(&base, h))
                    && !meta.links.contains(&link)
                {
                    meta.links.push(link);
                }
            }
            "link" if meta.canonical.is_none() && has_token(attr("rel"), "canonical") => {
                meta.canonical = attr("href").and_then(|h| web_url(&base, h));
            }
            "meta" => {
                let name = attr("name").unwrap_or_default().to_ascii_lowercase();
                let content = attr("content").unwrap_or_default();
                match name.as_str() {
                    "robots" | "witzobot" => {
                        let none = has_token(Some(content), "none");
                        meta.noindex |= none || has_token(Some(content), "noindex");
                        meta.nofollow |= none || has_token(Some(content), "nofollow");
                    }
                    _ if attr("property") == Some("og:title") => og_title = Some(collapse(content)),
                    _ => {}
                }
                if attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
                    && let Some(link) = refresh_target(content).and_then(|t| web_url(&base, t))
                    && !meta.links.contains(&link)
                {
                    meta.links.push(link);
                }
            }
            _ => {}
        }
    }
    if meta.title.is_empty() {
        meta.title = og_title.or(first_h1).unwrap_or_default();
    }
    meta
}

/// `href` resolved against `base`, if it is an http(s) URL; the fragment is removed.
fn web_url(base: &Url, href: &str) -> Option<Url> {
    let mut url = base.join(href.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// True when the comma- or space-separated `list` contains `token` (case-insensitively).
fn has_token(list: Option<&str>, token: &str) -> bool {
    list.is_some_and(|l| {
        l.split([',', ' ', '\t', '\n'])
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

/// The URL in a `<meta http-equiv=refresh content="5; url=...">`.
fn refresh_target(content: &str) -> Option<&str> {
    let (_, rest) = content.split_once([';', ','])?;
    let rest = rest.trim_start();
    let value = rest
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("url"))
        .map(|_| rest[3..].trim_start())?
        .strip_prefix('=')?
        .trim();
    let value = value.trim_matches(['"', '\'']);
    (!value.is_empty()).then_some(value)
}

fn in_svg(element: &ElementRef<'_>) -> bool {
    element.ancestors().any(|a| match a.value() {
        Node::Element(e) => e.name() == "svg",
        _ => false,
    })
}

/// Collapses runs of whitespace to single spaces and trims.
pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
