//! The signed-in owner's own account (JSON API): who am I, profile,
//! sessions, security log, sign out, delete account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::accounts::Account;

use super::with_cookies;
use crate::auth::end_session_cookie;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ClientIp, OwnerSession};
use crate::owner::{self, EventView, ProfileRequest, SessionView};
use crate::state::AppState;
use witzo_app::auth::codes::{CodeSent, code_sent};

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    id: i64,
    email: String,
    name: String,
    company: String,
    website: String,
    country: String,
    created_at: i64,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.get(),
            email: a.email,
            name: a.name,
            company: a.company,
            website: a.website,
            country: a.country,
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    account: AccountView,
    /// Send this back as `X-CSRF-Token` (or form field `csrf_token`) on every
    /// state-changing dashboard request.
    csrf_token: String,
}

/// The signed-in owner and the session's CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "account", responses(
    (status = 200, body = Me),
    (status = 401, description = "Not signed in or session expired", body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, owner: OwnerSession) -> ApiResult<Json<Me>> {
    let account = state.store.account_by_id(owner.account).await?;
    Ok(Json(Me {
        account: account.into(),
        csrf_token: state.keys.csrf_token(&owner.session.id_hash),
    }))
}

/// Replaces the owner's profile.
#[utoipa::path(put, path = "/api/me/profile", tag = "account", request_body = ProfileRequest,
    responses((status = 200, body = AccountView)))]
pub async fn update_profile(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(request): ApiJson<ProfileRequest>,
) -> ApiResult<Json<AccountView>> {
    let account = owner::update_profile(&state, &owner, ip, &request).await?;
    Ok(Json(account.into()))
}

/// Ends the current session and clears its cookie.
#[utoipa::path(post, path = "/api/me/sign-out", tag = "account", responses(
    (status = 204, description = "Signed out")))]
pub async fn sign_out(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
) -> ApiResult<Response> {
    owner::sign_out(&state, &owner, ip).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        end_session_cookie(&state),
    ))
}

/// The owner's active sessions, most recently used first.
#[utoipa::path(get, path = "/api/me/sessions", tag = "account", responses(
    (status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<Vec<SessionView>>> {
    Ok(Json(owner::sessions(&state, &owner).await?))
}

/// Ends one of the owner's sessions; it is refused from its next request on.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "account",
    params(("id" = String, Path, description = "The session's `id` from the list", pattern = "^[0-9a-f]{24}$")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let was_current = owner::revoke_session(&state, &owner, ip, &id).await?;
    let cookie = was_current.then(|| end_session_cookie(&state)).flatten();
    Ok(with_cookies(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// Ends every session of the owner, this one included.
#[utoipa::path(post, path = "/api/me/sessions/revoke-all", tag = "account",
    responses((status = 204, description = "Signed out everywhere"), (status = 401, body = ErrorBody)))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
) -> ApiResult<Response> {
    owner::sign_out_everywhere(&state, &owner, ip).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        end_session_cookie(&state),
    ))
}

/// The account's security log, newest first (at most 50 entries).
#[utoipa::path(get, path = "/api/me/security-log", tag = "account",
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody)))]
pub async fn security_log(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<Vec<EventView>>> {
    Ok(Json(owner::security_log(&state, &owner).await?))
}

/// E-mails a code that confirms deleting the account.
#[utoipa::path(post, path = "/api/me/delete-code", tag = "account",
    responses((status = 202, body = CodeSent),
        (status = 429, description = "`too_many_codes` (for the address) or `rate_limited` (for the network)"),
        (status = 503, description = "`email_unavailable`: the e-mail could not be sent")))]
pub async fn request_deletion_code(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    owner::request_deletion_code(&state, &owner, ip).await?;
    Ok((StatusCode::ACCEPTED, Json(code_sent(&state))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The code from the confirmation e-mail.
    #[schema(schema_with = witzo_app::fields::code)]
    code: String,
}

/// Deletes the account and everything it owns, and ends all its sessions.
#[utoipa::path(post, path = "/api/me/delete", tag = "account", request_body = DeleteRequest,
    responses((status = 204, description = "Deleted"),
        (status = 400, description = "`code_invalid` or `code_expired`"),
        (status = 429, description = "`rate_limited`: too many attempts from the network")))]
pub async fn delete_account(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(request): ApiJson<DeleteRequest>,
) -> ApiResult<Response> {
    owner::delete_account(&state, &owner, ip, &request.code).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        end_session_cookie(&state),
    ))
}
