//! Whether a source is the question's gold page, compared as
//! siteqa's `run.py` compares them (Python's `urlsplit`, no other
//! normalisation).

/// Whether `url` is the gold `page` of the site at `site_origin`; the home
/// page is `/` or `/index.html`, other pages match with or without a
/// trailing slash.
pub fn is_gold(url: Option<&str>, page: Option<&str>, site_origin: &str) -> bool {
    let (Some(url), Some(page)) = (url, page) else {
        return false;
    };
    if url.is_empty() || page.is_empty() {
        return false;
    }
    let Some((origin, path)) = split_origin(url) else {
        return false;
    };
    if origin != site_origin {
        return false;
    }
    let path = if path.is_empty() { "/" } else { &path };
    if page == "index.html" {
        return path == "/" || path == "/index.html";
    }
    path.trim_end_matches('/') == format!("/{}", page.trim_start_matches('/'))
}

/// `scheme://netloc` (scheme lowercased) and the path of `url`, split as
/// Python's `urllib.parse.urlsplit` does: no other normalisation.
fn split_origin(url: &str) -> Option<(String, String)> {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (scheme.to_ascii_lowercase(), rest)
        }
        _ => (String::new(), url.as_str()),
    };
    let (netloc, rest) = match rest.strip_prefix("//") {
        Some(after) => after.split_at(after.find(['/', '?', '#']).unwrap_or(after.len())),
        None => ("", rest),
    };
    // urlsplit raises on an unbalanced IPv6 bracket.
    if netloc.contains('[') != netloc.contains(']') {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    Some((format!("{scheme}://{netloc}"), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:8123";

    #[test]
    fn gold_urls_match_the_page_on_the_site_origin_only() {
        let gold = |url: &str, page: &str| is_gold(Some(url), Some(page), ORIGIN);
        assert!(gold(&format!("{ORIGIN}/"), "index.html"));
        assert!(gold(ORIGIN, "index.html"));
        assert!(gold(&format!("{ORIGIN}/index.html"), "index.html"));
        assert!(gold(&format!("{ORIGIN}/?utm=1#top"), "index.html"));
        assert!(!gold(&format!("{ORIGIN}/fees.html"), "index.html"));
        assert!(gold(&format!("{ORIGIN}/fees.html"), "fees.html"));
        assert!(gold(&format!("{ORIGIN}/fees.html/"), "/fees.html"));
        assert!(gold(&format!("{ORIGIN}/fees.html#prices"), "fees.html"));
        assert!(gold("HTTP://127.0.0.1:8123/fees.html", "fees.html"));
        assert!(gold(&format!("{ORIGIN}/blog/post"), "blog/post"));
        assert!(!gold(&format!("{ORIGIN}/fees"), "fees.html"));
        assert!(!gold("http://127.0.0.1:9999/fees.html", "fees.html"));
        assert!(!gold("http://localhost:8123/fees.html", "fees.html"));
        assert!(!gold("/fees.html", "fees.html"));
        assert!(!is_gold(None, Some("fees.html"), ORIGIN));
        assert!(!is_gold(Some(ORIGIN), None, ORIGIN));
        assert!(!gold("", "fees.html"));
        assert!(gold(&format!(" {ORIGIN}/fe\nes.html"), "fees.html"));
    }
}
