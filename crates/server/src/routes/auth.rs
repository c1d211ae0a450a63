//! Sign-in: the JSON API for e-mailed codes, and the OpenID Connect
//! redirect endpoints. The HTML forms (`routes/dashboard/sign_in.rs`) use the
//! same services.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use witzo_store::login_codes::CodePurpose;

use super::account::AccountView;
use super::{redirect, with_cookies};
use crate::auth::{SignInMethod, parse_email, sign_in_with_code, start_session};
use crate::cookies::CookieKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{ApiJson, ApiQuery, ClientIp, OwnerSession};
use crate::security::csrf::pre_session_token;
use crate::state::AppState;
use witzo_app::auth::codes;
use witzo_app::auth::codes::{CodeSent, code_sent};
use witzo_app::auth::openid;

/// Parses an e-mail address field.
#[derive(Serialize, ToSchema)]
pub struct CsrfToken {
    /// Send as `X-CSRF-Token` on state-changing requests.
    csrf_token: String,
}

/// A CSRF token for this browser: bound to its session when signed in, to a
/// pre-session cookie (set here when missing) when signed out.
#[utoipa::path(get, path = "/api/auth/csrf", tag = "auth", responses((status = 200, body = CsrfToken)))]
pub async fn csrf(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(owner) = OwnerSession::load(&state, &headers).await {
        let csrf_token = state.keys.csrf_token(&owner.session.id_hash);
        return Json(CsrfToken { csrf_token }).into_response();
    }
    let (csrf_token, cookie) = pre_session_token(&state, &headers);
    with_cookies(Json(CsrfToken { csrf_token }).into_response(), cookie)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[schema(schema_with = witzo_app::fields::email)]
    email: String,
}

/// E-mails a 6-digit sign-in code. The answer is the same for every valid
/// address, with or without an account.
#[utoipa::path(post, path = "/api/auth/email-code", tag = "auth", request_body = CodeRequest, responses(
    (status = 202, body = CodeSent),
    (status = 429, description = "`too_many_codes` (for the address) or `rate_limited` (for the network)"),
    (status = 503, description = "`email_unavailable`: the e-mail could not be sent")))]
pub async fn request_code(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(request): ApiJson<CodeRequest>,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    let email = parse_email(&request.email)?;
    codes::request(&state, &email, CodePurpose::SignIn, ip.0).await?;
    Ok((StatusCode::ACCEPTED, Json(code_sent(&state))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[schema(schema_with = witzo_app::fields::email)]
    email: String,
    /// The 6-digit code from the e-mail.
    #[schema(schema_with = witzo_app::fields::code)]
    code: String,
}

/// Checks the code and signs in (creating the account on first sign-in).
#[utoipa::path(post, path = "/api/auth/email-code/verify", tag = "auth", request_body = VerifyRequest, responses(
    (status = 200, description = "Signed in; the session cookie is set", body = AccountView),
    (status = 400, description = "`code_invalid` or `code_expired`"),
    (status = 429, description = "`rate_limited`: too many attempts from the network")))]
pub async fn verify_code(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> ApiResult<Response> {
    let email = parse_email(&request.email)?;
    let account = sign_in_with_code(&state, &email, &request.code, ip, &headers).await?;
    let (account, cookies) = account;
    Ok(with_cookies(
        Json(AccountView::from(account)).into_response(),
        cookies,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OidcStart {
    /// Passed to the provider to preselect an account.
    login_hint: Option<String>,
}

fn sign_in_error(code: ErrorCode) -> Response {
    redirect(&format!("/app/sign-in?error={}", code.as_str()), [])
}

/// Sends the browser to the OpenID provider.
#[utoipa::path(get, path = "/auth/oidc/start", tag = "auth", params(OidcStart), responses(
    (status = 303, description = "To the provider, or back to the sign-in page with `?error=`")))]
pub async fn oidc_start(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiQuery(query): ApiQuery<OidcStart>,
) -> Response {
    let Some(client) = state.oidc.clone() else {
        return sign_in_error(ErrorCode::OidcDisabled);
    };
    if codes::limit_sign_in_attempts(&state, ip.0).await.is_err() {
        return sign_in_error(ErrorCode::RateLimited);
    }
    let hint = query.login_hint.filter(|h| h.len() <= 320);
    match openid::begin(&state.store, &client, hint.as_deref()).await {
        Ok(begun) => redirect(
            begun.url.as_str(),
            state.cookies.issue(CookieKind::OidcBrowser, &begun.browser),
        ),
        Err(code) => sign_in_error(code),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OidcCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where the provider sends the browser back; signs in and goes to `/app`.
#[utoipa::path(get, path = "/auth/oidc/callback", tag = "auth", params(OidcCallback), responses(
    (status = 303, description = "To `/app` when signed in, else to the sign-in page with `?error=`")))]
pub async fn oidc_callback(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<OidcCallback>,
) -> Response {
    match finish_oidc(&state, ip, &headers, query).await {
        Ok(cookies) => redirect("/app", cookies),
        Err(err) => {
            let cause = err.cause().unwrap_or_default();
            tracing::warn!(code = err.code().as_str(), cause, "OpenID sign-in refused");
            redirect(
                &format!("/app/sign-in?error={}", err.code().as_str()),
                state.cookies.clear(CookieKind::OidcBrowser),
            )
        }
    }
}

async fn finish_oidc(
    state: &AppState,
    ip: ClientIp,
    headers: &HeaderMap,
    query: OidcCallback,
) -> ApiResult<Vec<axum::http::HeaderValue>> {
    let client = state
        .oidc
        .clone()
        .ok_or_else(|| ApiError::new(ErrorCode::OidcDisabled, "").with_cause("not configured"))?;
    let browser = state
        .cookies
        .read(CookieKind::OidcBrowser, headers)
        .unwrap_or_default();
    let callback = openid::Callback {
        code: query.code,
        state: query.state,
        error: query.error,
    };
    let account = openid::finish(&state.store, &client, callback, &browser).await?;
    start_session(state, account, headers, ip, SignInMethod::Oidc).await
}
