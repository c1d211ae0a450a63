//! Crawls a generated 1,000-page site on 127.0.0.1 and prints pages per second.
//!
//! `cargo run --release -p witzo-ingest --example crawl_bench [concurrency]`

use std::error::Error;
use std::time::Instant;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use url::Url;
use witzo_ingest::{
    CrawlConfig, CrawlSink, FetchPolicy, Fetcher, Flow, Known, Outcome, PageReport, crawl,
};

/// Pages on the generated site: `/` is page 0, `/p/{n}` the rest; page `n` links to
/// pages `10n+1..=10n+10`.
const PAGES: usize = 1000;

fn page(n: usize) -> Response {
    if n >= PAGES {
        return StatusCode::NOT_FOUND.into_response();
    }
    let href = |i: usize| {
        if i == 0 {
            "/".to_owned()
        } else {
            format!("/p/{i}")
        }
    };
    let nav: String = (0..20)
        .map(|i| format!("<a href='{}'>Section {i}</a>", href(i)))
        .collect();
    let children: String = (10 * n + 1..=10 * n + 10)
        .filter(|&c| c < PAGES)
        .map(|c| {
            format!(
                "<li><a href='{}?utm_source=bench#top'>Page {c}</a></li>",
                href(c)
            )
        })
        .collect();
    let paragraphs: String = (0..8)
        .map(|i| {
            format!(
                "<p>Paragraph {i} of page {n}. Our bakery has served the town since 1901, \
                 baking sourdough, rye and seasonal cakes every morning before dawn.</p>"
            )
        })
        .collect();
    let body = format!(
        "<!doctype html><html lang=en><head><title>Page {n}</title>\
         <script>window.analytics = {{}};</script></head><body>\
         <header><nav>{nav}</nav></header><div class=cookie-consent>Cookies?</div>\
         <main><h1>Page {n}</h1>{paragraphs}<ul>{children}</ul></main>\
         <footer><a href='/imprint.pdf'>Imprint</a></footer></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// Counts outcomes; remembers nothing.
#[derive(Default)]
struct CountingSink {
    indexed: usize,
    bytes: usize,
}

impl CrawlSink for CountingSink {
    async fn known(&mut self, _url: &Url) -> Option<Known> {
        None
    }

    async fn outcome(&mut self, page: PageReport) -> Flow {
        if let Outcome::Indexed(p) = &page.outcome {
            self.indexed += 1;
            self.bytes += p.text.len();
        }
        Flow::Continue
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let concurrency = std::env::args().nth(1).map_or(Ok(2), |a| a.parse())?;
    let app = Router::new()
        .route("/", get(|| async { page(0) }))
        .route("/p/{n}", get(|Path(n): Path<usize>| async move { page(n) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let fetcher = Fetcher::new(FetchPolicy {
        allow: vec![addr],
        ..FetchPolicy::default()
    })?;
    let config = CrawlConfig {
        max_depth: 4,
        max_pages: PAGES,
        concurrency,
        ..CrawlConfig::new(Url::parse(&format!("http://{addr}/"))?)
    };
    let mut sink = CountingSink::default();
    let started = Instant::now();
    let summary = crawl(&fetcher, &config, &mut sink).await;
    let elapsed = started.elapsed();
    println!(
        "crawled {} pages ({} skipped, {} failed, {} KiB of text) in {:.2} s with concurrency \
         {concurrency}: {:.0} pages/s",
        summary.indexed,
        summary.skipped,
        summary.failed,
        sink.bytes / 1024,
        elapsed.as_secs_f64(),
        sink.indexed as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
