//! What visitors send besides messages: ratings, the lead form, widget events.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use witzo_store::conversations::{NewLead, Visit};
use witzo_store::domain::{EmailAddress, TextRules, WebUrl, is_public_id};

use super::{WidgetQuery, limit_visitor, text, visitor};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ApiJson;
use crate::state::AppState;
use witzo_app::fields;
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
    if !is_public_id(&request.message_id, "m_") {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "message_id must be m_ and 32 hex digits",
        )
        .field("message_id"));
    }
    let reason = text(
        "reason",
        request.reason.as_deref(),
        TextRules {
            max_chars: 500,
            multiline: true,
            required: false,
        },
    )?;
    limit_visitor(&state, &widget, visitor_id)?;
    let rating = match request.rating {
        Rating::Up => 1,
        Rating::Down => -1,
    };
    state
        .store
        .rate_message(
            widget.live.widget.id,
            visitor_id,
            &request.message_id,
            rating,
            &reason,
        )
        .await?;
    if rating < 0 && !widget.preview {
        witzo_app::gaps::rated_down(&state, widget.live.widget.id, &request.message_id).await?;
    }
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

/// A phone number as the lead form takes it (see [`fields::nullable_phone`]).
fn phone(raw: &str) -> ApiResult<String> {
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let valid =
        raw.chars().count() <= 40 && raw.chars().all(allowed) && raw.chars().any(|c| c != ' ');
    if !valid {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "phone may hold digits, spaces and + - ( ) . only, at most 40 characters",
        )
        .field("phone"));
    }
    Ok(raw.trim().to_owned())
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
    ApiJson(request): ApiJson<ContactRequest>,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let visitor_id = visitor(&request.visitor_id)?;
    let line = |max| TextRules {
        max_chars: max,
        multiline: false,
        required: false,
    };
    let name = text("name", request.name.as_deref(), line(100))?;
    let company = text("company", request.company.as_deref(), line(100))?;
    let message = text(
        "message",
        request.message.as_deref(),
        TextRules {
            max_chars: 2000,
            multiline: true,
            required: false,
        },
    )?;
    let email = match request.email.as_deref() {
        Some(raw) => EmailAddress::parse(raw)
            .map_err(|e| {
                ApiError::new(ErrorCode::ValidationFailed, format!("email {e}")).field("email")
            })?
            .to_string(),
        None => String::new(),
    };
    let phone = request.phone.as_deref().map(phone).transpose()?;
    let phone = phone.unwrap_or_default();
    if email.is_empty() && phone.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Leave an e-mail address or a phone number.",
        )
        .field("email"));
    }
    let conversation = request.conversation_id.as_deref();
    if conversation.is_some_and(|c| !is_public_id(c, "c_")) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "conversation_id must be c_ and 32 hex digits",
        )
        .field("conversation_id"));
    }
    limit_visitor(&state, &widget, visitor_id)?;
    let lead = NewLead {
        visitor_id,
        conversation,
        name: &name,
        email: &email,
        phone: &phone,
        company: &company,
        message: &message,
    };
    // Past the plan's leads the lead is still kept, locked until an upgrade.
    let limit = state
        .store
        .account_plan(widget.live.widget.account_id)
        .await?
        .leads;
    state
        .store
        .add_lead(widget.live.widget.id, &lead, limit, witzo_store::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Received { status: "received" })))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    WidgetLoaded,
    Opened,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    #[schema(pattern = "^v_[0-9a-f]{32}$")]
    visitor_id: String,
    kind: EventKind,
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
    let kind = match request.kind {
        EventKind::WidgetLoaded => "widget_loaded",
        EventKind::Opened => "opened",
    };
    let page = WebUrl::page_of(request.page_url.as_deref());
    let visit = Visit {
        visitor_id,
        origin: &widget.origin,
        page_url: &page,
        preview: false,
    };
    state
        .store
        .record_widget_event(widget.live.widget.id, kind, &visit, witzo_store::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
