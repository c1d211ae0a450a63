//! The signed-in owner's own account: who am I, profile, sign out.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::accounts::{Account, Profile};
use witzo_store::audit::AuditKind;
use witzo_store::domain::{CleanText, CountryCode, TextRules, WebUrl};

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ClientIp, OwnerSession};
use crate::state::AppState;

/// Rules for the one-line profile fields (name, company).
pub const PROFILE_TEXT: TextRules = TextRules {
    max_chars: 100,
    multiline: false,
    required: false,
};

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

/// The owner-editable profile. Empty strings clear a field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// Up to 100 characters.
    name: String,
    /// Up to 100 characters.
    company: String,
    /// An http(s) URL, or empty.
    website: String,
    /// ISO 3166-1 alpha-2 code (`DE`), or empty.
    country: String,
}

impl ProfileRequest {
    fn parse(self) -> ApiResult<Profile> {
        let invalid = |field: &str, err: witzo_store::domain::InvalidValue| {
            ApiError::new(ErrorCode::ValidationFailed, format!("{field} {err}")).field(field)
        };
        let optional = |raw: &str| {
            Some(raw.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(Profile {
            name: CleanText::parse(&self.name, PROFILE_TEXT).map_err(|e| invalid("name", e))?,
            company: CleanText::parse(&self.company, PROFILE_TEXT)
                .map_err(|e| invalid("company", e))?,
            website: optional(&self.website)
                .map(|raw| WebUrl::parse(&raw))
                .transpose()
                .map_err(|e| invalid("website", e))?,
            country: optional(&self.country)
                .map(|raw| CountryCode::parse(&raw))
                .transpose()
                .map_err(|e| invalid("country", e))?,
        })
    }
}

/// Replaces the owner's profile.
#[utoipa::path(put, path = "/api/me/profile", tag = "account", request_body = ProfileRequest,
    responses(
        (status = 200, body = AccountView),
        (status = 401, body = ErrorBody), (status = 403, description = "CSRF check failed", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or invalid", body = ErrorBody)),
    security(("session" = []), ("csrf_token" = [])))]
pub async fn update_profile(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(request): ApiJson<ProfileRequest>,
) -> ApiResult<Json<AccountView>> {
    let profile = request.parse()?;
    let now = witzo_store::now();
    let account = state
        .store
        .update_profile(owner.account, &profile, now)
        .await?;
    let ip = ip.to_string();
    state
        .store
        .record_audit(Some(owner.account), AuditKind::ProfileUpdated, &ip, "", now)
        .await?;
    Ok(Json(account.into()))
}

/// Ends the current session and clears its cookie.
#[utoipa::path(post, path = "/api/me/sign-out", tag = "account", responses(
    (status = 204, description = "Signed out"),
    (status = 401, body = ErrorBody), (status = 403, description = "CSRF check failed", body = ErrorBody)),
    security(("session" = []), ("csrf_token" = [])))]
pub async fn sign_out(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
) -> ApiResult<Response> {
    state
        .store
        .delete_session(owner.account, &owner.session.id_hash)
        .await?;
    let ip = ip.to_string();
    state
        .store
        .record_audit(
            Some(owner.account),
            AuditKind::SignedOut,
            &ip,
            "",
            witzo_store::now(),
        )
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = state.cookies.clear() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
