use axum::http::{HeaderMap, HeaderValue, header};
use witzo_store::audit::AuditKind;
use witzo_store::domain::AccountId;
use witzo_store::sessions::ClientMeta;

use crate::cookies::CookieKind;
use crate::error::ApiResult;
use crate::extract::ClientIp;
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub enum SignInMethod {
    EmailCode,
    Oidc,
}

impl SignInMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::EmailCode => "email_code",
            Self::Oidc => "oidc",
        }
    }
}

/// The request's `User-Agent`, for the owner's list of sessions.
pub fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Signs `account` in: ends the session the browser carried (a new session
/// id at every sign-in, so a planted id is worthless), creates a new one and
/// records it in the security log. Returns the `Set-Cookie` values to send:
/// the new session, and the cleared pre-session and OpenID cookies.
pub async fn start_session(
    state: &AppState,
    account: AccountId,
    headers: &HeaderMap,
    ip: ClientIp,
    method: SignInMethod,
) -> ApiResult<Vec<HeaderValue>> {
    let store = &state.store;
    if let Some(old) = state.cookies.read(CookieKind::Session, headers)
        && let Some(session) = store.session_by_token(&old).await?
    {
        store
            .delete_session(session.account_id, &session.id_hash)
            .await
            .ok();
    }
    let now = witzo_store::now();
    let meta = ClientMeta {
        ip: ip.to_string(),
        user_agent: user_agent(headers),
    };
    let (token, _) = store
        .create_session(account, &meta, state.session_lifetime, now)
        .await?;
    store
        .record_audit(
            Some(account),
            AuditKind::SignedIn,
            &meta.ip,
            method.as_str(),
            now,
        )
        .await?;
    Ok([
        state.cookies.issue(CookieKind::Session, token.expose()),
        state.cookies.clear(CookieKind::PreSession),
        state.cookies.clear(CookieKind::OidcBrowser),
    ]
    .into_iter()
    .flatten()
    .collect())
}

/// The `Set-Cookie` that ends the session cookie in the browser.
pub fn end_session_cookie(state: &AppState) -> Option<HeaderValue> {
    state.cookies.clear(CookieKind::Session)
}
