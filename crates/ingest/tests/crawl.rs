//! The crawler against a local test site.

// Panics are how these tests fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod crawl_site;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::MemorySink;
use crawl_site::setup;
use url::Url;
use witzo_ingest::{CrawlConfig, Outcome, PageReport, SkipReason, crawl};

fn config(origin: &str) -> CrawlConfig {
    CrawlConfig {
        max_depth: 2,
        max_pages: 100,
        crawl_delay_cap: Duration::from_millis(50),
        ..CrawlConfig::new(Url::parse(&format!("{origin}/")).unwrap())
    }
}

/// Report outcomes by URL path (`www:` marks the www twin), checking each URL is reported once.
fn by_path(reports: &[PageReport]) -> BTreeMap<String, Outcome> {
    let mut map = BTreeMap::new();
    for r in reports {
        let host = r.url.host_str().unwrap();
        let key = if host.starts_with("www.") {
            format!("www:{}", r.url.path())
        } else {
            r.url.path().to_owned()
        };
        assert!(
            map.insert(key, r.outcome.clone()).is_none(),
            "{} reported twice",
            r.url
        );
    }
    map
}

fn skipped(reason: SkipReason) -> Outcome {
    Outcome::Skipped(reason)
}

const INDEXED: [&str; 10] = [
    "/",
    "/about",
    "/from-sitemap",
    "/services/",
    "/services/detail",
    "/services/team",
    "/moved",
    "/canonical-target",
    "/private/open",
    "/legal",
];

/// Every URL that is not indexed, with its exact outcome.
fn expected_others() -> Vec<(&'static str, Outcome)> {
    vec![
        ("/old", skipped(SkipReason::Duplicate)),
        ("/old2", skipped(SkipReason::Duplicate)),
        ("/alias", skipped(SkipReason::Duplicate)),
        ("/alias2", skipped(SkipReason::Duplicate)),
        ("/copy", skipped(SkipReason::Duplicate)),
        ("/go-private", skipped(SkipReason::OutsideScope)),
        ("/login", skipped(SkipReason::OutsideScope)),
        ("/huge", skipped(SkipReason::TooLarge)),
        ("/brochure.pdf", skipped(SkipReason::NotHtml)),
        ("/image-page", skipped(SkipReason::NotHtml)),
        ("/hidden-page", skipped(SkipReason::Noindex)),
        ("/empty", skipped(SkipReason::NoText)),
        ("/private/secret", skipped(SkipReason::Robots)),
        ("/missing", Outcome::Failed("HTTP 404".into())),
        ("/server-error", Outcome::Failed("HTTP 500".into())),
        (
            "www:/secret",
            Outcome::Failed("refused address (private)".into()),
        ),
    ]
}

