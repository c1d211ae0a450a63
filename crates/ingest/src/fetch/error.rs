//! Fetch errors and their owner-readable reasons.

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL (or a redirect's `Location`) could not be used.
    #[error("bad URL: {0}")]
    BadUrl(String),
    /// The URL carries a user name or password.
    #[error("credentials in URLs are not allowed")]
    Userinfo,
    /// Only `http` and `https` are fetched.
    #[error("unsupported URL scheme")]
    Scheme,
    /// The port is not in the policy's allowed ports.
    #[error("port {0} is not allowed")]
    Port(u16),
    /// The host resolved to (or is) an address that is not public.
    #[error("refused address for {host} ({reason})")]
    RefusedAddress {
        /// The host as written in the URL.
        host: String,
        /// The range the address belongs to (see [`crate::AddressClass`]).
        reason: &'static str,
    },
    /// The host name could not be resolved.
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    /// The whole request, redirects and body included, took longer than the policy allows.
    #[error("timed out")]
    Timeout,
    /// The body is larger than the policy allows.
    #[error("response too large")]
    TooLarge,
    /// More redirects than the policy allows.
    #[error("too many redirects")]
    TooManyRedirects,
    /// The fetcher could not be set up (e.g. an invalid user agent).
    #[error("fetcher misconfigured: {0}")]
    Config(String),
    /// Connection, TLS or protocol failure.
    #[error("network error: {0}")]
    Network(String),
}

impl FetchError {
    /// A short reason for the site owner, without internal detail.
    pub fn reason(&self) -> String {
        match self {
            FetchError::BadUrl(_) => "invalid URL".to_owned(),
            FetchError::Userinfo => "credentials in URL".to_owned(),
            FetchError::Scheme => "unsupported scheme".to_owned(),
            FetchError::Port(port) => format!("port {port} not allowed"),
            FetchError::RefusedAddress { reason, .. } => format!("refused address ({reason})"),
            FetchError::Dns(_) => "DNS lookup failed".to_owned(),
            FetchError::Timeout => "timed out".to_owned(),
            FetchError::TooLarge => "too large".to_owned(),
            FetchError::TooManyRedirects => "too many redirects".to_owned(),
            FetchError::Config(_) => "fetcher misconfigured".to_owned(),
            FetchError::Network(_) => "network error".to_owned(),
        }
    }
}

impl From<reqwest::Error> for FetchError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            FetchError::Timeout
        } else if err.is_connect() {
            FetchError::Network("connection failed".to_owned())
        } else {
            // Drop the URL from the message; the caller knows it.
            FetchError::Network(err.without_url().to_string())
        }
    }
}
