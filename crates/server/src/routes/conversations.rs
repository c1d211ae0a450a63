//! The conversations inbox (JSON API): list across widgets with filters,
//! search and keyset pages; read, delete one or the filtered set; export
//! the filtered set as CSV or JSON Lines, streamed; forget a visitor. See
//! [`witzo_app::conversations`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::privacy::Forgotten;

use super::attachment;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientIp, Owner, OwnerSession};
use crate::state::AppState;
use witzo_app::conversations::{self, ForgetRequest, InboxPage, InboxQuery, Transcript, export};
use witzo_store::domain::{ConversationId, WidgetId};

/// The account's conversations across widgets, newest activity first, a
/// page at a time (`next` is the following page's `cursor`).
#[utoipa::path(get, path = "/api/conversations", tag = "conversations", params(InboxQuery),
    responses((status = 200, body = InboxPage),
        (status = 422, description = "`validation_failed`: a bad filter, cursor or limit", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    owner: Owner,
    ApiQuery(mut query): ApiQuery<InboxQuery>,
) -> ApiResult<Json<InboxPage>> {
    query.widget = owner.widget_filter(query.widget)?;
    Ok(Json(
        conversations::list(&state, owner.account, &query).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// Deletes every conversation matching the filters (with no filter, only
/// with `all=true`); logged in the security log.
#[utoipa::path(delete, path = "/api/conversations", tag = "conversations", params(InboxQuery),
    responses((status = 200, body = Deleted),
        (status = 422, description = "`validation_failed`: a bad filter", body = ErrorBody),
        (status = 409, description = "`confirmation_required`: no filter, and not `all=true`", body = ErrorBody)))]
pub async fn delete_filtered(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Deleted>> {
    let deleted =
        conversations::delete_filtered(&state, owner.account, &query, &ip.0.to_string()).await?;
    Ok(Json(Deleted { deleted }))
}

/// The conversations matching the filters as a file, streamed: CSV (one
/// row per message; UTF-8 with a byte-order mark; cells starting with
/// `=`, `+`, `-`, `@`, tab or carriage return prefixed with `'`) or JSON
/// Lines (one conversation per line).
#[utoipa::path(get, path = "/api/conversations/export", tag = "conversations", params(InboxQuery),
    responses((status = 200, description = "The file", content(
            (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 422, description = "`validation_failed`: a bad filter or format", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    owner: Owner,
    ApiQuery(mut query): ApiQuery<InboxQuery>,
) -> ApiResult<Response> {
    query.widget = owner.widget_filter(query.widget)?;
    let filter = conversations::filter_of(&state, owner.account, &query).await?;
    let format = query.format()?;
    let chunks = export::stream(state.core.clone(), owner.account, filter, format);
    let file_name = format!("conversations.{}", format.extension());
    Ok(attachment(chunks, format.content_type(), &file_name))
}

/// One conversation with every message, each answer's sources, rating
/// and whether it said "I don't know".
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "`c_…`", pattern = "^c_[0-9a-f]{32}$")),
    responses((status = 200, body = Transcript), (status = 404, body = ErrorBody),
        (status = 400, description = "`invalid_path`", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<Transcript>> {
    let transcript = conversations::transcript(&state, owner.account, &id).await?;
    owner.reach(WidgetId::from_raw(transcript.conversation.widget_id))?;
    Ok(Json(transcript))
}

/// Deletes one conversation and its messages.
#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "`c_…`", pattern = "^c_[0-9a-f]{32}$")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 400, description = "`invalid_path`", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<StatusCode> {
    if owner.widget.is_some() {
        let transcript = conversations::transcript(&state, owner.account, &id).await?;
        owner.reach(WidgetId::from_raw(transcript.conversation.widget_id))?;
    }
    conversations::delete_one(&state, owner.account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets a visitor, by visitor id or the e-mail address of their lead:
/// every conversation, message, rating, lead and event of theirs is
/// deleted; the security log records the counts.
#[utoipa::path(post, path = "/api/visitors/forget", tag = "conversations", request_body = ForgetRequest,
    responses((status = 200, body = Forgotten),
        (status = 422, description = "`validation_failed`: neither a visitor id nor an e-mail address, or a bad one", body = ErrorBody)))]
pub async fn forget(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(request): ApiJson<ForgetRequest>,
) -> ApiResult<Json<Forgotten>> {
    Ok(Json(
        conversations::forget(&state, owner.account, &request, &ip.0.to_string()).await?,
    ))
}
