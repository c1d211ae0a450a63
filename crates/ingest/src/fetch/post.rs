//! POSTing to a URL under the same checks as a GET (outgoing webhooks).
//!
//! The target is checked and the connection pinned exactly as for a GET
//! ([`super::target::check`], [`super::clients`]); a redirect is never
//! followed (the answer comes back with its 3xx status for the caller to
//! refuse), and only the first bytes of the answer are kept.

use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use super::{FetchError, Fetcher, target};

/// What a POST got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The HTTP status (a 3xx was not followed).
    pub status: u16,
    /// At most the first `keep` bytes of the body.
    pub body: Vec<u8>,
}

impl Posted {
    /// Whether the status is a redirect (which was not followed).
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }
}

impl Fetcher {
    /// POSTs `body` to `url` with `headers`, within the policy's timeout,
    /// keeping at most `keep` bytes of the answer. Never follows redirects.
    pub async fn post(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: Vec<u8>,
        keep: usize,
    ) -> Result<Posted, FetchError> {
        tokio::time::timeout(
            self.policy.timeout,
            self.send_post(url, headers, body, keep),
        )
        .await
        .unwrap_or(Err(FetchError::Timeout))
    }

    async fn send_post(
        &self,
        url: &Url,
        mut headers: HeaderMap,
        body: Vec<u8>,
        keep: usize,
    ) -> Result<Posted, FetchError> {
        let target = target::check(url, &self.policy, self.resolver.as_ref()).await?;
        let client = self.clients.get(&self.policy, &target)?;
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        let mut response = client
            .post(url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let mut kept = Vec::new();
        while kept.len() < keep {
            match response.chunk().await? {
                Some(chunk) => {
                    let room = keep - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                None => break,
            }
        }
        Ok(Posted { status, body: kept })
    }
}
