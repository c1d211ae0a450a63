//! The public widget API (`/v1/…`) and the widget's scripts: no cookies,
//! CORS and the key/origin checks by the widget gate (`widgets/gate.rs`),
//! rate-limited per IP (layer), per widget (`PublicWidget`) and per visitor.

use std::convert::Infallible;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use witzo_retrieval::{AnswerEvent, Answerer, NoKnowledgeYet, Question, Source};
use witzo_store::conversations::{NewLead, NewMessage, Visit};
use witzo_store::domain::{
    CleanText, EmailAddress, TextRules, WebUrl, WidgetKey, is_public_id, random_public_id,
};

use super::ops::Health;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ApiPath};
use crate::security::rate_limit::Quota;
use crate::state::AppState;
use crate::widgets::gate::{PublicWidget, query_param};
use crate::widgets::settings::{LeadForm, Position};

/// The public API is reachable (used by the widget to tell "offline" apart).
#[utoipa::path(get, path = "/v1/health", tag = "public", responses(
    (status = 200, description = "Reachable", body = Health),
    (status = 403, description = "A browser origin that may not call the API", body = ErrorBody),
    (status = 429, description = "Rate limited (see Retry-After)", body = ErrorBody)))]
pub async fn health() -> Json<Health> {
    super::ops::healthz().await
}

/// How public widget calls name their widget.
#[derive(Deserialize, IntoParams)]
pub struct WidgetQuery {
    /// The widget's public key (`wk_…`).
    #[allow(dead_code)]
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
    params(("key" = String, Path, description = "The widget's public key"), ("preview" = Option<String>, Query, description = "Dashboard preview token")),
    responses(
        (status = 200, body = PublicConfig),
        (status = 403, description = "`origin_missing`, `widget_domain_not_allowed`, `widget_inactive`", body = ErrorBody),
        (status = 404, description = "`widget_key_invalid`", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
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
    if is_public_id(raw, "v_") {
        Ok(raw)
    } else {
        Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "visitor_id must be v_ and 32 hex digits",
        )
        .field("visitor_id"))
    }
}

fn limit_visitor(state: &AppState, widget: &PublicWidget, visitor: &str) -> ApiResult<()> {
    let limits = &state.config.limits;
    let quota = Quota::per_minute(limits.visitor_per_minute, limits.visitor_burst);
    state
        .limiter
        .check(
            &format!("visitor:{}:{visitor}", widget.live.widget.id),
            quota,
        )
        .map_err(|retry| {
            ApiError::new(
                ErrorCode::RateLimited,
                "You are sending messages too quickly.",
            )
            .retry_after(retry.secs())
        })
}

/// A page URL as stored: http(s) only, without query or fragment (they
/// can carry visitors' personal data), at most 500 characters.
fn page_url(raw: Option<&str>) -> String {
    let Some(url) = raw.and_then(|raw| WebUrl::parse(raw).ok()) else {
        return String::new();
    };
    let mut url = url::Url::parse(url.as_str()).unwrap_or_else(|_| unreachable!("WebUrl is a URL"));
    url.set_query(None);
    url.set_fragment(None);
    url.as_str().chars().take(500).collect()
}

fn text(field: &str, raw: Option<&str>, rules: TextRules) -> ApiResult<String> {
    CleanText::parse(raw.unwrap_or_default(), rules)
        .map(CleanText::into_string)
        .map_err(|e| {
            ApiError::new(ErrorCode::ValidationFailed, format!("{field} {e}")).field(field)
        })
}

