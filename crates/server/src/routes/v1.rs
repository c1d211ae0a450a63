//! The owner REST API (`/api/v1/…`, `Authorization: Bearer wsk_…`). Its
//! resources are the dashboard's own JSON handlers mounted a second time
//! (one code path: they take [`Owner`], which is the session there and the
//! API key here); `app/twins.rs` names and mounts them, and the OpenAPI
//! document copies each twin's operation to its `/api/v1` path. The owner-API layer
//! ([`crate::security::owner_api`]) checks the key, its scope and rate
//! limit, and idempotency keys before any of them runs. Two resources are
//! the API's own: usage, and the server-side chat.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use witzo_app::answers::turn::{self, ChatInput};
use witzo_app::billing::owner::{Meter, billing_view};
use witzo_store::domain::WidgetId;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, Owner};
use crate::routes::chat_turn::{
    ChatReply, answer_turn, checked_conversation, checked_message, wants_stream,
};
use crate::state::AppState;

/// The account's plan and usage meters.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    /// The plan's id (`free`, `basic`, …).
    pub plan: String,
    /// When this cycle ends and the allowance renews (unix seconds).
    pub renews_at: i64,
    pub meters: Vec<Meter>,
}

/// The plan and what is used of it this cycle.
#[utoipa::path(get, path = "/api/v1/usage", tag = "owner-api",
    responses((status = 200, body = Usage)))]
pub async fn usage(State(state): State<AppState>, owner: Owner) -> ApiResult<Json<Usage>> {
    let view = billing_view(&state, owner.account).await?;
    Ok(Json(Usage {
        plan: view.plan.id,
        renews_at: view.renews_at,
        meters: view.meters,
    }))
}

/// A turn of the server-side chat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiChatRequest {
    /// The widget whose knowledge and settings answer.
    #[schema(minimum = 1)]
    pub widget_id: i64,
    /// Your own id for the person asking (1–128 characters): the same id
    /// continues to be the same visitor.
    #[schema(min_length = 1, max_length = 128, pattern = "^[\\x21-\\x7e]+$")]
    pub visitor: String,
    /// A conversation to continue (`c_…`, from an earlier answer).
    #[schema(pattern = "^c_[0-9a-f]{32}$")]
    pub conversation_id: Option<String>,
    #[schema(schema_with = witzo_app::fields::required_text::<2000>)]
    pub message: String,
}

/// Your visitor id as Witzo stores it: `v_` and 32 hex digits derived from
/// the account and your id, so ids never collide across accounts.
fn visitor_of(owner: &Owner, raw: &str) -> ApiResult<String> {
    let ok = (1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "visitor must be 1 to 128 visible ASCII characters",
        )
        .field("visitor"));
    }
    let digest = Sha256::digest(format!("{}:{raw}", owner.account).as_bytes());
    Ok(format!("v_{}", &hex::encode(digest)[..32]))
}

/// Asks the widget's agent from your own server: the widget's answering
/// path (usage metering, rate limits, storage in the inbox), answered as
/// JSON, or with `Accept: text/event-stream` as the widget's events.
#[utoipa::path(post, path = "/api/v1/chat", tag = "owner-api", request_body = ApiChatRequest,
    responses(
        (status = 200, description = "The answer: JSON, or with `Accept: text/event-stream` the events \
            `meta`, `token`…, `sources` and `done` (or `error`)",
            content((ChatReply = "application/json"), (String = "text/event-stream"))),
        (status = 403, description = "`conversation_limit_reached`: the plan's conversations are used up this month; \
            `widget_inactive`: the widget is switched off", body = ErrorBody),
        (status = 404, description = "`not_found`: not one of the key's widgets", body = ErrorBody),
        (status = 422, description = "`validation_failed`; `message_too_long`: over 2,000 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`: this visitor or widget is sending too fast", body = ErrorBody)))]
pub async fn server_chat(
    State(state): State<AppState>,
    owner: Owner,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ApiChatRequest>,
) -> ApiResult<Response> {
    let widget_id = WidgetId::from_raw(request.widget_id);
    owner.reach(widget_id)?;
    let visitor_id = visitor_of(&owner, &request.visitor)?;
    let input = ChatInput {
        visitor_id: &visitor_id,
        conversation_id: checked_conversation(request.conversation_id.as_deref())?,
        message: checked_message(&request.message)?,
        page_url: None,
        country: "",
    };
    let widget = turn::server_widget(&state, owner.account, widget_id).await?;
    answer_turn(state, &widget, &input, wants_stream(&headers)).await
}
