//! HTTP clients pinned to checked addresses, cached so connections are reused.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::redirect;

use super::target::Target;
use super::{FetchError, FetchPolicy};

/// Clients kept at most; the cache is emptied when it fills up.
const MAX_CLIENTS: usize = 64;

/// One client per checked target. A client resolves its host only to the target's
/// addresses and is used only for URLs on that host, so it never connects elsewhere.
pub(crate) struct Clients {
    headers: HeaderMap,
    cache: Mutex<HashMap<Target, reqwest::Client>>,
}

impl Clients {
    /// Validates the policy's settings by building one client.
    pub(crate) fn new(policy: &FetchPolicy) -> Result<Self, FetchError> {
        let mut headers = HeaderMap::new();
        let agent = HeaderValue::from_str(&policy.user_agent)
            .map_err(|_| FetchError::Config("invalid user agent".to_owned()))?;
        headers.insert(header::USER_AGENT, agent);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        let clients = Self {
            headers,
            cache: Mutex::new(HashMap::new()),
        };
        clients.build(policy, None)?;
        Ok(clients)
    }

    /// The client for `target`, built on first use.
    pub(crate) fn get(
        &self,
        policy: &FetchPolicy,
        target: &Target,
    ) -> Result<reqwest::Client, FetchError> {
        if let Some(client) = self.lock().get(target) {
            return Ok(client.clone());
        }
        let client = self.build(policy, Some(target))?;
        let mut cache = self.lock();
        if cache.len() >= MAX_CLIENTS {
            cache.clear();
        }
        cache.insert(target.clone(), client.clone());
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Target, reqwest::Client>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn build(
        &self,
        policy: &FetchPolicy,
        target: Option<&Target>,
    ) -> Result<reqwest::Client, FetchError> {
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(redirect::Policy::none())
            .default_headers(self.headers.clone())
            .connect_timeout(policy.timeout)
            .pool_max_idle_per_host(4);
        if let Some(target) = target {
            builder = builder.resolve_to_addrs(&target.host, &target.addrs);
        }
        builder
            .build()
            .map_err(|e| FetchError::Config(e.without_url().to_string()))
    }
}