pub const MAX_MESSAGE_CHARS: usize = 2000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// `v_` + 32 hex digits, random per visitor and widget.
    visitor_id: String,
    /// `c_` + 32 hex digits, to continue a conversation.
    conversation_id: Option<String>,
    /// Up to 2,000 characters.
    message: String,
    page_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChatReply {
    conversation_id: String,
    message_id: String,
    answer: String,
    sources: Vec<SourceView>,
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
        (status = 200, description = "The answer (JSON or text/event-stream)", body = ChatReply),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`message_too_long`, `validation_failed`, …", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn chat(
    State(state): State<AppState>,
    widget: PublicWidget,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChatRequest>,
) -> ApiResult<Response> {
    let visitor_id = visitor(&request.visitor_id)?;
    let rules = TextRules {
        max_chars: MAX_MESSAGE_CHARS,
        multiline: true,
        required: true,
    };
    let message = CleanText::parse(&request.message, rules).map_err(|e| {
        let code = if request.message.chars().count() > MAX_MESSAGE_CHARS {
            ErrorCode::MessageTooLong
        } else {
            ErrorCode::ValidationFailed
        };
        ApiError::new(code, format!("message {e}")).field("message")
    })?;
    if let Some(id) = &request.conversation_id
        && !is_public_id(id, "c_")
    {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "conversation_id must be c_ and 32 hex digits",
        )
        .field("conversation_id"));
    }
    limit_visitor(&state, &widget, visitor_id)?;
    let now = witzo_store::now();
    let page = page_url(request.page_url.as_deref());
    let visit = Visit {
        visitor_id,
        origin: &widget.origin,
        page_url: &page,
        preview: widget.preview,
    };
    let live = &widget.live;
    let store = &state.store;
    let (conversation, conversation_id) = store
        .open_conversation(
            live.widget.id,
            request.conversation_id.as_deref(),
            &random_public_id("c_"),
            &visit,
            now,
        )
        .await?;
    let visitor_message = NewMessage {
        public_id: &random_public_id("m_"),
        role: "visitor",
        body: message.as_str(),
        sources: "[]",
        latency_ms: None,
    };
    store
        .add_message(conversation, &visitor_message, now)
        .await?;
    // Retrieval: the widget's knowledge at its current version. A widget
    // that has not been taught anything says so honestly.
    let index = state.indexes.get(store, live.widget.id).await?;
    let (answerer, passages): (Arc<dyn Answerer>, _) = if index.is_empty() {
        (Arc::new(NoKnowledgeYet), Vec::new())
    } else {
        (state.answerer.clone(), index.search(message.as_str()))
    };
    let question = Question {
        text: message.into_string(),
        language: live.settings.language.clone(),
        instructions: live.settings.instructions.clone(),
        passages,
    };
    let answering = Answering {
        state: state.clone(),
        answerer,
        conversation,
        message_id: random_public_id("m_"),
        started: Instant::now(),
    };
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
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
    conversation: i64,
    message_id: String,
    started: Instant,
}

impl Answering {
    /// Stores the answer; returns its latency.
    async fn store(&self, answer: &str, sources: &[Source]) -> Result<i64, ApiError> {
        let latency_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let sources = serde_json::to_string(sources).unwrap_or_else(|_| "[]".to_owned());
        let message = NewMessage {
            public_id: &self.message_id,
            role: "assistant",
            body: answer,
            sources: &sources,
            latency_ms: Some(latency_ms),
        };
        self.state
            .store
            .add_message(self.conversation, &message, witzo_store::now())
            .await?;
        Ok(latency_ms)
    }