#[tokio::test]
async fn crawls_the_site_and_recrawls_incrementally() {
    let (site, origin, fetcher, resolver) = setup().await;
    let mut sink = MemorySink::default();
    let summary = crawl(&fetcher, &config(&origin), &mut sink).await;
    let outcomes = by_path(&sink.reports);

    let indexed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Indexed(_)))
        .map(|(p, _)| p.as_str())
        .collect();
    let mut expected_indexed = INDEXED.to_vec();
    expected_indexed.sort();
    assert_eq!(indexed, expected_indexed);
    for (path, outcome) in expected_others() {
        assert_eq!(outcomes.get(path), Some(&outcome), "{path}");
    }
    assert_eq!(outcomes.len(), INDEXED.len() + expected_others().len());
    assert_eq!(
        (
            summary.indexed,
            summary.unchanged,
            summary.skipped,
            summary.failed
        ),
        (10, 0, 13, 3)
    );
    assert!(!summary.stopped_early && !summary.page_limit_reached);
    // What a progress bar shows as the total: addresses found so far, never
    // fewer than reported, all of them by the end.
    let found: Vec<usize> = sink.reports.iter().map(|r| r.found).collect();
    assert!(found.windows(2).all(|w| w[0] <= w[1]), "{found:?}");
    for (n, f) in found.iter().enumerate() {
        assert!(*f > n, "report {n} says {f} found: {found:?}");
    }
    assert_eq!(found.last(), Some(&outcomes.len()));

    // Depths, in crawl order: the start, sitemap pages at 1, then breadth-first.
    assert_eq!(sink.reports[0].url.as_str(), format!("{origin}/"));
    assert_eq!(sink.reports[0].depth, 0);
    let depth = |p: &str| {
        sink.reports
            .iter()
            .find(|r| r.url.path() == p)
            .unwrap()
            .depth
    };
    assert_eq!(
        (
            depth("/from-sitemap"),
            depth("/about"),
            depth("/services/detail")
        ),
        (1, 1, 2)
    );

    // The home page's text, boilerplate removed.
    let Some(Outcome::Indexed(home)) = outcomes.get("/") else {
        panic!("home not indexed")
    };
    assert_eq!(home.title, "Home | Bakery");
    assert_eq!(home.lang.as_deref(), Some("en"));
    assert_eq!(
        home.text,
        "# Welcome to the bakery\n\nWe bake bread every morning.\n\n- Sourdough\n- Rye"
    );
    assert_eq!(home.content_hash.len(), 64);

    // Never requested: robots-disallowed, binary, account pages, too deep, nofollow, off-site.
    let paths = site.paths();
    for path in [
        "/private/secret",
        "/brochure.pdf",
        "/login",
        "/services/deeper",
        "/nofollow-target",
    ] {
        assert!(!paths.iter().any(|p| p == path), "{path} was requested");
    }
    assert!(
        resolver
            .calls()
            .iter()
            .all(|n| n == "site.test" || n == "www.site.test")
    );
    assert_eq!(paths.iter().filter(|p| *p == "/robots.txt").count(), 1);

    // Crawl-delay 1 s in robots.txt, capped to 50 ms: requests are spaced out, except
    // redirect hops (part of one fetch) and the robots.txt request itself.
    // Measured where the site receives them, one request's arrival can be
    // late under load and the next on time: each gap may shrink by that
    // jitter, their sum cannot.
    let hits = site.hits();
    let gaps: Vec<Duration> = hits
        .windows(2)
        .filter(|pair| !(300..400).contains(&pair[0].status) && pair[0].path != "/robots.txt")
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect();
    let spaced = gaps.iter().sum::<Duration>();
    let floor = Duration::from_millis(45) * u32::try_from(gaps.len()).unwrap();
    assert!(
        spaced >= floor,
        "{spaced:?} for {} gaps: {gaps:?}",
        gaps.len()
    );
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(10)),
        "{gaps:?}"
    );

    // Change one page and crawl again, remembering what was stored.
    site.detail_version.store(2, Ordering::SeqCst);
    let before = site.hits().len();
    let mut again = MemorySink {
        store: sink.store.clone(),
        ..MemorySink::default()
    };
    let summary = crawl(&fetcher, &config(&origin), &mut again).await;
    let outcomes = by_path(&again.reports);
    for path in INDEXED {
        let outcome = &outcomes[path];
        if path == "/services/detail" {
            let Outcome::Indexed(page) = outcome else {
                panic!("{path}: {outcome:?}")
            };
            assert!(page.text.contains("Menu version 2."));
            assert_eq!(page.validators.etag.as_deref(), Some("\"detail-2\""));
        } else {
            assert_eq!(outcome, &Outcome::Unchanged, "{path}");
        }
    }
    for (path, outcome) in expected_others() {
        assert_eq!(outcomes.get(path), Some(&outcome), "{path}");
    }
    assert_eq!((summary.indexed, summary.unchanged), (1, 9));

    // Pages at the depth limit were fetched conditionally; the unchanged one got a 304.
    let recrawl = &site.hits()[before..];
    let hit = |p: &str| recrawl.iter().find(|h| h.path == p).unwrap().clone();
    let team = hit("/services/team");
    assert_eq!(
        (team.if_none_match.as_deref(), team.status),
        (Some("\"team-1\""), 304)
    );
    let detail = hit("/services/detail");
    assert_eq!(
        (detail.if_none_match.as_deref(), detail.status),
        (Some("\"detail-1\""), 200)
    );
}

