//! The Account page: profile, sessions, security log, delete account.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::accounts::Account;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::auth::end_session_cookie;
use crate::error::ApiResult;
use crate::extract::{ApiForm, ApiPath, ApiQuery, ClientIp, OwnerSession};
use crate::owner::{self, EventView, ProfileRequest, SessionView};
use crate::routes::redirect;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "app/account.html")]
struct AccountPage {
    layout: Layout,
    account: Account,
    sessions: Vec<SessionView>,
    events: Vec<EventView>,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

#[derive(Template)]
#[template(path = "app/delete.html")]
struct DeletePage {
    layout: Layout,
    minutes: u64,
    error: Option<Alert>,
}

fn notice_text(notice: &str) -> Option<&'static str> {
    match notice {
        "profile_saved" => Some("Your profile is saved."),
        "session_revoked" => Some("The session is signed out."),
        _ => None,
    }
}

async fn account_page(
    state: &AppState,
    owner: &OwnerSession,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let page = AccountPage {
        layout: Layout::signed_in(state, owner, "account").await?,
        account: state.store.account_by_id(owner.account).await?,
        sessions: owner::sessions(state, owner).await?,
        events: owner::security_log(state, owner).await?,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// The Account page.
#[utoipa::path(get, path = "/app/account", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = query.notice.as_deref().and_then(notice_text);
    account_page(&state, &owner, notice, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileForm {
    #[schema(schema_with = witzo_app::fields::text::<100>)]
    name: String,
    #[schema(schema_with = witzo_app::fields::text::<100>)]
    company: String,
    #[schema(schema_with = witzo_app::fields::web_url_or_empty)]
    website: String,
    #[schema(schema_with = witzo_app::fields::country_or_empty)]
    country: String,
    /// Absent (an older form) keeps the current time zone.
    #[schema(schema_with = witzo_app::fields::time_zone)]
    time_zone: Option<String>,
    csrf_token: String,
}

/// Saves the profile form.
#[utoipa::path(post, path = "/app/account/profile", tag = "pages",
    request_body(content = ProfileForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn save_profile(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<ProfileForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let request = ProfileRequest {
        name: form.name,
        company: form.company,
        website: form.website,
        country: form.country,
        time_zone: form.time_zone,
    };
    match owner::update_profile(&state, &owner, ip, &request).await {
        Ok(_) => Ok(redirect("/app/account?notice=profile_saved", [])),
        Err(err) if err.code().is_client_error() => {
            let page = account_page(&state, &owner, None, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        Err(err) => Err(err),
    }
}

/// Signs one session out.
#[utoipa::path(post, path = "/app/account/sessions/{id}/revoke", tag = "pages",
    params(("id" = String, Path, description = "The session's handle", pattern = "^[0-9a-f]{24}$")),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the Account page, or to sign-in when it was this session")))]
pub async fn revoke_session(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiPath(id): ApiPath<String>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    if owner::revoke_session(&state, &owner, ip, &id).await? {
        return Ok(redirect(
            "/app/sign-in?notice=signed_out",
            end_session_cookie(&state),
        ));
    }
    Ok(redirect("/app/account?notice=session_revoked", []))
}

/// Signs out on every device.
#[utoipa::path(post, path = "/app/account/sessions/revoke-all", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the sign-in page")))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    owner::sign_out_everywhere(&state, &owner, ip).await?;
    Ok(redirect(
        "/app/sign-in?notice=signed_out_everywhere",
        end_session_cookie(&state),
    ))
}

async fn delete_page(
    state: &AppState,
    owner: &OwnerSession,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let page = DeletePage {
        layout: Layout::signed_in(state, owner, "account").await?,
        minutes: state.config.auth.code_ttl_minutes,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// Sends the code that confirms deleting the account.
#[utoipa::path(post, path = "/app/account/delete/code", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The confirmation page", content_type = "text/html"),
        (status = 429, description = "`too_many_codes` (for the address) or `rate_limited` (for the network)"),
        (status = 503, description = "`email_unavailable`: the e-mail could not be sent")))]
pub async fn request_deletion(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    match owner::request_deletion_code(&state, &owner, ip).await {
        Ok(()) => delete_page(&state, &owner, None).await,
        Err(err) if err.code().is_client_error() => {
            let page = account_page(&state, &owner, None, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteForm {
    #[schema(schema_with = witzo_app::fields::code)]
    code: String,
    csrf_token: String,
}

/// Deletes the account once the e-mailed code confirms it.
#[utoipa::path(post, path = "/app/account/delete", tag = "pages",
    request_body(content = DeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted, to the sign-in page"), (status = 400, description = "The confirmation page with `code_invalid` or `code_expired`", content_type = "text/html"),
        (status = 429, description = "`rate_limited`: too many attempts from the network")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<DeleteForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    match owner::delete_account(&state, &owner, ip, &form.code).await {
        Ok(()) => Ok(redirect(
            "/app/sign-in?notice=account_deleted",
            end_session_cookie(&state),
        )),
        Err(err) if err.code().is_client_error() => {
            let page = delete_page(&state, &owner, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        Err(err) => Err(err),
    }
}
