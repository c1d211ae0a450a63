//! The polite, incremental site crawler and the types it reports through.

mod engine;
mod normalize;
mod pace;
mod page;
mod robots;
mod scope;
mod sitemap;

use std::future::Future;
use std::time::Duration;

use url::Url;

use crate::Validators;

pub use engine::crawl;

/// What to crawl and how hard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlConfig {
    /// The first page. Its host and that host's `www.` twin (either direction) are the site.
    pub start: Url,
    /// Link hops followed from `start` (0..=10; larger values are treated as 10). Pages
    /// listed in sitemaps count as depth 1.
    pub max_depth: u32,
    /// The crawl ends after this many pages were indexed or found unchanged.
    pub max_pages: usize,
    /// Path prefixes to crawl; empty means all. The start page is always fetched so its
    /// links can be followed, but it is reported `OutsideScope` if it does not match.
    pub include: Vec<String>,
    /// Path prefixes never crawled (reported `OutsideScope`).
    pub exclude: Vec<String>,
    /// The longest robots.txt `Crawl-delay` honoured (default 5 s).
    pub crawl_delay_cap: Duration,
    /// Requests in flight at once for the site (default 2; 1..=16).
    pub concurrency: usize,
}

impl CrawlConfig {
    /// Defaults for `start`: depth 3, 500 pages, everything included, 5 s delay cap,
    /// 2 requests at a time.
    pub fn new(start: Url) -> Self {
        Self {
            start,
            max_depth: 3,
            max_pages: 500,
            include: Vec::new(),
            exclude: Vec::new(),
            crawl_delay_cap: Duration::from_secs(5),
            concurrency: 2,
        }
    }
}

/// Where the crawl's results go; implemented by the server over its store.
pub trait CrawlSink: Send {
    /// What the store already has for this URL (for conditional requests and hash comparison).
    fn known(&mut self, url: &Url) -> impl Future<Output = Option<Known>> + Send;
    /// One page's outcome, in crawl order. Return `Flow::Stop` to end the crawl
    /// (e.g. plan limit reached).
    fn outcome(&mut self, page: PageReport) -> impl Future<Output = Flow> + Send;
}

/// A stored page's state from an earlier crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Validators from the response the stored text came from.
    pub validators: Validators,
    /// [`IndexedPage::content_hash`] of the stored text.
    pub content_hash: String,
}

/// Whether the crawl goes on after an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep crawling.
    Continue,
    /// End the crawl now.
    Stop,
}

/// One URL's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageReport {
    /// The normalised URL.
    pub url: Url,
    /// Link hops from the start page (sitemap entries are depth 1).
    pub depth: u32,
    /// What happened.
    pub outcome: Outcome,
    /// Addresses found on the site so far (reported, queued or being
    /// fetched), capped by the page limit: the total a progress bar shows.
    pub found: usize,
}

/// What happened to a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New or changed content.
    Indexed(IndexedPage),
    /// Same content as [`Known::content_hash`], or the server answered 304.
    Unchanged,
    /// Deliberately not indexed.
    Skipped(SkipReason),
    /// Could not be fetched; a short owner-readable reason ("HTTP 404", "timed out", …).
    Failed(String),
}

/// A page's extracted content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPage {
    /// The page title.
    pub title: String,
    /// The page language (`<html lang>`), if declared.
    pub lang: Option<String>,
    /// The main text (see [`crate::HtmlPage::text`]).
    pub text: String,
    /// Hex SHA-256 of `text`.
    pub content_hash: String,
    /// Validators for the next conditional request.
    pub validators: Validators,
}

/// Why a URL was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Disallowed by robots.txt.
    Robots,
    /// Not HTML (by extension, before fetching, or by content type).
    NotHtml,
    /// Another URL has this content: a redirect, a canonical link or identical text.
    Duplicate,
    /// Outside the configured paths, or an account/cart/admin page, or redirected off-site.
    OutsideScope,
    /// Larger than the fetcher's body limit.
    TooLarge,
    /// The page asks not to be indexed.
    Noindex,
    /// No readable text.
    NoText,
}

impl SkipReason {
    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Robots => "robots",
            SkipReason::NotHtml => "not_html",
            SkipReason::Duplicate => "duplicate",
            SkipReason::OutsideScope => "outside_scope",
            SkipReason::TooLarge => "too_large",
            SkipReason::Noindex => "noindex",
            SkipReason::NoText => "no_text",
        }
    }

    /// A short explanation for the site owner.
    pub fn description(self) -> &'static str {
        match self {
            SkipReason::Robots => "blocked by robots.txt",
            SkipReason::NotHtml => "not an HTML page",
            SkipReason::Duplicate => "duplicate of another page",
            SkipReason::OutsideScope => "outside the crawl scope",
            SkipReason::TooLarge => "page too large",
            SkipReason::Noindex => "page asks not to be indexed",
            SkipReason::NoText => "no readable text",
        }
    }
}

/// Totals for a finished crawl.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrawlSummary {
    /// Pages reported [`Outcome::Indexed`].
    pub indexed: usize,
    /// Pages reported [`Outcome::Unchanged`].
    pub unchanged: usize,
    /// URLs reported [`Outcome::Skipped`].
    pub skipped: usize,
    /// URLs reported [`Outcome::Failed`].
    pub failed: usize,
    /// The sink answered [`Flow::Stop`].
    pub stopped_early: bool,
    /// The crawl ended because `max_pages` was reached.
    pub page_limit_reached: bool,
}

#[cfg(test)]
mod tests {
    use super::SkipReason;

    #[test]
    fn skip_reasons_have_stable_names() {
        let all = [
            SkipReason::Robots,
            SkipReason::NotHtml,
            SkipReason::Duplicate,
            SkipReason::OutsideScope,
            SkipReason::TooLarge,
            SkipReason::Noindex,
            SkipReason::NoText,
        ];
        let names: Vec<&str> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "robots",
                "not_html",
                "duplicate",
                "outside_scope",
                "too_large",
                "noindex",
                "no_text"
            ]
        );
        assert!(all.iter().all(|r| !r.description().is_empty()));
    }
}
