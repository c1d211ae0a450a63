//! The SSRF-safe HTTP fetcher.
//!
//! Every hop of a request is checked before anything is sent: the scheme, credentials,
//! port, and every address the host resolves to. The connection then goes only to the
//! checked addresses (the HTTP client's resolver is overridden with exactly that set),
//! so a second, different DNS answer cannot redirect it. Redirects are followed by hand
//! and re-checked; the body and total time are capped. A POST ([`Fetcher::post`], for
//! outgoing webhooks) goes through the same checks and never follows a redirect.

mod body;
mod classify;
mod clients;
mod error;
mod post;
mod resolve;
mod target;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use url::Url;

pub use classify::{AddressClass, classify};
pub use error::FetchError;
pub use post::Posted;
pub use resolve::{Resolve, SystemResolver};

/// What the fetcher may do.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Ports that may be connected to (default 80 and 443).
    pub allowed_ports: Vec<u16>,
    /// Exact `ip:port` pairs allowed even though they are not public (tests, and the
    /// development-only `crawler.allow` setting). Their port need not be in `allowed_ports`.
    pub allow: Vec<SocketAddr>,
    /// Largest body read, in bytes (default 5 MiB).
    pub max_body_bytes: usize,
    /// Total time per request, redirects and body included (default 20 s).
    pub timeout: Duration,
    /// Redirects followed before giving up (default 5).
    pub max_redirects: usize,
    /// The `User-Agent` header; see [`user_agent`].
    pub user_agent: String,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allowed_ports: vec![80, 443],
            allow: Vec::new(),
            max_body_bytes: 5 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            max_redirects: 5,
            user_agent: format!("WitzoBot/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The crawler's `User-Agent`: `WitzoBot/<version> (+{public_url}/bot)`.
pub fn user_agent(public_url: &str) -> String {
    format!(
        "WitzoBot/{} (+{}/bot)",
        env!("CARGO_PKG_VERSION"),
        public_url.trim_end_matches('/')
    )
}

/// Cache validators from an earlier fetch, sent as conditional request headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` response header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` response header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// A completed fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL after redirects.
    pub final_url: Url,
    /// The HTTP status of the final response.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (empty for 304 and for redirects that were not followed).
    pub body: Vec<u8>,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The `Last-Modified` header, if any.
    pub last_modified: Option<String>,
    /// The server answered 304 Not Modified to the validators sent.
    pub not_modified: bool,
}

impl Fetched {
    /// The response's validators (for the next conditional request).
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }
}

/// Fetches URLs under a [`FetchPolicy`]. Cheap to share by reference across tasks.
pub struct Fetcher {
    policy: FetchPolicy,
    resolver: Arc<dyn Resolve>,
    clients: clients::Clients,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher using the system resolver.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    /// A fetcher using `resolver` for host names.
    pub fn with_resolver(
        policy: FetchPolicy,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, FetchError> {
        let clients = clients::Clients::new(&policy)?;
        Ok(Self {
            policy,
            resolver,
            clients,
        })
    }

    /// The policy this fetcher enforces.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// GETs `url`, following redirects, conditionally when `validators` are given.
    pub async fn get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        self.get_following(url, validators, &|_| true).await
    }

    /// Like [`Fetcher::get`], but a redirect to a URL for which `follow` is false is not
    /// followed: the answer then has that URL as `final_url`, the 3xx status and no body.
    pub(crate) async fn get_following(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        follow: &(dyn Fn(&Url) -> bool + Sync),
    ) -> Result<Fetched, FetchError> {
        tokio::time::timeout(self.policy.timeout, self.run(url, validators, follow))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    async fn run(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        follow: &(dyn Fn(&Url) -> bool + Sync),
    ) -> Result<Fetched, FetchError> {
        let mut current = url.clone();
        let mut redirects = 0;
        loop {
            let target = target::check(&current, &self.policy, self.resolver.as_ref()).await?;
            let client = self.clients.get(&self.policy, &target)?;
            let mut request = client.get(current.clone());
            if let Some(v) = validators {
                // Stored validators that are not valid header values are not sent.
                let value = |v: &Option<String>| {
                    v.as_deref()
                        .and_then(|s| header::HeaderValue::from_str(s).ok())
                };
                if let Some(etag) = value(&v.etag) {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(date) = value(&v.last_modified) {
                    request = request.header(header::IF_MODIFIED_SINCE, date);
                }
            }
            let response = request.send().await?;
            let status = response.status();
            if let Some(next) = redirect_target(&current, status, response.headers())? {
                if !follow(&next) {
                    return Ok(answer(next, status, response.headers(), Vec::new()));
                }
                if redirects == self.policy.max_redirects {
                    return Err(FetchError::TooManyRedirects);
                }
                redirects += 1;
                current = next;
                continue;
            }
            let headers = response.headers().clone();
            let body = if status == StatusCode::NOT_MODIFIED {
                Vec::new()
            } else {
                body::read_capped(response, self.policy.max_body_bytes).await?
            };
            return Ok(answer(current, status, &headers, body));
        }
    }
}

/// The next URL when `status` is a followable redirect with a usable `Location`.
fn redirect_target(
    current: &Url,
    status: StatusCode,
    headers: &HeaderMap,
) -> Result<Option<Url>, FetchError> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = headers.get(header::LOCATION) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| FetchError::BadUrl("non-ASCII Location header".to_owned()))?;
    current
        .join(location)
        .map(Some)
        .map_err(|e| FetchError::BadUrl(format!("redirect Location: {e}")))
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn answer(final_url: Url, status: StatusCode, headers: &HeaderMap, body: Vec<u8>) -> Fetched {
    Fetched {
        final_url,
        status: status.as_u16(),
        content_type: header_string(headers, header::CONTENT_TYPE),
        body,
        etag: header_string(headers, header::ETAG),
        last_modified: header_string(headers, header::LAST_MODIFIED),
        not_modified: status == StatusCode::NOT_MODIFIED,
    }
}
