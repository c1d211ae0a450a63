//! Signing owners in: e-mailed one-time codes, OpenID Connect, and starting
//! a session (with rotation) once either has proven who the owner is.

mod session;

pub use session::{SignInMethod, end_session_cookie, start_session, user_agent};

use witzo_store::Store;
use witzo_store::identities::PendingOidcLogin;

use axum::http::HeaderMap;
use witzo_store::domain::EmailAddress;
use witzo_store::login_codes::CodePurpose;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ClientIp;
use crate::security::cookie::{OIDC_MAX_AGE_SECS, random_value};
use crate::state::AppState;
use witzo_app::auth::{codes, oidc};
use witzo_app::keys::sha256_hex;

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

/// An e-mail address as typed into a sign-in form, checked.
pub fn parse_email(raw: &str) -> ApiResult<EmailAddress> {
    EmailAddress::parse(raw).map_err(|e| {
        ApiError::new(ErrorCode::ValidationFailed, format!("email {e}")).field("email")
    })
}

/// Verifies a sign-in code, then finds or creates the account and starts a
/// session. Shared by the JSON API and the HTML form.
pub async fn sign_in_with_code(
    state: &AppState,
    email: &EmailAddress,
    code: &str,
    ip: ClientIp,
    headers: &HeaderMap,
) -> ApiResult<(witzo_store::accounts::Account, Vec<axum::http::HeaderValue>)> {
    codes::verify(state, email, code, CodePurpose::SignIn, ip.0).await?;
    let (account, _) = state
        .store
        .find_or_create_account(email, witzo_store::now())
        .await?;
    let cookies = start_session(state, account.id, headers, ip, SignInMethod::EmailCode).await?;
    Ok((account, cookies))
}
