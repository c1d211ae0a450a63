//! Signing in with OpenID Connect, as a use case: [`begin`] stores a pending
//! sign-in under the hash of its `state`, [`finish`] checks the provider's
//! callback against it, exchanges the code, validates the ID token and finds
//! (or makes) the identity's account. The HTTP layer keeps what is HTTP: the
//! cookie that binds the sign-in to one browser, and the session it starts.

use url::Url;
use witzo_store::Store;
use witzo_store::domain::{AccountId, EmailAddress};
use witzo_store::identities::PendingOidcLogin;

use super::oidc::{OidcClient, OidcError};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keys::{constant_time_eq, random_token, sha256_hex};

/// How long a begun sign-in may take (and its browser cookie lives).
pub const PENDING_MAX_AGE_SECS: i64 = 600;

/// A sign-in sent to the provider: where to send the browser, and the value
/// of the cookie that binds the sign-in to it.
pub struct Begun {
    pub url: Url,
    pub browser: String,
}

/// What the provider sent back, as it came.
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Begins an OpenID sign-in. The pending sign-in (nonce, PKCE verifier) is
/// stored under the hash of its `state` for [`PENDING_MAX_AGE_SECS`].
pub async fn begin(
    store: &Store,
    client: &OidcClient,
    login_hint: Option<&str>,
) -> Result<Begun, ErrorCode> {
    let authorization = client.begin(login_hint).await.map_err(|err| {
        tracing::warn!(%err, "OpenID sign-in could not start");
        ErrorCode::OidcUnavailable
    })?;
    let browser = random_token();
    let now = witzo_store::now();
    let pending = PendingOidcLogin {
        browser_hash: sha256_hex(&browser),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        expires_at: now + PENDING_MAX_AGE_SECS,
    };
    store
        .save_oidc_login(&sha256_hex(&authorization.state), &pending, now)
        .await
        .map_err(|err| {
            tracing::error!(%err, "could not store a pending OpenID sign-in");
            ErrorCode::OidcUnavailable
        })?;
    Ok(Begun {
        url: authorization.url,
        browser,
    })
}

/// Finishes a sign-in begun in the browser holding `browser`: the account
/// to start a session for. A pending sign-in is used at most once, whatever
/// the outcome.
pub async fn finish(
    store: &Store,
    client: &OidcClient,
    callback: Callback,
    browser: &str,
) -> AppResult<AccountId> {
    let fail = |code: ErrorCode, cause: String| AppError::new(code, "").with_cause(cause);
    if let Some(error) = callback.error {
        return Err(fail(
            ErrorCode::OidcDenied,
            format!("provider error: {error}"),
        ));
    }
    let state = callback
        .state
        .ok_or_else(|| fail(ErrorCode::OidcStateInvalid, "no state".into()))?;
    let pending = store
        .take_oidc_login(&sha256_hex(&state))
        .await?
        .ok_or_else(|| fail(ErrorCode::OidcStateInvalid, "unknown or used state".into()))?;
    let now = witzo_store::now();
    if pending.expires_at <= now || !constant_time_eq(&pending.browser_hash, &sha256_hex(browser)) {
        return Err(fail(
            ErrorCode::OidcStateInvalid,
            "expired, or begun in another browser".into(),
        ));
    }
    let code = callback
        .code
        .ok_or_else(|| fail(ErrorCode::OidcStateInvalid, "no code".into()))?;
    let refused = |err: OidcError| match err {
        OidcError::Unavailable(cause) => fail(ErrorCode::OidcUnavailable, cause),
        OidcError::TokenInvalid(cause) => fail(ErrorCode::OidcTokenInvalid, cause),
    };
    let id_token = client
        .exchange(&code, &pending.pkce_verifier)
        .await
        .map_err(refused)?;
    let identity = client
        .validate(&id_token, &pending.nonce, now)
        .await
        .map_err(refused)?;
    if let Some(account) = store
        .account_of_identity(&identity.issuer, &identity.subject)
        .await?
    {
        return Ok(account);
    }
    let email = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(|raw| EmailAddress::parse(raw).ok())
        .ok_or_else(|| {
            fail(
                ErrorCode::EmailNotVerified,
                "no verified e-mail in the ID token".into(),
            )
        })?;
    let (account, _) = store.find_or_create_account(&email, now).await?;
    store
        .link_identity(account.id, &identity.issuer, &identity.subject, now)
        .await?;
    Ok(account.id)
}
