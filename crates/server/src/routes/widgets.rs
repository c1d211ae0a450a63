//! The owner's widgets (JSON API for the dashboard). Every route takes the
//! owner and finds widgets by owner + id: another account's id is 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::conversations::{ConversationSummary, EmbedOrigin};
use witzo_store::domain::WidgetId;
use witzo_store::widgets::Widget;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiMultipart, ApiPath, ClientIp, Owner, OwnerSession, multipart};
use crate::state::AppState;
use witzo_app::widgets::service::{self, WidgetInput};
use witzo_app::widgets::settings::WidgetSettings;

#[derive(Serialize, ToSchema)]
pub struct WidgetView {
    id: i64,
    name: String,
    key: String,
    active: bool,
    allowed_domains: Vec<String>,
    settings: WidgetSettings,
    /// Paste this on your site.
    embed_snippet: String,
    created_at: i64,
    updated_at: i64,
}

impl WidgetView {
    pub fn new(state: &AppState, widget: Widget) -> Self {
        Self {
            id: widget.id.get(),
            embed_snippet: service::embed_snippet(state, &widget.public_key),
            allowed_domains: widget.domains().map(str::to_owned).collect(),
            settings: WidgetSettings::from_stored(&widget.settings),
            active: widget.is_active(),
            name: widget.name,
            key: widget.public_key,
            created_at: widget.created_at,
            updated_at: widget.updated_at,
        }
    }
}

/// The owner's widgets.
#[utoipa::path(get, path = "/api/widgets", tag = "widgets",
    responses((status = 200, body = Vec<WidgetView>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, owner: Owner) -> ApiResult<Json<Vec<WidgetView>>> {
    let widgets = state.store.widgets_of(owner.account).await?;
    Ok(Json(
        widgets
            .into_iter()
            .filter(|w| owner.widget.is_none_or(|only| only == w.id))
            .map(|w| WidgetView::new(&state, w))
            .collect(),
    ))
}

/// Creates a widget (within the plan's widget count).
#[utoipa::path(post, path = "/api/widgets", tag = "widgets", request_body = WidgetInput,
    responses((status = 201, body = WidgetView),
        (status = 403, description = "Over the plan: `plan_limit_widgets`, or `plan_limit_white_label` to hide the branding")))]
pub async fn create(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(input): ApiJson<WidgetInput>,
) -> ApiResult<(StatusCode, Json<WidgetView>)> {
    let widget = service::create(&state, owner.account, ip.0, &input).await?;
    Ok((StatusCode::CREATED, Json(WidgetView::new(&state, widget))))
}

/// One of the owner's widgets.
#[utoipa::path(get, path = "/api/widgets/{id}", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 200, body = WidgetView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<WidgetView>> {
    owner.reach(id)?;
    let widget = state.store.widget_of(owner.account, id).await?;
    Ok(Json(WidgetView::new(&state, widget)))
}

/// Replaces a widget's name, domains, settings and active state.
#[utoipa::path(put, path = "/api/widgets/{id}", tag = "widgets", params(("id" = i64, Path)), request_body = WidgetInput,
    responses((status = 200, body = WidgetView),
        (status = 403, description = "`plan_limit_white_label`: hiding the branding needs a white-label plan")))]
pub async fn update(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiJson(input): ApiJson<WidgetInput>,
) -> ApiResult<Json<WidgetView>> {
    owner.reach(id)?;
    let widget = service::update(&state, owner.account, id, &input).await?;
    Ok(Json(WidgetView::new(&state, widget)))
}

/// Deletes a widget and everything it owns.
#[utoipa::path(delete, path = "/api/widgets/{id}", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<StatusCode> {
    service::delete(&state, owner.account, ip.0, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the widget a new key; the old one is refused from the next request on.
#[utoipa::path(post, path = "/api/widgets/{id}/regenerate-key", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 200, body = WidgetView), (status = 404, body = ErrorBody)))]
pub async fn regenerate_key(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<WidgetView>> {
    let widget = service::regenerate_key(&state, owner.account, ip.0, id).await?;
    Ok(Json(WidgetView::new(&state, widget)))
}

/// A logo upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LogoUpload {
    /// PNG, JPEG, GIF or WebP, at most 256 KiB.
    #[schema(schema_with = witzo_app::fields::file)]
    logo: Vec<u8>,
}

/// Uploads the widget's logo (multipart field `logo`: PNG, JPEG, GIF or
/// WebP, at most 256 KiB; send the CSRF token as `X-CSRF-Token`).
#[utoipa::path(post, path = "/api/widgets/{id}/logo", tag = "widgets", params(("id" = i64, Path)),
    request_body(content = LogoUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = WidgetView),
        (status = 404, description = "`not_found`: no such widget of yours"),
        (status = 413, description = "`payload_too_large`: over 256 KiB"),
        (status = 415, description = "`unsupported_media_type`: not a PNG, JPEG, GIF or WebP image")))]
pub async fn upload_logo(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Json<WidgetView>> {
    let bytes = multipart::logo(multipart).await?;
    let widget = service::set_logo(&state, owner.account, id, bytes).await?;
    Ok(Json(WidgetView::new(&state, widget)))
}

/// Removes the widget's logo.
#[utoipa::path(delete, path = "/api/widgets/{id}/logo", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 200, body = WidgetView), (status = 404, body = ErrorBody)))]
pub async fn remove_logo(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<WidgetView>> {
    let widget = service::remove_logo(&state, owner.account, id).await?;
    Ok(Json(WidgetView::new(&state, widget)))
}

/// Where the widget is embedded: allowed origins with last use, refused ones with counts.
#[utoipa::path(get, path = "/api/widgets/{id}/embed-health", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EmbedOrigin>), (status = 404, body = ErrorBody)))]
pub async fn embed_health(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<Vec<EmbedOrigin>>> {
    let widget = state.store.widget_of(owner.account, id).await?;
    state.health.flush(&state.store).await?;
    Ok(Json(
        state
            .store
            .embed_origins_of(owner.account, widget.id)
            .await?,
    ))
}

/// The widget's newest conversations (at most 100).
#[utoipa::path(get, path = "/api/widgets/{id}/conversations", tag = "widgets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ConversationSummary>), (status = 404, body = ErrorBody)))]
pub async fn conversations(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<Vec<ConversationSummary>>> {
    let widget = state.store.widget_of(owner.account, id).await?;
    Ok(Json(
        state
            .store
            .conversations_of(owner.account, widget.id, 100)
            .await?,
    ))
}
