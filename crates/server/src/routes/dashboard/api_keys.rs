//! The API keys page: the account's keys (name, prefix, scopes, widget,
//! expiry, last use, revoked), a form to create one (the key shown once on
//! the page that answers it, never in a redirect's URL) and revoke buttons.
//! Without `api_keys` on the plan the page says which plan includes them
//! and still lists the stored keys, which are refused until then.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_app::api_keys::{self, NewKeyInput};
use witzo_store::api_keys::ApiKey;
use witzo_store::domain::{ApiKeyId, ApiScope};
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiResult, AppError, ErrorCode};
use crate::extract::{ApiForm, ApiPath, ApiQuery, ClientIp, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "app/api_keys.html")]
struct KeysPage {
    layout: Layout,
    enabled: bool,
    plan: String,
    upgrade_to: Option<String>,
    keys: Vec<ApiKey>,
    widgets: Vec<Widget>,
    notice: Option<&'static str>,
    error: Option<Alert>,
    /// A key just created, shown once.
    created: Option<String>,
    now: i64,
}

impl KeysPage {
    fn when(&self, at: &i64) -> String {
        witzo_app::format::utc_minute(*at)
    }

    fn widget_name(&self, key: &ApiKey) -> String {
        key.widget_id.map_or_else(
            || "All widgets".to_owned(),
            |id| {
                self.widgets
                    .iter()
                    .find(|w| w.id == id)
                    .map_or_else(String::new, |w| w.name.clone())
            },
        )
    }

    fn scopes(&self, key: &ApiKey) -> String {
        let names: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
        names.join(", ")
    }

    fn state(&self, key: &ApiKey) -> &'static str {
        if key.revoked_at.is_some() {
            "revoked"
        } else if !key.is_live(self.now) {
            "expired"
        } else {
            "active"
        }
    }
}

async fn keys_page(
    state: &AppState,
    owner: &OwnerSession,
    notice: Option<&'static str>,
    error: Option<&AppError>,
    created: Option<String>,
) -> ApiResult<Response> {
    let list = api_keys::list(state, owner.account).await?;
    let access = api_keys::availability(state, owner.account).await?;
    let page = KeysPage {
        layout: Layout::signed_in(state, owner, "api_keys").await?,
        enabled: list.enabled,
        plan: access.plan.name,
        upgrade_to: list.upgrade_to,
        keys: list.keys,
        widgets: state.store.widgets_of(owner.account).await?,
        notice,
        error: error.map(Alert::from),
        created,
        now: witzo_store::now(),
    };
    Ok(render(&page)?.into_response())
}

/// The account's API keys.
#[utoipa::path(get, path = "/app/api-keys", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = (q.notice.as_deref() == Some("revoked")).then_some("Revoked.");
    keys_page(&state, &owner, notice, None, None).await
}

/// The create form: a name, a checkbox per scope, a widget (blank: all)
/// and days until expiry (blank: never).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyForm {
    #[schema(schema_with = witzo_app::fields::required_text::<80>)]
    name: String,
    /// `on` when checked.
    read: Option<String>,
    write: Option<String>,
    chat: Option<String>,
    /// A widget's id, or blank for every widget.
    widget_id: Option<String>,
    /// 1–730, or blank for never.
    expires_in_days: Option<String>,
    csrf_token: String,
}

impl KeyForm {
    fn input(&self) -> Result<NewKeyInput, AppError> {
        let number = |field: &str, raw: &Option<String>| match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
                AppError::new(
                    ErrorCode::ValidationFailed,
                    format!("{field} must be a number"),
                )
                .field(field)
            }),
        };
        let scopes = [
            (ApiScope::Read, &self.read),
            (ApiScope::Write, &self.write),
            (ApiScope::Chat, &self.chat),
        ]
        .into_iter()
        .filter(|(_, on)| on.is_some())
        .map(|(scope, _)| scope)
        .collect();
        Ok(NewKeyInput {
            name: self.name.clone(),
            scopes,
            widget_id: number("widget_id", &self.widget_id)?,
            expires_in_days: number("expires_in_days", &self.expires_in_days)?,
        })
    }
}

/// Creates a key; the page answering shows it once.
#[utoipa::path(post, path = "/app/api-keys", tag = "pages",
    request_body(content = KeyForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The page with the new key", content_type = "text/html"),
        (status = 403, description = "The page with `plan_limit_api_keys`", content_type = "text/html"),
        (status = 404, description = "The page with `not_found`: not one of your widgets", content_type = "text/html"),
        (status = 422, description = "The page with `validation_failed` or `too_many_api_keys`", content_type = "text/html")))]
pub async fn create(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<KeyForm>,
) -> ApiResult<Response> {
    let _ = &form.csrf_token;
    let created = match form.input() {
        Ok(input) => api_keys::create(&state, owner.account, &input, &ip.0.to_string()).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(created) => keys_page(&state, &owner, None, None, Some(created.key)).await,
        Err(err) if err.code().is_client_error() => Ok(with_status(
            keys_page(&state, &owner, None, Some(&err), None).await?,
            &err,
        )),
        Err(err) => Err(err.into()),
    }
}

/// Revokes a key at once.
#[utoipa::path(post, path = "/app/api-keys/{id}/revoke", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the page"),
        (status = 404, description = "The error page", content_type = "text/html")))]
pub async fn revoke(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiPath(id): ApiPath<ApiKeyId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = &form.csrf_token;
    api_keys::revoke(&state, owner.account, id, &ip.0.to_string()).await?;
    Ok(redirect("/app/api-keys?notice=revoked", []))
}
