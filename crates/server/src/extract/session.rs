use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use witzo_store::domain::AccountId;
use witzo_store::sessions::Session;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::security::cookie::CookieKind;
use crate::state::AppState;

/// Uses of a session closer together than this do not rewrite `last_seen_at`.
const TOUCH_EVERY_SECS: i64 = 60;

/// A signed-in owner. Taking this extractor is what makes a handler require
/// sign-in: without a live session the request is answered 401 before the
/// handler runs.
#[derive(Debug, Clone)]
pub struct OwnerSession {
    pub account: AccountId,
    pub session: Session,
}

impl OwnerSession {
    /// Resolves the session cookie to a live session, ending it (and refusing)
    /// once it is idle or past its absolute lifetime.
    pub async fn load(state: &AppState, headers: &HeaderMap) -> ApiResult<Self> {
        let unauthenticated = || ApiError::new(ErrorCode::Unauthenticated, "Please sign in.");
        let token = state
            .cookies
            .read(CookieKind::Session, headers)
            .ok_or_else(unauthenticated)?;
        let session = state
            .store
            .session_by_token(&token)
            .await?
            .ok_or_else(unauthenticated)?;
        let now = witzo_store::now();
        if !session.is_live(now, state.session_lifetime) {
            state
                .store
                .delete_session(session.account_id, &session.id_hash)
                .await
                .ok();
            return Err(ApiError::new(
                ErrorCode::SessionExpired,
                "Your session has expired. Please sign in again.",
            ));
        }
        if now - session.last_seen_at >= TOUCH_EVERY_SECS {
            state.store.touch_session(&session.id_hash, now).await?;
        }
        Ok(Self {
            account: session.account_id,
            session,
        })
    }
}

impl FromRequestParts<AppState> for OwnerSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        // The CSRF guard has already resolved the session of a mutating request.
        if let Some(session) = parts.extensions.get::<OwnerSession>() {
            return Ok(session.clone());
        }
        Self::load(state, &parts.headers).await
    }
}