#[tokio::test]
async fn stops_when_the_sink_says_so() {
    let (_, origin, fetcher, _) = setup().await;
    let mut sink = MemorySink {
        stop_after: Some(3),
        ..MemorySink::default()
    };
    let summary = crawl(&fetcher, &config(&origin), &mut sink).await;
    assert_eq!(sink.reports.len(), 3);
    assert!(summary.stopped_early);
    assert_eq!(
        summary.indexed + summary.unchanged + summary.skipped + summary.failed,
        3
    );
}

#[tokio::test]
async fn stops_at_max_pages() {
    let (site, origin, fetcher, _) = setup().await;
    let mut sink = MemorySink::default();
    let config = CrawlConfig {
        max_pages: 3,
        concurrency: 4,
        ..config(&origin)
    };
    let summary = crawl(&fetcher, &config, &mut sink).await;
    assert_eq!(summary.indexed, 3);
    assert!(summary.page_limit_reached && !summary.stopped_early);
    let indexed: Vec<&str> = sink
        .reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Indexed(_)))
        .map(|r| r.url.path())
        .collect();
    assert_eq!(indexed, ["/", "/from-sitemap", "/about"]);
    // The total found is capped by the page limit.
    assert!(
        sink.reports.iter().all(|r| r.found <= 3),
        "{:?}",
        sink.reports.iter().map(|r| r.found).collect::<Vec<_>>()
    );
    // No more pages were fetched than could still be indexed.
    let pages = site
        .paths()
        .into_iter()
        .filter(|p| !p.starts_with("/robots") && !p.starts_with("/sitemap"))
        .count();
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn include_prefixes_still_follow_the_start_page() {
    let (_, origin, fetcher, _) = setup().await;
    let mut sink = MemorySink::default();
    let config = CrawlConfig {
        include: vec!["/services".into()],
        exclude: vec!["/services/team".into()],
        ..config(&origin)
    };
    let summary = crawl(&fetcher, &config, &mut sink).await;
    let outcomes = by_path(&sink.reports);
    assert_eq!(outcomes["/"], skipped(SkipReason::OutsideScope));
    assert_eq!(outcomes["/about"], skipped(SkipReason::OutsideScope));
    assert_eq!(
        outcomes["/services/team"],
        skipped(SkipReason::OutsideScope)
    );
    assert!(matches!(outcomes["/services/"], Outcome::Indexed(_)));
    assert!(matches!(outcomes["/services/detail"], Outcome::Indexed(_)));
    assert_eq!(summary.indexed, 2);
}

#[tokio::test]
async fn unreachable_start_fails_with_a_short_reason() {
    let (_, _, fetcher, _) = setup().await;
    for (start, reason) in [
        ("http://10.0.0.1/", "refused address (private)"),
        ("http://nowhere.test/", "DNS lookup failed"),
        ("ftp://site.test/", "unsupported scheme"),
    ] {
        let mut sink = MemorySink::default();
        let summary = crawl(&fetcher, &config(start.trim_end_matches('/')), &mut sink).await;
        assert_eq!(sink.reports.len(), 1, "{start}");
        assert_eq!(
            sink.reports[0].outcome,
            Outcome::Failed(reason.into()),
            "{start}"
        );
        assert_eq!(summary.failed, 1);
    }
}

#[tokio::test]
async fn robots_txt_server_errors_fail_the_origin() {
    let app = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") });
    let addr = common::serve(app).await;
    let policy = witzo_ingest::FetchPolicy {
        allow: vec![addr],
        ..witzo_ingest::FetchPolicy::default()
    };
    let fetcher = witzo_ingest::Fetcher::new(policy).unwrap();
    let mut sink = MemorySink::default();
    let summary = crawl(&fetcher, &config(&format!("http://{addr}")), &mut sink).await;
    assert_eq!(sink.reports.len(), 1);
    assert_eq!(
        sink.reports[0].outcome,
        Outcome::Failed("robots.txt unavailable (HTTP 503)".into())
    );
    assert_eq!(summary.failed, 1);
}

#[tokio::test]
async fn the_crawl_future_can_be_spawned() {
    let (_, origin, fetcher, _) = setup().await;
    let config = CrawlConfig {
        max_pages: 1,
        ..config(&origin)
    };
    let summary = tokio::spawn(async move {
        let mut sink = MemorySink::default();
        crawl(&fetcher, &config, &mut sink).await
    })
    .await
    .unwrap();
    assert_eq!(summary.indexed, 1);
}
