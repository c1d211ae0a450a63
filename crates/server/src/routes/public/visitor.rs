//! What visitors send besides messages: ratings, the lead form, widget events.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use witzo_store::conversations::Visit;
use witzo_store::domain::{WebUrl, WidgetEventKind};

use super::{WidgetQuery, limit_visitor, visitor};
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use witzo_app::answers::rating;
use witzo_app::fields;
use witzo_app::leads::capture::{self, ContactForm};
use witzo_app::widgets::cache::PublicWidget;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Up,
    Down,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    #[schema(pattern = "^v_[0-9a-f]{32}$")]
    visitor_id: String,
    /// The answer's `message_id` (`m_…`).
    #[schema(pattern = "^m_[0-9a-f]{32}$")]
    message_id: String,
    rating: Rating,
    /// Up to 500 characters.
    #[schema(schema_with = fields::nullable_text::<500>)]
    reason: Option<String>,
}

/// Rates an answer (thumbs up or down, with an optional reason).
#[utoipa::path(post, path = "/v1/feedback", tag = "public", params(WidgetQuery), request_body = FeedbackRequest,
    responses((status = 204, description = "Recorded"),
        (status = 404, description = "`not_found`: no such answer in this visitor's conversations")))]
pub async fn feedback(
    State(state): State<AppState>,
    widget: PublicWidget,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> ApiResult<StatusCode> {
    let visitor_id = visitor(&request.visitor_id)?;
    limit_visitor(&state, &widget, visitor_id).await?;
    let up = matches!(request.rating, Rating::Up);
    let reason = request.reason.as_deref();
    rating::rate(&state, &widget, visitor_id, &request.message_id, up, reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Contact details: an e-mail address or a phone number (or both), each
/// field absent or `null` when not given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    #[schema(pattern = "^v_[0-9a-f]{32}$")]
    visitor_id: String,
    /// The conversation the visitor had, if any.
    #[schema(pattern = "^c_[0-9a-f]{32}$")]
    conversation_id: Option<String>,
    #[schema(schema_with = fields::nullable_text::<100>)]
    name: Option<String>,
    #[schema(schema_with = fields::nullable_email)]
    email: Option<String>,
    #[schema(schema_with = fields::nullable_phone)]
    phone: Option<String>,
    #[schema(schema_with = fields::nullable_text::<100>)]
    company: Option<String>,
    #[schema(schema_with = fields::nullable_text::<2000>)]
    message: Option<String>,
}

impl ContactRequest {
    /// The rule across fields the document adds to the derived schema.
    pub fn schema_rule() -> serde_json::Value {
        fields::any_string(&["email", "phone"])
    }
}

#[derive(Serialize, ToSchema)]
pub struct Received {
    status: &'static str,
}

/// The widget's lead form: contact details a visitor chooses to leave.
#[utoipa::path(post, path = "/v1/contact", tag = "public", params(WidgetQuery), request_body = ContactRequest,
    responses((status = 201, body = Received)))]
pub async fn contact(
    State(state): State<AppState>,
    widget: PublicWidget,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ContactRequest>,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let visitor_id = visitor(&request.visitor_id)?;
    limit_visitor(&state, &widget, visitor_id).await?;
    let form = ContactForm {
        conversation_id: request.conversation_id.as_deref(),
        name: request.name.as_deref(),
        email: request.email.as_deref(),
        phone: request.phone.as_deref(),
        company: request.company.as_deref(),
        message: request.message.as_deref(),
    };
    let country = capture::country_from_languages(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    capture::leave_contact(&state, &widget, visitor_id, &form, &country).await?;
    Ok((StatusCode::CREATED, Json(Received { status: "received" })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    #[schema(pattern = "^v_[0-9a-f]{32}$")]
    visitor_id: String,
    kind: WidgetEventKind,
    page_url: Option<String>,
}

/// Widget loads and opens, for analytics (preview events are not recorded).
#[utoipa::path(post, path = "/v1/events", tag = "public", params(WidgetQuery), request_body = EventRequest,
    responses((status = 204, description = "Recorded")))]
pub async fn events(
    State(state): State<AppState>,
    widget: PublicWidget,
    ApiJson(request): ApiJson<EventRequest>,
) -> ApiResult<StatusCode> {
    let visitor_id = visitor(&request.visitor_id)?;
    if widget.preview {
        return Ok(StatusCode::NO_CONTENT);
    }
    let page = WebUrl::page_of(request.page_url.as_deref());
    let visit = Visit {
        visitor_id,
        origin: &widget.origin,
        page_url: &page,
        preview: false,
    };
    state
        .store
        .record_widget_event(
            widget.live.widget.id,
            request.kind,
            &visit,
            witzo_store::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