    async fn json(self, conversation_id: String, question: Question) -> ApiResult<Response> {
        let (mut answer, mut sources) = (String::new(), Vec::new());
        let mut events = self.answerer.answer(question);
        while let Some(event) = events.next().await {
            match event {
                AnswerEvent::Token(token) => answer.push_str(&token),
                AnswerEvent::Sources(found) => sources = found,
            }
        }
        self.store(&answer, &sources).await?;
        Ok(Json(ChatReply {
            conversation_id,
            message_id: self.message_id,
            answer,
            sources: sources.into_iter().map(SourceView::from).collect(),
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
                    let done = serde_json::json!({ "message_id": self.message_id, "latency_ms": latency_ms });
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

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Up,
    Down,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    visitor_id: String,
    /// The answer's `message_id` (`m_…`).
    message_id: String,
    rating: Rating,
    /// Up to 500 characters.
    reason: Option<String>,
}

/// Rates an answer (thumbs up or down, with an optional reason).
#[utoipa::path(post, path = "/v1/feedback", tag = "public", params(WidgetQuery), request_body = FeedbackRequest,
    responses((status = 204, description = "Recorded"), (status = 404, description = "No such answer for this visitor", body = ErrorBody), (status = 422, body = ErrorBody)))]
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
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    visitor_id: String,
    conversation_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Received {
    status: &'static str,
}

/// The widget's lead form: contact details a visitor chooses to leave.
#[utoipa::path(post, path = "/v1/contact", tag = "public", params(WidgetQuery), request_body = ContactRequest,
    responses((status = 201, body = Received), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
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
    let email = match request
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(raw) => EmailAddress::parse(raw)
            .map_err(|e| {
                ApiError::new(ErrorCode::ValidationFailed, format!("email {e}")).field("email")
            })?
            .to_string(),
        None => String::new(),
    };
    let phone = text("phone", request.phone.as_deref(), line(40))?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "phone may hold digits, spaces and + - ( ) . only",
        )
        .field("phone"));
    }
    if email.is_empty() && phone.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Leave an e-mail address or a phone number.",
        )
        .field("email"));
    }
    let conversation = request
        .conversation_id
        .as_deref()
        .filter(|c| is_public_id(c, "c_"));
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
    state
        .store
        .add_lead(widget.live.widget.id, &lead, witzo_store::now())
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
    visitor_id: String,
    kind: EventKind,
    page_url: Option<String>,
}

/// Widget loads and opens, for analytics (preview events are not recorded).
#[utoipa::path(post, path = "/v1/events", tag = "public", params(WidgetQuery), request_body = EventRequest,
    responses((status = 204, description = "Recorded"), (status = 422, body = ErrorBody)))]
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
    let page = page_url(request.page_url.as_deref());
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

fn script(body: String, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The widget itself. With the current `?v=` it is cached for a year.
#[utoipa::path(get, path = "/widget.js", tag = "public",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn widget_js(State(state): State<AppState>, uri: axum::http::Uri) -> Response {
    let asset = &state.assets.widget;
    let current = query_param(&uri, "v").is_some_and(|v| v == asset.hash);
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The embed loader named in the snippet (`/embed/{key}.js`): loads the
/// widget for this key from this server.
#[utoipa::path(get, path = "/embed/{file}", tag = "public",
    params(("file" = String, Path, description = "`{key}.js`")),
    responses((status = 200, description = "JavaScript", content_type = "text/javascript"), (status = 404, description = "Unknown key")))]
pub async fn loader(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let key = file
        .strip_suffix(".js")
        .and_then(|key| WidgetKey::parse(key).ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::WidgetKeyInvalid, "This widget key is not valid.")
        })?;
    if state
        .widgets
        .get(&state.store, key.as_str())
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            ErrorCode::WidgetKeyInvalid,
            "This widget key is not valid.",
        ));
    }
    let api = state.public_url.as_str().trim_end_matches('/');
    let src = format!("{api}/widget.js?v={}", state.assets.widget.hash);
    let js = |value: &str| serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned());
    let body = format!(
        "(function () {{\n  var s = document.createElement(\"script\");\n  s.src = {};\n  s.async = true;\n  \
         s.setAttribute(\"data-witzo-key\", {});\n  s.setAttribute(\"data-witzo-api\", {});\n  \
         (document.head || document.documentElement).appendChild(s);\n}})();\n",
        js(&src),
        js(key.as_str()),
        js(api)
    );
    Ok(script(body, "public, max-age=300"))
}

/// A widget's logo, served from our origin.
#[utoipa::path(get, path = "/embed/{key}/logo", tag = "public",
    params(("key" = String, Path, description = "The widget's public key")),
    responses((status = 200, description = "The image"), (status = 404, body = ErrorBody)))]
pub async fn logo(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    let key = WidgetKey::parse(&key).map_err(|_| ApiError::not_found())?;
    let live = state
        .widgets
        .get(&state.store, key.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let logo = state
        .store
        .widget_logo(live.widget.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut response = logo.bytes.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&logo.content_type).map_err(ApiError::internal)?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}
