//! Name resolution, injectable so tests can choose what a name resolves to.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;

/// Resolves a host name to socket addresses. The fetcher calls it once per request hop
/// and then connects only to the addresses it returned (after checking them).
pub trait Resolve: Send + Sync {
    /// All addresses for `host` (a domain name, never an IP literal) with `port` applied.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>>;
}

/// The operating system's resolver (`tokio::net::lookup_host`).
///
/// `localhost` and `*.localhost` (with or without a trailing dot) answer the loopback
/// addresses without a lookup, as RFC 6761 requires, so they are refused consistently.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        Box::pin(async move {
            let bare = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
            if bare == "localhost" || bare.ends_with(".localhost") {
                return Ok(vec![
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                    SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
                ]);
            }
            Ok(tokio::net::lookup_host((host, port)).await?.collect())
        })
    }
}
