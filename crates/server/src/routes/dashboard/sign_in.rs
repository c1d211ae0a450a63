//! Sign-in pages: e-mail → code → dashboard, and the OpenID button. Forms
//! carry a CSRF token bound to the browser's pre-session cookie.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CsrfForm, Layout, PageOwner, render, with_status};
use crate::auth::{parse_email, sign_in_with_code};
use crate::error::{ApiError, ApiResult, AppError, ErrorCode};
use crate::extract::{ApiForm, ApiQuery, ClientIp, OwnerSession};
use crate::owner;
use crate::routes::{redirect, with_cookies};
use crate::security::csrf::pre_session_token;
use crate::state::AppState;
use witzo_app::auth::codes;

/// A message shown on a page, with the error `code` it stands for.
pub struct Alert {
    pub code: &'static str,
    pub message: String,
}

impl From<&AppError> for Alert {
    fn from(err: &AppError) -> Self {
        let message = if err.code().is_server_error() {
            "Something went wrong on our side. Please try again.".to_owned()
        } else {
            err.message().to_owned()
        };
        Self {
            code: err.code().as_str(),
            message,
        }
    }
}

impl From<&ApiError> for Alert {
    fn from(err: &ApiError) -> Self {
        Self::from(&err.0)
    }
}

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
struct SignInPage {
    layout: Layout,
    oidc_name: Option<String>,
    email: String,
    error: Option<Alert>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "auth/code.html")]
struct CodePage {
    layout: Layout,
    email: String,
    minutes: u64,
    error: Option<Alert>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignInQuery {
    /// An error code to explain (after a failed OpenID sign-in).
    error: Option<String>,
    /// A notice to show (after signing out or deleting the account).
    notice: Option<String>,
}

fn notice_text(notice: &str) -> Option<&'static str> {
    match notice {
        "signed_out" => Some("You are signed out."),
        "signed_out_everywhere" => Some("You are signed out on every device."),
        "account_deleted" => Some("Your account and all its data have been deleted."),
        _ => None,
    }
}

fn signed_out_layout(
    state: &AppState,
    headers: &HeaderMap,
) -> (Layout, Option<axum::http::HeaderValue>) {
    let (csrf, cookie) = pre_session_token(state, headers);
    (Layout::new(state, csrf, String::new(), "sign-in"), cookie)
}

fn sign_in_page(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    error: Option<Alert>,
    notice: Option<&'static str>,
) -> ApiResult<Response> {
    let (layout, cookie) = signed_out_layout(state, headers);
    let page = SignInPage {
        layout,
        oidc_name: state
            .oidc
            .as_ref()
            .map(|_| state.config.oidc.display_name.clone()),
        email,
        error,
        notice,
    };
    Ok(with_cookies(render(&page)?.into_response(), cookie))
}

/// The sign-in page.
#[utoipa::path(get, path = "/app/sign-in", tag = "pages", params(SignInQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 303, description = "Already signed in")))]
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SignInQuery>,
) -> ApiResult<Response> {
    if OwnerSession::load(&state, &headers).await.is_ok() {
        return Ok(redirect("/app", []));
    }
    let error = query
        .error
        .as_deref()
        .and_then(ErrorCode::parse)
        .map(|code| Alert {
            code: code.as_str(),
            message: ApiError::message_for(code).to_owned(),
        });
    let notice = query.notice.as_deref().and_then(notice_text);
    sign_in_page(&state, &headers, String::new(), error, notice)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailForm {
    #[schema(schema_with = witzo_app::fields::email)]
    email: String,
    csrf_token: String,
}

/// Sends a sign-in code and shows the code entry form.
#[utoipa::path(post, path = "/app/sign-in", tag = "pages",
    request_body(content = EmailForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The code entry page", content_type = "text/html"),
        (status = 429, description = "The page with `too_many_codes` (for the address) or `rate_limited` (for the network)", content_type = "text/html"),
        (status = 503, description = "`email_unavailable`: the e-mail could not be sent")))]
pub async fn request_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    ApiForm(form): ApiForm<EmailForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let result = match parse_email(&form.email) {
        Ok(email) => codes::request(
            &state,
            &email,
            witzo_store::login_codes::CodePurpose::SignIn,
            ip.0,
        )
        .await
        .map(|()| email)
        .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match result {
        Ok(email) => code_page(&state, &headers, email.to_string(), None),
        Err(err) => {
            let page = sign_in_page(&state, &headers, form.email, Some(Alert::from(&err)), None)?;
            Ok(with_status(page, &err))
        }
    }
}

fn code_page(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let (layout, cookie) = signed_out_layout(state, headers);
    let page = CodePage {
        layout,
        email,
        minutes: state.config.auth.code_ttl_minutes,
        error,
    };
    Ok(with_cookies(render(&page)?.into_response(), cookie))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeForm {
    #[schema(schema_with = witzo_app::fields::email)]
    email: String,
    #[schema(schema_with = witzo_app::fields::code)]
    code: String,
    csrf_token: String,
}

/// Checks the code; signs in and goes to the dashboard.
#[utoipa::path(post, path = "/app/sign-in/verify", tag = "pages",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Signed in, to /app"), (status = 400, description = "The code page with `code_invalid` or `code_expired`", content_type = "text/html"),
        (status = 429, description = "The code page with `rate_limited`", content_type = "text/html")))]
pub async fn verify_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    ApiForm(form): ApiForm<CodeForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let result = match parse_email(&form.email) {
        Ok(email) => sign_in_with_code(&state, &email, &form.code, ip, &headers).await,
        Err(err) => Err(err),
    };
    match result {
        Ok((_, cookies)) => Ok(redirect("/app", cookies)),
        Err(err) if err.code().is_server_error() => Err(err),
        Err(err) => {
            let page = code_page(&state, &headers, form.email, Some(Alert::from(&err)))?;
            Ok(with_status(page, &err))
        }
    }
}

/// Signs out of this browser.
#[utoipa::path(post, path = "/app/sign-out", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the sign-in page")))]
pub async fn sign_out(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    owner::sign_out(&state, &owner, ip).await?;
    Ok(redirect(
        "/app/sign-in?notice=signed_out",
        crate::auth::end_session_cookie(&state),
    ))
}
