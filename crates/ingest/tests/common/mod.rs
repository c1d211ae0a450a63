//! Helpers shared by the integration tests: a local server, a scripted resolver, and a
//! sink that remembers what it was told.

// Not every test crate uses every helper; panics are how tests fail.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Mutex;

use url::Url;
use witzo_ingest::{CrawlSink, Flow, Known, Outcome, PageReport, Resolve};

/// Serves `router` on 127.0.0.1 with an OS-chosen port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Resolves names from a fixed table and records every lookup.
#[derive(Default)]
pub struct MapResolver {
    table: HashMap<String, Vec<IpAddr>>,
    pub calls: Mutex<Vec<String>>,
}

impl MapResolver {
    pub fn new(entries: &[(&str, &[&str])]) -> Self {
        let table = entries
            .iter()
            .map(|(name, ips)| {
                let ips = ips.iter().map(|ip| ip.parse().unwrap()).collect();
                ((*name).to_owned(), ips)
            })
            .collect();
        Self {
            table,
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl Resolve for MapResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        self.calls.lock().unwrap().push(host.to_owned());
        let found = self.table.get(host).map(|ips| {
            ips.iter()
                .map(|ip| SocketAddr::new(*ip, port))
                .collect::<Vec<_>>()
        });
        Box::pin(async move { found.ok_or_else(|| io::Error::other("unknown host")) })
    }
}

/// A sink that stores indexed pages like the server would and records every report.
#[derive(Default)]
pub struct MemorySink {
    pub store: HashMap<String, Known>,
    pub reports: Vec<PageReport>,
    /// Answer `Flow::Stop` once this many reports arrived.
    pub stop_after: Option<usize>,
}

impl CrawlSink for MemorySink {
    async fn known(&mut self, url: &Url) -> Option<Known> {
        self.store.get(url.as_str()).cloned()
    }

    async fn outcome(&mut self, page: PageReport) -> Flow {
        if let Outcome::Indexed(indexed) = &page.outcome {
            self.store.insert(
                page.url.to_string(),
                Known {
                    validators: indexed.validators.clone(),
                    content_hash: indexed.content_hash.clone(),
                },
            );
        }
        self.reports.push(page);
        if self.stop_after == Some(self.reports.len()) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}
