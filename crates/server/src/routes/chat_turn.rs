//! A chat turn answered over HTTP, as JSON or as server-sent events: the
//! widget's `POST /v1/chat` and the owner API's `POST /api/v1/chat` both
//! parse their request, then come here, so both are limited, metered and
//! stored alike (by the use cases `turn::begin` and `Answering::store`).

use std::convert::Infallible;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use witzo_app::answers::answering::Answering;
use witzo_app::answers::respond;
use witzo_app::answers::turn::{self, ChatInput, UsageView};
use witzo_app::widgets::cache::PublicWidget;
use witzo_retrieval::{AnswerEvent, Question, Source};
use witzo_store::domain::{CleanText, TextRules, is_public_id};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::routes::public::limit_visitor;
use crate::state::AppState;

pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A visitor's message: clean text of at most 2,000 characters.
pub fn checked_message(raw: &str) -> ApiResult<CleanText> {
    let rules = TextRules {
        max_chars: MAX_MESSAGE_CHARS,
        multiline: true,
        required: true,
    };
    CleanText::parse(raw, rules).map_err(|e| {
        let code = if raw.chars().count() > MAX_MESSAGE_CHARS {
            ErrorCode::MessageTooLong
        } else {
            ErrorCode::ValidationFailed
        };
        ApiError::new(code, format!("message {e}")).field("message")
    })
}

/// A conversation to continue, when named: `c_` and 32 hex digits.
pub fn checked_conversation(raw: Option<&str>) -> ApiResult<Option<&str>> {
    match raw {
        Some(id) if !is_public_id(id, "c_") => Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "conversation_id must be c_ and 32 hex digits",
        )
        .field("conversation_id")),
        other => Ok(other),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChatReply {
    conversation_id: String,
    message_id: String,
    answer: String,
    sources: Vec<SourceView>,
    /// The answer has no sources and the widget's lead form can take the
    /// visitor's contact details: the widget opens it.
    offer_lead_form: bool,
    usage: UsageView,
}

#[derive(Serialize, ToSchema)]
pub struct SourceView {
    title: String,
    url: Option<String>,
}

impl From<Source> for SourceView {
    fn from(s: Source) -> Self {
        Self {
            title: s.title,
            url: s.url,
        }
    }
}

/// Whether the client asked for server-sent events.
pub fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// One checked chat turn, answered as JSON or streamed: the widget's chat
/// and the owner API's server-side chat both come here, so both are
/// limited, metered and stored alike.
pub async fn answer_turn(
    state: AppState,
    widget: &PublicWidget,
    input: &ChatInput<'_>,
    streamed: bool,
) -> ApiResult<Response> {
    limit_visitor(&state, widget, input.visitor_id).await?;
    let turn = turn::begin(&state, widget, input).await?;
    let (answering, question) = Answering::new(widget, turn);
    let reply = Reply { state, answering };
    if streamed {
        Ok(reply.stream(question))
    } else {
        reply.json(question).await
    }
}

/// An answer being generated for the door that asked: sent as JSON or as
/// events, then stored by the use case.
struct Reply {
    state: AppState,
    answering: Answering,
}

impl Reply {
    async fn json(self, question: Question) -> ApiResult<Response> {
        let answering = &self.answering;
        let (answer, sources) = respond::collect(answering.answerer.as_ref(), question).await;
        answering.store(&self.state, &answer, &sources).await?;
        Ok(Json(ChatReply {
            conversation_id: answering.conversation_id.clone(),
            message_id: answering.message_id.clone(),
            offer_lead_form: answering.offers_lead_form(&sources),
            answer,
            sources: sources.into_iter().map(SourceView::from).collect(),
            usage: answering.usage.clone(),
        })
        .into_response())
    }

    /// Streams the answer as server-sent events. The answer is generated and
    /// stored by its own task, so a visitor who leaves mid-answer does not
    /// lose it from the transcript.
    fn stream(self, question: Question) -> Response {
        let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
        tokio::spawn(async move {
            let answering = &self.answering;
            let send = |event: Event| {
                let tx = tx.clone();
                async move { tx.send(event).await.is_ok() }
            };
            send(json_event(
                "meta",
                &serde_json::json!({ "conversation_id": answering.conversation_id }),
            ))
            .await;
            let (mut answer, mut sources) = (String::new(), Vec::new());
            let mut events = answering.answerer.answer(question);
            while let Some(event) = events.next().await {
                match event {
                    AnswerEvent::Token(token) => {
                        send(json_event("token", &serde_json::json!({ "text": token }))).await;
                        answer.push_str(&token);
                    }
                    AnswerEvent::Sources(found) => {
                        let views: Vec<SourceView> =
                            found.iter().cloned().map(SourceView::from).collect();
                        send(json_event(
                            "sources",
                            &serde_json::json!({ "sources": views }),
                        ))
                        .await;
                        sources = found;
                    }
                }
            }
            match answering.store(&self.state, &answer, &sources).await {
                Ok(latency_ms) => {
                    let done = serde_json::json!({
                        "message_id": answering.message_id,
                        "latency_ms": latency_ms,
                        "usage": answering.usage,
                        "offer_lead_form": answering.offers_lead_form(&sources),
                    });
                    send(json_event("done", &done)).await;
                }
                Err(err) => {
                    tracing::error!(
                        cause = err.cause().unwrap_or_default(),
                        "could not store an answer"
                    );
                    let error = serde_json::json!({ "code": "internal_error", "message": "Something went wrong. Please try again." });
                    send(json_event("error", &error)).await;
                }
            }
        });
        let events = tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, Infallible>);
        let mut response = Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response();
        // Tell buffering proxies to pass tokens through as they come.
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

fn json_event(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}
