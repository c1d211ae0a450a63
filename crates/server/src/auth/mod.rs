//! Signing owners in: e-mailed one-time codes, OpenID Connect, and starting
//! a session (with rotation) once either has proven who the owner is.

pub mod codes;
pub mod oidc;
mod session;

pub use session::{SignInMethod, end_session_cookie, start_session, user_agent};

use witzo_store::Store;
use witzo_store::identities::PendingOidcLogin;

use crate::error::ErrorCode;
use crate::security::cookie::{OIDC_MAX_AGE_SECS, random_value};
use crate::security::keys::sha256_hex;

/// Begins an OpenID sign-in: the provider URL to send the browser to, and
/// the random value of the cookie that binds the sign-in to this browser.
/// The pending sign-in (nonce, PKCE verifier) is stored under the hash of
/// its `state` for [`OIDC_MAX_AGE_SECS`].
pub async fn begin_oidc(
    store: &Store,
    client: &oidc::OidcClient,
    login_hint: Option<&str>,
) -> Result<(url::Url, String), ErrorCode> {
    let authorization = client.begin(login_hint).await.map_err(|err| {
        tracing::warn!(%err, "OpenID sign-in could not start");
        ErrorCode::OidcUnavailable
    })?;
    let browser = random_value();
    let now = witzo_store::now();
    let pending = PendingOidcLogin {
        browser_hash: sha256_hex(&browser),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        expires_at: now + OIDC_MAX_AGE_SECS,
    };
    store
        .save_oidc_login(&sha256_hex(&authorization.state), &pending, now)
        .await
        .map_err(|err| {
            tracing::error!(%err, "could not store a pending OpenID sign-in");
            ErrorCode::OidcUnavailable
        })?;
    Ok((authorization.url, browser))
}
