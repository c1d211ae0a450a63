//! `POST /v1/chat`: a visitor's message answered from the widget's knowledge, as JSON or streamed.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{WidgetQuery, visitor};
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::routes::chat_turn::{
    ChatReply, answer_turn, checked_conversation, checked_message, wants_stream,
};
use crate::state::AppState;
use witzo_app::answers::turn::ChatInput;
use witzo_app::leads::capture;
use witzo_app::widgets::cache::PublicWidget;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// `v_` + 32 hex digits, random per visitor and widget.
    #[schema(pattern = "^v_[0-9a-f]{32}$")]
    visitor_id: String,
    /// `c_` + 32 hex digits, to continue a conversation.
    #[schema(pattern = "^c_[0-9a-f]{32}$")]
    conversation_id: Option<String>,
    /// Up to 2,000 characters, not blank.
    #[schema(schema_with = witzo_app::fields::required_text::<2000>)]
    message: String,
    page_url: Option<String>,
}

impl ChatRequest {
    /// The request's fields, validated as the schema above states them.
    fn checked<'a>(&'a self, country: &'a str) -> ApiResult<ChatInput<'a>> {
        let visitor_id = visitor(&self.visitor_id)?;
        Ok(ChatInput {
            visitor_id,
            conversation_id: checked_conversation(self.conversation_id.as_deref())?,
            message: checked_message(&self.message)?,
            page_url: self.page_url.as_deref(),
            country,
        })
    }
}

/// Answers a visitor's message: JSON, or with `Accept: text/event-stream`
/// a stream of `meta`, `token`…, `sources`, `done` (or `error`) events.
#[utoipa::path(post, path = "/v1/chat", tag = "public", params(WidgetQuery), request_body = ChatRequest,
    responses(
        (status = 200, description = "The answer: JSON, or with `Accept: text/event-stream` the events \
            `meta`, `token`…, `sources` and `done` (or `error`)",
            content((ChatReply = "application/json"), (String = "text/event-stream"))),
        (status = 403, description = "`conversation_limit_reached`: the plan's conversations are used up this month \
            (with `used`, `limit`, `plan`, `reset_at`, `lead_form`)"),
        (status = 422, description = "`message_too_long`: over 2,000 characters")))]
pub async fn chat(
    State(state): State<AppState>,
    widget: PublicWidget,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChatRequest>,
) -> ApiResult<Response> {
    let country = capture::country_from_languages(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let input = request.checked(&country)?;
    answer_turn(state, &widget, &input, wants_stream(&headers)).await
}
