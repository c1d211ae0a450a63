//! The owner REST API (`/api/v1/…`, `Authorization: Bearer wsk_…`). Its
//! resources are the dashboard's own JSON handlers mounted a second time
//! (one code path: they take [`Owner`], which is the session there and the
//! API key here); [`TWINS`] names them, and the OpenAPI document copies
//! each twin's operation to its `/api/v1` path. The owner-API layer
//! ([`crate::security::owner_api`]) checks the key, its scope and rate
//! limit, and idempotency keys before any of them runs. Two resources are
//! the API's own: usage, and the server-side chat.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post, put};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa::openapi::OpenApi;
use witzo_app::answers::turn::ChatInput;
use witzo_app::billing::owner::{Meter, billing_view};
use witzo_app::widgets::cache::{Current, PublicWidget};
use witzo_store::domain::{WidgetId, WidgetKey};

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, Owner};
use crate::routes::public::chat::{
    ChatReply, answer_turn, checked_conversation, checked_message, wants_stream,
};
use crate::routes::{conversations, leads, qa, sources, widgets};
use crate::state::AppState;

/// The dashboard routes the API offers too: `(path, methods)`; each is
/// served at the same path under `/api/v1`.
pub const TWINS: &[(&str, &[&str])] = &[
    ("/api/widgets", &["get"]),
    ("/api/widgets/{id}", &["get", "put"]),
    ("/api/widgets/{id}/sources", &["get", "post"]),
    ("/api/widgets/{id}/documents", &["post"]),
    ("/api/widgets/{id}/retrain", &["post"]),
    ("/api/sources/{id}", &["get"]),
    ("/api/sources/{id}/retrain", &["post"]),
    ("/api/jobs/{id}", &["get"]),
    ("/api/conversations", &["get"]),
    ("/api/conversations/export", &["get"]),
    ("/api/conversations/{id}", &["get", "delete"]),
    ("/api/leads", &["get"]),
    ("/api/leads/export", &["get"]),
    ("/api/leads/{id}", &["get", "patch", "delete"]),
    ("/api/widgets/{id}/qa", &["get", "post"]),
    ("/api/widgets/{id}/qa/{qa_id}", &["put", "delete"]),
];

/// The `/api/v1` path of a dashboard route.
pub fn v1_path(twin: &str) -> String {
    twin.replacen("/api/", "/api/v1/", 1)
}

/// The twins' handlers, in [`TWINS`]' order.
fn handlers(upload_body_bytes: usize) -> Vec<MethodRouter<AppState>> {
    vec![
        get(widgets::list),
        get(widgets::get).put(widgets::update),
        get(sources::list).post(sources::add_website),
        post(sources::upload).layer(DefaultBodyLimit::max(upload_body_bytes)),
        post(sources::retrain_all),
        get(sources::get),
        post(sources::retrain),
        get(sources::job),
        get(conversations::list),
        get(conversations::export),
        get(conversations::get).delete(conversations::delete),
        get(leads::list),
        get(leads::export),
        get(leads::get).patch(leads::update).delete(leads::delete),
        get(qa::list).post(qa::add),
        put(qa::update).delete(qa::delete),
    ]
}

/// `router` with the twins mounted under `/api/v1`.
pub fn mount(mut router: Router<AppState>, upload_body_bytes: usize) -> Router<AppState> {
    for ((twin, _), handler) in TWINS.iter().zip(handlers(upload_body_bytes)) {
        router = router.route(&v1_path(twin), handler);
    }
    router
}

/// Copies each twin's documented operations to its `/api/v1` path, tagged
/// `owner-api` with operation ids prefixed `v1_`; the contract modifier
/// then gives them the API key's security and errors.
pub fn document(openapi: &mut OpenApi) {
    for (twin, methods) in TWINS {
        let Some(item) = openapi.paths.paths.get(*twin).cloned() else {
            continue;
        };
        let mut copy = utoipa::openapi::PathItem::default();
        copy.parameters = item.parameters.clone();
        for method in *methods {
            let (from, to) = match *method {
                "get" => (&item.get, &mut copy.get),
                "put" => (&item.put, &mut copy.put),
                "post" => (&item.post, &mut copy.post),
                "patch" => (&item.patch, &mut copy.patch),
                "delete" => (&item.delete, &mut copy.delete),
                _ => continue,
            };
            if let Some(operation) = from {
                let mut operation = operation.clone();
                operation.operation_id = operation.operation_id.map(|id| format!("v1_{id}"));
                operation.tags = Some(vec!["owner-api".to_owned()]);
                *to = Some(operation);
            }
        }
        openapi.paths.paths.insert(v1_path(twin), copy);
    }
}

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
    let widget = state.store.widget_of(owner.account, widget_id).await?;
    let key = WidgetKey::parse(&widget.public_key).map_err(ApiError::internal)?;
    let Current {
        live,
        knowledge_version,
    } = state
        .widgets
        .get(&state.store, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !live.widget.active.0 {
        return Err(ApiError::new(
            ErrorCode::WidgetInactive,
            "This widget is switched off.",
        ));
    }
    let widget = PublicWidget {
        live,
        knowledge_version,
        origin: "api".to_owned(),
        preview: false,
    };
    answer_turn(state, &widget, &input, wants_stream(&headers)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_twin_has_its_handler_and_known_methods() {
        assert_eq!(TWINS.len(), handlers(1).len());
        for (path, methods) in TWINS {
            assert!(path.starts_with("/api/") && !methods.is_empty(), "{path}");
            for method in *methods {
                assert!(
                    ["get", "put", "post", "patch", "delete"].contains(method),
                    "{path} {method}"
                );
            }
        }
        assert_eq!(v1_path("/api/leads/{id}"), "/api/v1/leads/{id}");
    }
}
