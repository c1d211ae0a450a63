use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use witzo_store::api_keys::ApiKey;
use witzo_store::domain::{AccountId, WidgetId};
use witzo_store::sessions::Session;

use crate::cookies::CookieKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::surface::Surface;

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

/// Whom a JSON request of the owner's acts for: the signed-in session on
/// `/api/…`, or the bearer API key on `/api/v1/…` (found and checked by
/// the owner-API layer, [`crate::security::owner_api`]), which may be
/// restricted to one widget. Handlers both doors share take this.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub account: AccountId,
    /// The one widget an API key is restricted to.
    pub widget: Option<WidgetId>,
}

impl Owner {
    /// `404 not_found` for a widget this caller may not reach (a key
    /// restricted to another widget): the same answer as another account's.
    pub fn reach(&self, widget: WidgetId) -> ApiResult<()> {
        match self.widget {
            Some(only) if only != widget => Err(ApiError::not_found()),
            _ => Ok(()),
        }
    }

    /// A list's widget filter as this caller may ask it: a restricted key
    /// lists its widget's rows only (naming another matches nothing: 404).
    pub fn widget_filter(&self, asked: Option<i64>) -> ApiResult<Option<i64>> {
        match (self.widget, asked) {
            (Some(only), Some(asked)) if asked != only.get() => Err(ApiError::not_found()),
            (Some(only), _) => Ok(Some(only.get())),
            (None, asked) => Ok(asked),
        }
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(key) = parts.extensions.get::<ApiKey>() {
            return Ok(Self {
                account: key.account_id,
                widget: key.widget_id,
            });
        }
        if Surface::of(parts.uri.path()) == Surface::OwnerApi {
            // The owner-API layer runs first; never fall back to cookies here.
            return Err(ApiError::new(
                ErrorCode::ApiKeyInvalid,
                "This API needs an API key.",
            ));
        }
        let session = OwnerSession::from_request_parts(parts, state).await?;
        Ok(Self {
            account: session.account,
            widget: None,
        })
    }
}
