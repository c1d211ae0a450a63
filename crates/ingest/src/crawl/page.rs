//! Fetching one page and turning the response into an [`HtmlPage`].

use tokio::time::Instant;
use url::Url;

use super::scope::Scope;
use crate::html::charset_param;
use crate::{FetchError, Fetched, Fetcher, HtmlPage, Validators, extract_html};

/// A fetched page, parsed when it is a successful HTML response.
pub(crate) struct Fetch {
    /// The response, or why there is none.
    pub result: Result<Fetched, FetchError>,
    /// The response is 2xx HTML.
    pub html: bool,
    /// The extracted page (`None` if not HTML, or if extraction failed).
    pub page: Option<HtmlPage>,
}

/// Waits for `slot`, fetches `url` without following redirects off the site, and
/// extracts HTML on a blocking thread.
pub(crate) async fn fetch(
    fetcher: &Fetcher,
    scope: &Scope,
    url: Url,
    validators: Option<Validators>,
    slot: Instant,
) -> Fetch {
    tokio::time::sleep_until(slot).await;
    let follow = |u: &Url| scope.on_site(u);
    let mut fetched = match fetcher
        .get_following(&url, validators.as_ref(), &follow)
        .await
    {
        Ok(f) if (200..300).contains(&f.status) && is_html(&f) => f,
        other => {
            return Fetch {
                result: other,
                html: false,
                page: None,
            };
        }
    };
    let body = std::mem::take(&mut fetched.body);
    let page_url = fetched.final_url.clone();
    let charset = fetched
        .content_type
        .as_deref()
        .and_then(charset_param)
        .map(str::to_owned);
    let parsed =
        tokio::task::spawn_blocking(move || extract_html(&body, &page_url, charset.as_deref()))
            .await;
    let page = match parsed {
        Ok(page) => Some(page),
        Err(e) => {
            tracing::warn!(url = %fetched.final_url, error = %e, "HTML extraction failed");
            None
        }
    };
    Fetch {
        result: Ok(fetched),
        html: true,
        page,
    }
}

/// True for an HTML content type, or for untyped content that looks like HTML.
fn is_html(fetched: &Fetched) -> bool {
    match &fetched.content_type {
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case("text/html")
                || essence.eq_ignore_ascii_case("application/xhtml+xml")
        }
        None => {
            let head = &fetched.body[..fetched.body.len().min(1024)];
            let head = String::from_utf8_lossy(head).to_ascii_lowercase();
            let head = head.trim_start_matches('\u{feff}').trim_start();
            head.starts_with("<!doctype html")
                || head.starts_with("<html")
                || head.contains("<body")
        }
    }
}
