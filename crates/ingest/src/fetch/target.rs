//! Checking one request hop: scheme, credentials, port, resolution, address classes.

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

use super::{FetchError, FetchPolicy, Resolve, classify};
use crate::fetch::AddressClass;

/// A hop that passed every check: connect only to `addrs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    /// The host as it appears in the URL (for the connector's resolver override).
    pub host: String,
    /// The checked addresses, sorted.
    pub addrs: Vec<SocketAddr>,
}

/// Checks `url` against `policy`, resolving its host at most once.
pub(crate) async fn check(
    url: &Url,
    policy: &FetchPolicy,
    resolver: &dyn Resolve,
) -> Result<Target, FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Userinfo);
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::BadUrl("no port".to_owned()))?;
    let port_allowed = policy.allowed_ports.contains(&port);
    if !port_allowed && !policy.allow.iter().any(|a| a.port() == port) {
        return Err(FetchError::Port(port));
    }
    let host = url
        .host()
        .ok_or_else(|| FetchError::BadUrl("no host".to_owned()))?;
    let mut addrs = match host {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Host::Domain(name) => resolver
            .resolve(name, port)
            .await
            .map_err(|e| FetchError::Dns(e.to_string()))?
            .into_iter()
            // The resolver may not know the port; the URL decides it.
            .map(|a| SocketAddr::new(a.ip(), port))
            .collect(),
    };
    if addrs.is_empty() {
        return Err(FetchError::Dns("no addresses".to_owned()));
    }
    let host_str = url.host_str().unwrap_or_default().to_owned();
    for addr in &addrs {
        if policy.allow.contains(addr) {
            continue;
        }
        if !port_allowed {
            return Err(FetchError::Port(port));
        }
        if let AddressClass::NotPublic(reason) = classify(addr.ip()) {
            return Err(FetchError::RefusedAddress {
                host: host_str,
                reason,
            });
        }
    }
    addrs.sort();
    addrs.dedup();
    Ok(Target {
        host: host_str,
        addrs,
    })
}
