//! The crawl loop: breadth-first over the site, a few requests at a time, reporting
//! every URL's outcome in order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use url::Url;

mod outcome;

use super::normalize::{key, normalize};
use super::pace::Pacer;
use super::page::{self, Fetch};
use super::robots::Robots;
use super::scope::Scope;
use super::{
    CrawlConfig, CrawlSink, CrawlSummary, Flow, Known, Outcome, PageReport, SkipReason, sitemap,
};
use crate::{FetchError, Fetcher, Validators};

/// Deepest `max_depth` honoured.
const MAX_DEPTH: u32 = 10;
/// Most requests in flight at once.
const MAX_CONCURRENCY: usize = 16;

/// Crawls the site at `config.start`, reporting each URL's outcome to `sink` in crawl
/// order, and returns the totals.
///
/// The start host's robots.txt is honoured for `WitzoBot` (an unreachable one fails the
/// crawl's URLs on that origin); sitemaps named there and `/sitemap.xml` seed the queue
/// at depth 1. Off-site links are ignored silently; everything else on the site is
/// reported once. Conditional requests are sent only for pages at `max_depth`, since a
/// 304 carries no links to follow; other pages are compared by content hash.
pub async fn crawl<S: CrawlSink>(
    fetcher: &Fetcher,
    config: &CrawlConfig,
    sink: &mut S,
) -> CrawlSummary {
    let start = normalize(&config.start);
    let scope = Scope::new(&start, &config.include, &config.exclude);
    let mut crawler = Crawler {
        fetcher,
        scope: &scope,
        config,
        max_depth: config.max_depth.min(MAX_DEPTH),
        seen: HashSet::new(),
        seen_cap: config.max_pages.saturating_mul(20).max(10_000),
        hashes: HashSet::new(),
        queue: VecDeque::new(),
        robots: HashMap::new(),
        pacer: Pacer::default(),
        summary: CrawlSummary::default(),
    };
    crawler.run(start, sink).await;
    crawler.summary
}

/// A URL waiting to be crawled.
struct Item {
    url: Url,
    depth: u32,
}

/// A finished unit of work, in dispatch order.
enum Done {
    /// Decided without fetching.
    Ready(PageReport),
    /// Fetched; `known` is what the sink had for the URL.
    Fetched(Item, Option<Known>, Box<Fetch>),
}

/// A queued URL after the checks that need no request.
enum Prepared {
    /// Decided without fetching.
    Decided(PageReport),
    /// To be fetched, with what the sink knows and the validators to send.
    Fetch(Item, Option<Known>, Option<Validators>),
}

/// robots.txt of one origin.
enum RobotsState {
    Rules(Robots),
    /// Could not be read; every URL on the origin fails with this reason.
    Unreachable(String),
}

struct Crawler<'a> {
    fetcher: &'a Fetcher,
    scope: &'a Scope,
    config: &'a CrawlConfig,
    max_depth: u32,
    /// Keys of every URL queued so far.
    seen: HashSet<String>,
    seen_cap: usize,
    /// Content hashes of pages indexed or unchanged in this crawl.
    hashes: HashSet<String>,
    queue: VecDeque<Item>,
    robots: HashMap<String, RobotsState>,
    pacer: Pacer,
    summary: CrawlSummary,
}

impl<'a> Crawler<'a> {
    async fn run<S: CrawlSink>(&mut self, start: Url, sink: &mut S) {
        if self.config.max_pages == 0 {
            self.summary.page_limit_reached = true;
            return;
        }
        self.seen.insert(key(&start));
        self.queue.push_back(Item {
            url: start.clone(),
            depth: 0,
        });
        if self.max_depth >= 1 {
            for url in self.sitemap_pages(&start).await {
                self.enqueue(&url, 1);
            }
        }
        let concurrency = self.config.concurrency.clamp(1, MAX_CONCURRENCY);
        let mut inflight: FuturesOrdered<BoxFuture<'a, Done>> = FuturesOrdered::new();
        let mut fetching = 0;
        loop {
            // Decided URLs take no request; only fetches count against the limits.
            while fetching < concurrency.min(self.remaining()) {
                let Some(item) = self.queue.pop_front() else {
                    break;
                };
                inflight.push_back(match self.prepare(item, sink).await {
                    Prepared::Decided(report) => async move { Done::Ready(report) }.boxed(),
                    Prepared::Fetch(item, known, validators) => {
                        fetching += 1;
                        let (fetcher, scope) = (self.fetcher, self.scope);
                        let slot = self.pacer.slot(&item.url, self.delay(&item.url));
                        async move {
                            let url = item.url.clone();
                            let fetch = page::fetch(fetcher, scope, url, validators, slot).await;
                            Done::Fetched(item, known, Box::new(fetch))
                        }
                        .boxed()
                    }
                });
            }
            let Some(done) = inflight.next().await else {
                return;
            };
            let reports = match done {
                Done::Ready(report) => vec![report],
                Done::Fetched(item, known, fetch) => {
                    fetching -= 1;
                    self.finish(item, known, *fetch, sink).await
                }
            };
            let found = self.seen.len().min(self.config.max_pages);
            for mut report in reports {
                report.found = found;
                match &report.outcome {
                    Outcome::Indexed(_) => self.summary.indexed += 1,
                    Outcome::Unchanged => self.summary.unchanged += 1,
                    Outcome::Skipped(_) => self.summary.skipped += 1,
                    Outcome::Failed(_) => self.summary.failed += 1,
                }
                if sink.outcome(report).await == Flow::Stop {
                    self.summary.stopped_early = true;
                    return;
                }
                if self.remaining() == 0 {
                    self.summary.page_limit_reached = true;
                    return;
                }
            }
        }
    }

