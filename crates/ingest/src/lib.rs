//! Website ingestion for Witzo: an SSRF-safe fetcher ([`Fetcher`]), HTML-to-text
//! extraction ([`extract_html`]) and a polite, incremental crawler ([`crawl`]).

#![warn(missing_docs)]

mod crawl;
mod fetch;
mod html;

pub use crawl::{
    CrawlConfig, CrawlSink, CrawlSummary, Flow, IndexedPage, Known, Outcome, PageReport,
    SkipReason, crawl,
};
pub use fetch::{
    AddressClass, FetchError, FetchPolicy, Fetched, Fetcher, Posted, Resolve, SystemResolver,
    Validators, classify, user_agent,
};
pub use html::{HtmlPage, extract_html};
