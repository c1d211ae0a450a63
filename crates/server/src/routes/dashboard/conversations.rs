//! A conversation's transcript, where the owner can correct any answer: the
//! right answer is stored as a Q&A pair for the visitor's question.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::conversations::{ConversationSummary, Message};
use witzo_store::domain::{ConversationId, Role, WidgetId};

use super::sign_in::Alert;
use super::{Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiResult, ErrorCode};
use crate::extract::{ApiForm, ApiPath, ApiQuery, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::conversations::SourceRef;
use witzo_app::format;

#[derive(Template)]
#[template(path = "app/conversation.html")]
struct ConversationPage {
    layout: Layout,
    conversation: ConversationSummary,
    widget_id: WidgetId,
    started: String,
    /// Each message, when it was sent, and the sources it cited.
    messages: Vec<(Message, String, Vec<SourceRef>)>,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

impl ConversationPage {
    /// A message's text in pieces, the contact details a visitor typed
    /// marked (`true`) so the owner sees them.
    fn parts<'a>(&self, message: &'a Message) -> Vec<(&'a str, bool)> {
        if message.role == Role::Visitor {
            witzo_store::domain::contact_parts(&message.body)
        } else {
            vec![(message.body.as_str(), false)]
        }
    }
}

async fn conversation_page(
    state: &AppState,
    owner: &OwnerSession,
    id: &ConversationId,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let (conversation, widget_id, messages) = state
        .store
        .conversation_of(owner.account, id.as_str())
        .await?;
    let page = ConversationPage {
        layout: Layout::signed_in(state, owner, "conversations").await?,
        started: format::utc_minute(conversation.created_at),
        conversation,
        widget_id,
        messages: messages
            .into_iter()
            .map(|m| {
                let at = format::utc_minute(m.created_at);
                let sources = serde_json::from_str(&m.sources).unwrap_or_default();
                (m, at, sources)
            })
            .collect(),
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// One conversation's transcript.
#[utoipa::path(get, path = "/app/conversations/{id}", tag = "pages", params(("id" = String, Path, pattern = "^c_[0-9a-f]{32}$"), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "Not one of yours")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = match q.notice.as_deref() {
        Some("corrected") => {
            Some("Saved as a Q&A answer: visitors asking this question now get your answer.")
        }
        _ => None,
    };
    conversation_page(&state, &owner, &id, notice, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionForm {
    /// The assistant message being corrected.
    #[schema(pattern = "^m_[0-9a-f]{32}$")]
    message_id: String,
    /// The right answer, up to 4,000 characters.
    #[schema(schema_with = witzo_app::fields::required_text::<4000>)]
    answer: String,
    csrf_token: String,
}

/// "Correct this answer": stores the owner's answer as a Q&A pair whose
/// question is the visitor message before the corrected one.
#[utoipa::path(post, path = "/app/conversations/{id}/correct", tag = "pages", params(("id" = String, Path, pattern = "^c_[0-9a-f]{32}$")),
    request_body(content = CorrectionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 403, description = "The page with `plan_limit_documents`", content_type = "text/html"),
        (status = 404, description = "Not one of yours"), (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn correct(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<ConversationId>,
    ApiForm(form): ApiForm<CorrectionForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let result =
        witzo_app::qa::correct(&state, owner.account, &id, &form.message_id, &form.answer).await;
    match result {
        Ok(_) => Ok(redirect(
            &format!("/app/conversations/{id}?notice=corrected"),
            [],
        )),
        Err(err) if err.code().is_client_error() && err.code() != ErrorCode::NotFound => {
            let page =
                conversation_page(&state, &owner, &id, None, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        Err(err) => Err(err.into()),
    }
}
