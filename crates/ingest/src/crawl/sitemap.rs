//! Sitemaps: `<urlset>` and `<sitemapindex>` documents, plain or gzip-compressed.
//!
//! The XML reader never expands DTDs or custom entities; a `<loc>` using one is dropped.

use std::io::Read;
use std::time::Duration;

use quick_xml::Reader;
use quick_xml::events::Event;
use url::Url;

use super::pace::Pacer;
use super::scope::Scope;
use crate::Fetcher;

/// Largest decompressed sitemap read, in bytes.
const MAX_DECOMPRESSED: usize = 20 * 1024 * 1024;
/// Sitemap files fetched per crawl, indexes included.
const MAX_FILES: usize = 50;
/// Page URLs taken from sitemaps per crawl.
const MAX_URLS: usize = 50_000;

/// The `<loc>` entries of one sitemap document.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Sitemap {
    /// Child sitemaps (from a `<sitemapindex>`).
    pub sitemaps: Vec<String>,
    /// Pages (from a `<urlset>`).
    pub pages: Vec<String>,
}

/// Parses a sitemap body, gunzipping it first if it is gzip data. Malformed input
/// yields the entries read before the error.
pub(crate) fn parse(body: &[u8]) -> Sitemap {
    let xml = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let decoder = flate2::read::MultiGzDecoder::new(body);
        // Read errors keep what was decoded so far; `take` caps a decompression bomb.
        let _ = decoder.take(MAX_DECOMPRESSED as u64).read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    let mut reader = Reader::from_str(&xml);
    reader.config_mut().trim_text(true);
    let mut sitemap = Sitemap::default();
    // (inside <sitemap>, inside <url>, text of the current <loc> if valid so far)
    let (mut in_sitemap, mut in_url, mut loc): (bool, bool, Option<String>) = (false, false, None);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "sitemap" => in_sitemap = true,
                "url" => in_url = true,
                "loc" => loc = Some(String::new()),
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "sitemap" => in_sitemap = false,
                "url" => in_url = false,
                "loc" => {
                    let value = loc.take().map(|l| l.trim().to_owned()).unwrap_or_default();
                    if value.is_empty() {
                        continue;
                    }
                    if in_sitemap {
                        sitemap.sitemaps.push(value);
                    } else if in_url {
                        sitemap.pages.push(value);
                    }
                }
                _ => {}
            },
            Ok(Event::Text(t)) => {
                if let Some(l) = loc.as_mut() {
                    l.push_str(&t.xml10_content());
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(l) = loc.as_mut() {
                    l.push_str(&t);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match &*r {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                match (resolved, loc.as_mut()) {
                    (Some(c), Some(l)) => l.push(c),
                    // An undefined entity: never expanded, the entry is dropped.
                    (None, Some(_)) => loc = None,
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    sitemap
}

/// Fetches the sitemaps at `roots` and the sitemaps they list (on-site only), returning
/// the on-site page URLs they name.
pub(crate) async fn discover(
    fetcher: &Fetcher,
    scope: &Scope,
    roots: Vec<Url>,
    pacer: &mut Pacer,
    delay: Duration,
) -> Vec<Url> {
    let mut queue = roots;
    let mut fetched = 0;
    let mut next = 0;
    let mut pages = Vec::new();
    while next < queue.len() && fetched < MAX_FILES && pages.len() < MAX_URLS {
        let url = queue[next].clone();
        next += 1;
        fetched += 1;
        tokio::time::sleep_until(pacer.slot(&url, delay)).await;
        let body = match fetcher.get(&url, None).await {
            Ok(f) if (200..300).contains(&f.status) => f.body,
            Ok(f) => {
                tracing::debug!(%url, status = f.status, "sitemap not available");
                continue;
            }
            Err(e) => {
                tracing::debug!(%url, error = %e, "sitemap fetch failed");
                continue;
            }
        };
        let parsed = parse(&body);
        let on_site = |loc: &String| Url::parse(loc).ok().filter(|u| scope.on_site(u));
        for child in parsed.sitemaps.iter().filter_map(on_site) {
            if queue.len() < MAX_FILES && !queue.contains(&child) {
                queue.push(child);
            }
        }
        pages.extend(parsed.pages.iter().filter_map(on_site));
    }
    pages.truncate(MAX_URLS);
    pages
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn parses_urlsets_and_indexes() {
        let urlset = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc> https://x.org/a?b=1&amp;c=2 </loc><lastmod>2024-01-01</lastmod></url>
              <url><loc><![CDATA[https://x.org/cdata]]></loc></url>
              <url><loc>https://x.org/&#x41;</loc></url>
            </urlset>"#;
        assert_eq!(
            parse(urlset).pages,
            [
                "https://x.org/a?b=1&c=2",
                "https://x.org/cdata",
                "https://x.org/A"
            ]
        );
        let index = b"<sitemapindex><sitemap><loc>https://x.org/s1.xml.gz</loc></sitemap>\
                      </sitemapindex>";
        let parsed = parse(&gzip(index));
        assert_eq!(parsed.sitemaps, ["https://x.org/s1.xml.gz"]);
        assert!(parsed.pages.is_empty());
    }

    #[test]
    fn never_expands_entities() {
        let xml = br#"<?xml version="1.0"?>
            <!DOCTYPE urlset [<!ENTITY x "https://evil.example/">
              <!ENTITY big "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;">]>
            <urlset><url><loc>&big;</loc></url><url><loc>https://x.org/ok</loc></url></urlset>"#;
        assert_eq!(parse(xml).pages, ["https://x.org/ok"]);
    }

    #[test]
    fn caps_decompressed_size() {
        let mut xml = b"<urlset><url><loc>https://x.org/first</loc></url>".to_vec();
        xml.resize(MAX_DECOMPRESSED + 1024, b' ');
        xml.extend_from_slice(b"<url><loc>https://x.org/beyond</loc></url></urlset>");
        let compressed = gzip(&xml);
        // A bomb: small compressed, large inflated (the ratio depends on
        // which deflate backend the build selects).
        assert!(
            compressed.len() * 50 < xml.len(),
            "{} bytes compressed",
            compressed.len()
        );
        assert_eq!(parse(&compressed).pages, ["https://x.org/first"]);
    }

    #[test]
    fn malformed_input_keeps_earlier_entries() {
        let xml = b"<urlset><url><loc>https://x.org/a</loc></url><url><loc>https://x.org/b";
        assert_eq!(parse(xml).pages, ["https://x.org/a"]);
        assert_eq!(parse(b"\x1f\x8bnot gzip").pages, Vec::<String>::new());
    }
}
