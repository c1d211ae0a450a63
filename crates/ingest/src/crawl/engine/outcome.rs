//! Turning a fetched page into its report(s): redirects, canonicals, duplicates,
//! content hashes; and queueing the links it holds.

use sha2::{Digest, Sha256};
use url::Url;

use super::{Crawler, Item, RobotsState};
use crate::crawl::normalize::{key, normalize};
use crate::crawl::page::Fetch;
use crate::crawl::{CrawlSink, IndexedPage, Known, Outcome, PageReport, SkipReason};
use crate::{FetchError, Fetched, HtmlPage};

impl Crawler<'_> {
    /// Turns a fetch into reports, queueing the links it found.
    pub(super) async fn finish<S: CrawlSink>(
        &mut self,
        item: Item,
        mut known: Option<Known>,
        fetch: Fetch,
        sink: &mut S,
    ) -> Vec<PageReport> {
        let mut reports = Vec::new();
        let report = |url: &Url, depth, outcome| PageReport {
            url: url.clone(),
            depth,
            outcome,
            found: 0,
        };
        let Fetch { result, html, page } = fetch;
        let fetched = match result {
            Ok(f) => f,
            Err(FetchError::TooLarge) => {
                return vec![report(
                    &item.url,
                    item.depth,
                    Outcome::Skipped(SkipReason::TooLarge),
                )];
            }
            Err(e) => return vec![report(&item.url, item.depth, Outcome::Failed(e.reason()))],
        };
        let depth = item.depth;
        let final_url = normalize(&fetched.final_url);
        if !self.scope.on_site(&final_url) {
            return vec![report(
                &item.url,
                depth,
                Outcome::Skipped(SkipReason::OutsideScope),
            )];
        }
        if key(&final_url) != key(&item.url) {
            // Redirected within the site: the requested URL is an alias.
            reports.push(report(
                &item.url,
                depth,
                Outcome::Skipped(SkipReason::Duplicate),
            ));
            if !self.seen.insert(key(&final_url)) {
                return reports;
            }
            let skip = self
                .scope
                .verdict(&final_url)
                .or_else(|| (!self.scope.included(&final_url)).then_some(SkipReason::OutsideScope));
            let robots_ok = match self.robots_for(&final_url).await {
                RobotsState::Rules(robots) => robots.allowed(&final_url),
                RobotsState::Unreachable(_) => false,
            };
            if let Some(reason) = skip.or((!robots_ok).then_some(SkipReason::Robots)) {
                reports.push(report(&final_url, depth, Outcome::Skipped(reason)));
                return reports;
            }
            known = sink.known(&final_url).await;
        }
        let outcome = self.outcome(&final_url, depth, known, fetched, html.then_some(page));
        reports.push(report(&final_url, depth, outcome));
        reports
    }

    /// The outcome of a fetched, on-site, in-scope page.
    fn outcome(
        &mut self,
        url: &Url,
        depth: u32,
        known: Option<Known>,
        fetched: Fetched,
        page: Option<Option<HtmlPage>>,
    ) -> Outcome {
        if fetched.not_modified {
            return Outcome::Unchanged;
        }
        if !(200..300).contains(&fetched.status) {
            return Outcome::Failed(format!("HTTP {}", fetched.status));
        }
        // `None`: not HTML; `Some(None)`: HTML that could not be extracted.
        let Some(page) = page else {
            return Outcome::Skipped(SkipReason::NotHtml);
        };
        let Some(page) = page else {
            return Outcome::Failed("could not read page".to_owned());
        };
        if let Some(canonical) = page.canonical.as_ref().map(normalize)
            && self.scope.on_site(&canonical)
            && key(&canonical) != key(url)
        {
            // The canonical page is crawled at this depth, whatever the limit.
            if self.seen.insert(key(&canonical)) {
                self.queue.push_back(Item {
                    url: canonical,
                    depth,
                });
            }
            self.follow(&page.links, depth, page.nofollow);
            return Outcome::Skipped(SkipReason::Duplicate);
        }
        self.follow(&page.links, depth, page.nofollow);
        if depth == 0 && !self.scope.included(url) {
            return Outcome::Skipped(SkipReason::OutsideScope);
        }
        if page.noindex {
            return Outcome::Skipped(SkipReason::Noindex);
        }
        if page.text.is_empty() {
            return Outcome::Skipped(SkipReason::NoText);
        }
        let hash = hex::encode(Sha256::digest(page.text.as_bytes()));
        if !self.hashes.insert(hash.clone()) {
            return Outcome::Skipped(SkipReason::Duplicate);
        }
        if known.is_some_and(|k| k.content_hash == hash) {
            return Outcome::Unchanged;
        }
        Outcome::Indexed(IndexedPage {
            title: page.title,
            lang: page.lang,
            text: page.text,
            content_hash: hash,
            validators: fetched.validators(),
        })
    }

    fn follow(&mut self, links: &[Url], depth: u32, nofollow: bool) {
        if nofollow {
            return;
        }
        for link in links {
            self.enqueue(link, depth + 1);
        }
    }
}
