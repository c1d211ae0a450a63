//! `POST /v1/chat`: a visitor's message answered from the widget's knowledge, as JSON or streamed.

use std::convert::Infallible;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use witzo_retrieval::{AnswerEvent, Answerer, Question, Source};
use witzo_store::conversations::NewMessage;
use witzo_store::domain::{CleanText, Role, TextRules, is_public_id, random_public_id};

use super::{WidgetQuery, limit_visitor, visitor};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ApiJson;
use crate::state::AppState;
use witzo_app::answers::respond::{self, Score};
use witzo_app::answers::turn::{self, ChatInput, StoredAnswer, Turn, UsageView};
use witzo_app::leads::capture;
use witzo_app::webhooks::events::PendingAnswer;
use witzo_app::widgets::cache::PublicWidget;

pub const MAX_MESSAGE_CHARS: usize = 2000;

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
    let conversation_id = turn.conversation_id.clone();
    let question = turn.question.clone();
    let answering = Answering::from(state, widget, turn);
    if streamed {
        Ok(answering.stream(conversation_id, question))
    } else {
        answering.json(conversation_id, question).await
    }
}

/// One answer in progress: generated, sent, then stored with its latency.
struct Answering {
    state: AppState,
    answerer: Arc<dyn Answerer>,
    /// Retrieval's scores of each passage.
    scores: Vec<Score>,
    /// Whether a reply without sources opens the widget's lead form.
    offer_lead_form: bool,
    conversation: i64,
    message_id: String,
    started: Instant,
    usage: UsageView,
    /// What a refusal is filed under in the content gaps: the widget,
    /// the visitor's question; `None` for small talk and the preview.
    gap: Option<(witzo_store::domain::WidgetId, String)>,
    /// The `message.answered` webhook event, sent once the answer is
    /// stored; `None` for the preview.
    pending: Option<PendingAnswer>,
    /// The answer, when it was stored with the turn.
    stored: Option<StoredAnswer>,
}

impl Answering {
    fn from(state: AppState, widget: &PublicWidget, turn: Turn) -> Self {
        let gap = (!widget.preview && !turn.small_talk)
            .then(|| (widget.live.widget.id, turn.question.text.clone()));
        Self {
            gap,
            pending: turn.pending_answer,
            state,
            answerer: turn.answerer,
            scores: turn.scores,
            offer_lead_form: turn.offer_lead_form,
            conversation: turn.conversation,
            message_id: turn
                .stored_answer
                .as_ref()
                .map_or_else(|| random_public_id("m_"), |stored| stored.public_id.clone()),
            stored: turn.stored_answer,
            started: Instant::now(),
            usage: turn.usage,
        }
    }

    /// Stores the answer; returns its latency.
    async fn store(&self, answer: &str, sources: &[Source]) -> Result<i64, ApiError> {
        let latency_ms = match &self.stored {
            Some(stored) => stored.latency_ms,
            None => i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        // No sources: retrieval found nothing to quote ("I don't know").
        let refused = sources.is_empty() && self.gap.is_some();
        // Stored with the turn already when the answer was known before it.
        if self.stored.is_none() {
            let stored = respond::sources_json(&self.scores, sources);
            // A refusal's question is filed under its content gap in
            // the answer's commit.
            let gap = match (&self.gap, refused) {
                (Some((_, question)), true) => witzo_app::gaps::vector(&self.state, question).await,
                _ => None,
            };
            let message = NewMessage {
                public_id: &self.message_id,
                role: Role::Assistant,
                body: answer,
                sources: &stored,
                latency_ms: Some(latency_ms),
            };
            self.state
                .store
                .add_answer(
                    self.conversation,
                    &message,
                    refused,
                    // Counted in the top questions: not small talk, not the preview.
                    self.gap
                        .as_ref()
                        .map(|(widget, question)| (*widget, question.as_str())),
                    gap,
                    witzo_store::now(),
                )
                .await?;
        }
        if let Some(pending) = &self.pending {
            let at = witzo_store::now();
            pending
                .answered(&self.state, &self.message_id, answer, sources, refused, at)
                .await;
        }
        Ok(latency_ms)
    }

    async fn json(self, conversation_id: String, question: Question) -> ApiResult<Response> {
        let (answer, sources) = respond::collect(self.answerer.as_ref(), question).await;
        self.store(&answer, &sources).await?;
        Ok(Json(ChatReply {
            conversation_id,
            message_id: self.message_id,
            offer_lead_form: self.offer_lead_form && sources.is_empty(),
            answer,
            sources: sources.into_iter().map(SourceView::from).collect(),
            usage: self.usage,
        })
        .into_response())
    }

    /// Streams the answer as server-sent events. The answer is generated and
    /// stored by its own task, so a visitor who leaves mid-answer does not
    /// lose it from the transcript.
    fn stream(self, conversation_id: String, question: Question) -> Response {
        let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
        tokio::spawn(async move {
            let send = |event: Event| {
                let tx = tx.clone();
                async move { tx.send(event).await.is_ok() }
            };
            send(json_event(
                "meta",
                &serde_json::json!({ "conversation_id": conversation_id }),
            ))
            .await;
            let (mut answer, mut sources) = (String::new(), Vec::new());
            let mut events = self.answerer.answer(question);
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
            match self.store(&answer, &sources).await {
                Ok(latency_ms) => {
                    let done = serde_json::json!({
                        "message_id": self.message_id,
                        "latency_ms": latency_ms,
                        "usage": self.usage,
                        "offer_lead_form": self.offer_lead_form && sources.is_empty(),
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