    /// Pages that may still be indexed or found unchanged.
    fn remaining(&self) -> usize {
        let done = self.summary.indexed + self.summary.unchanged;
        self.config.max_pages.saturating_sub(done)
    }

    /// Page URLs from the start origin's sitemaps (robots.txt `Sitemap:` lines and
    /// `/sitemap.xml`), if its robots.txt could be read.
    async fn sitemap_pages(&mut self, start: &Url) -> Vec<Url> {
        let scope = self.scope;
        let RobotsState::Rules(robots) = self.robots_for(start).await else {
            // The site is unreachable; the start page will report why.
            return Vec::new();
        };
        let mut roots: Vec<Url> = robots
            .sitemaps
            .iter()
            .filter_map(|s| start.join(s).ok())
            .filter(|u| scope.on_site(u))
            .collect();
        if let Ok(default) = start.join("/sitemap.xml")
            && !roots.contains(&default)
        {
            roots.push(default);
        }
        let delay = self.delay(start);
        sitemap::discover(self.fetcher, self.scope, roots, &mut self.pacer, delay).await
    }

    /// Queues an on-site URL not seen before, within the depth limit.
    fn enqueue(&mut self, url: &Url, depth: u32) {
        let url = normalize(url);
        if depth > self.max_depth || !self.scope.on_site(&url) || self.seen.len() >= self.seen_cap {
            return;
        }
        if self.seen.insert(key(&url)) {
            self.queue.push_back(Item { url, depth });
        }
    }

    /// Decides `item` without fetching if its path or robots.txt settle it.
    async fn prepare<S: CrawlSink>(&mut self, item: Item, sink: &mut S) -> Prepared {
        let skip = |item: Item, outcome| {
            Prepared::Decided(PageReport {
                url: item.url,
                depth: item.depth,
                outcome,
                found: 0,
            })
        };
        if let Some(reason) = self.scope.verdict(&item.url) {
            return skip(item, Outcome::Skipped(reason));
        }
        // The start page is fetched even outside the configured paths, for its links.
        if item.depth > 0 && !self.scope.included(&item.url) {
            return skip(item, Outcome::Skipped(SkipReason::OutsideScope));
        }
        match self.robots_for(&item.url).await {
            RobotsState::Unreachable(reason) => {
                let reason = reason.clone();
                return skip(item, Outcome::Failed(reason));
            }
            RobotsState::Rules(robots) if !robots.allowed(&item.url) => {
                return skip(item, Outcome::Skipped(SkipReason::Robots));
            }
            RobotsState::Rules(_) => {}
        }
        let known = sink.known(&item.url).await;
        let validators = known
            .as_ref()
            .filter(|_| item.depth >= self.max_depth)
            .map(|k| k.validators.clone());
        Prepared::Fetch(item, known, validators)
    }

    /// The robots.txt state of `url`'s origin, fetched on first use.
    async fn robots_for(&mut self, url: &Url) -> &RobotsState {
        let origin = url.origin().ascii_serialization();
        let state = match self.robots.remove(&origin) {
            Some(state) => state,
            None => self.fetch_robots(url).await,
        };
        self.robots.entry(origin).or_insert(state)
    }

    async fn fetch_robots(&mut self, url: &Url) -> RobotsState {
        let Ok(robots_url) = url.join("/robots.txt") else {
            return RobotsState::Unreachable(FetchError::BadUrl(String::new()).reason());
        };
        tokio::time::sleep_until(self.pacer.slot(url, Duration::ZERO)).await;
        match self.fetcher.get(&robots_url, None).await {
            Ok(f) if (200..300).contains(&f.status) => RobotsState::Rules(Robots::parse(&f.body)),
            Ok(f) if f.status >= 500 => {
                RobotsState::Unreachable(format!("robots.txt unavailable (HTTP {})", f.status))
            }
            Ok(_) | Err(FetchError::TooLarge) => RobotsState::Rules(Robots::allow_all()),
            Err(e) => RobotsState::Unreachable(e.reason()),
        }
    }

    /// The origin's crawl delay, capped by the configuration.
    fn delay(&self, url: &Url) -> Duration {
        match self.robots.get(&url.origin().ascii_serialization()) {
            Some(RobotsState::Rules(robots)) => robots
                .crawl_delay
                .unwrap_or_default()
                .min(self.config.crawl_delay_cap),
            _ => Duration::ZERO,
        }
    }
}
