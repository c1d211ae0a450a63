//! The public widget API (`/v1/…`) and the widget's scripts: no cookies,
//! CORS and the key/origin checks by the widget gate (`widgets/gate.rs`),
//! rate-limited per IP (layer), per widget (`PublicWidget`) and per visitor.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ops::Health;
use crate::error::ApiResult;
use crate::state::AppState;
use witzo_app::limits::{Quota, WhenDown};
use witzo_app::widgets::cache::PublicWidget;
use witzo_app::widgets::settings::{LeadForm, Position};

/// The public API is reachable (used by the widget to tell "offline" apart).
#[utoipa::path(get, path = "/v1/health", tag = "public", responses(
    (status = 200, description = "Reachable", body = Health),
    (status = 403, description = "A browser origin: nothing here is called across origins")))]
pub async fn health() -> Json<Health> {
    Json(Health::UP)
}

/// How public widget calls name their widget.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WidgetQuery {
    /// The widget's public key (`wk_…`).
    #[allow(dead_code)]
    #[param(pattern = "^wk_[0-9a-f]{32}$")]
    key: String,
    /// A dashboard preview token, instead of an allowed `Origin`.
    #[allow(dead_code)]
    preview: Option<String>,
}

/// What the widget needs to render.
#[derive(Serialize, ToSchema)]
pub struct PublicConfig {
    key: String,
    title: String,
    welcome_message: String,
    placeholder: String,
    primary_color: String,
    position: Position,
    auto_open_secs: Option<u32>,
    suggested_questions: Vec<String>,
    language: String,
    show_branding: bool,
    logo_url: Option<String>,
    lead_form: LeadForm,
}

/// The widget's public configuration. Records the calling origin for the
/// owner's embed health.
#[utoipa::path(get, path = "/v1/widgets/{key}/config", tag = "public",
    params(("key" = String, Path, description = "The widget's public key", pattern = "^wk_[0-9a-f]{32}$"), ("preview" = Option<String>, Query, description = "Dashboard preview token")),
    responses(
        (status = 200, body = PublicConfig),
        (status = 403, description = "The page's origin may not use this widget, or it is switched off"),
        (status = 404, description = "No live widget has this key")))]
pub async fn config(
    State(state): State<AppState>,
    widget: PublicWidget,
) -> ApiResult<Json<PublicConfig>> {
    let live = &widget.live;
    if !widget.preview {
        state.health.record(live.widget.id, &widget.origin, true);
    }
    let settings = &live.settings;
    let base = state.public_url.as_str().trim_end_matches('/');
    Ok(Json(PublicConfig {
        key: live.widget.public_key.clone(),
        title: settings.title.clone(),
        welcome_message: settings.welcome_message.clone(),
        placeholder: settings.placeholder.clone(),
        primary_color: settings.primary_color.clone(),
        position: settings.position,
        auto_open_secs: settings.auto_open_secs,
        suggested_questions: settings.suggested_questions.clone(),
        language: settings.language.clone(),
        show_branding: settings.show_branding,
        logo_url: live
            .logo_hash
            .as_ref()
            .map(|hash| format!("{base}/embed/{}/logo?v={hash}", live.widget.public_key)),
        lead_form: settings.lead_form.clone(),
    }))
}

fn visitor(raw: &str) -> ApiResult<&str> {
    Ok(witzo_app::input::public_id("visitor_id", raw, "v_")?)
}

pub(crate) async fn limit_visitor(
    state: &AppState,
    widget: &PublicWidget,
    visitor: &str,
) -> ApiResult<()> {
    let limits = &state.config.limits;
    let quota = Quota::per_minute(limits.visitor_per_minute, limits.visitor_burst);
    state
        .limiter
        .check(
            &format!("visitor:{}:{visitor}", widget.live.widget.id),
            quota,
            WhenDown::Local,
        )
        .await
        .map_err(|refusal| refusal.error("You are sending messages too quickly."))?;
    Ok(())
}

pub(crate) mod chat;
pub mod gate;
mod scripts;
mod visitor;

pub use chat::{__path_chat, ChatRequest, chat};
pub use scripts::{__path_loader, __path_logo, __path_widget_js, loader, logo, widget_js};
pub use visitor::{
    __path_contact, __path_events, __path_feedback, ContactRequest, EventRequest, FeedbackRequest,
    Rating, Received, contact, events, feedback,
};
