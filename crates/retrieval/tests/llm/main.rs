//! The LLM answerer against a local server speaking the OpenAI streaming
//! chat-completions protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

mod fallbacks;
mod streaming;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use witzo_retrieval::{
    AnswerEvent, AnswerStream, Answerer, LlmAnswerer, LlmConfig, Passage, Question, Source, Turn,
};

const FALLBACK: &str = "Sorry, I can only quote the website here.";

/// Yields a known sentence, word by word.
struct FakeFallback;

impl Answerer for FakeFallback {
    fn answer(&self, _question: Question) -> AnswerStream {
        let tokens: Vec<AnswerEvent> = FALLBACK
            .split_inclusive(' ')
            .map(|t| AnswerEvent::Token(t.to_owned()))
            .collect();
        Box::pin(stream::iter(tokens))
    }
}

#[derive(Clone)]
enum Behaviour {
    /// 200 with these body chunks, then (if `stall`) nothing ever again.
    Stream { chunks: Vec<Vec<u8>>, stall: bool },
    /// This status and JSON body.
    Status(StatusCode, Value),
    /// Never responds at all.
    Silent,
}

struct Server {
    behaviour: Behaviour,
    requests: AtomicUsize,
    received: Mutex<Option<(HeaderMap, String)>>,
}

async fn completions(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    server.requests.fetch_add(1, Ordering::SeqCst);
    *server.received.lock().unwrap() = Some((headers, body));
    match server.behaviour.clone() {
        Behaviour::Stream { chunks, stall } => {
            let chunks = stream::iter(chunks).then(|chunk| async move {
                // Separate writes, so the client really sees separate chunks.
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, Infallible>(Bytes::from(chunk))
            });
            let body = if stall {
                Body::from_stream(chunks.chain(stream::pending()))
            } else {
                Body::from_stream(chunks)
            };
            (
                [
                    (header::CONTENT_TYPE, "text/event-stream"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        }
        Behaviour::Status(status, body) => (status, axum::Json(body)).into_response(),
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
    }
}

async fn serve(behaviour: Behaviour) -> (Arc<Server>, url::Url) {
    let server = Arc::new(Server {
        behaviour,
        requests: AtomicUsize::new(0),
        received: Mutex::new(None),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(Arc::clone(&server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = url::Url::parse(&format!("http://{address}/v1/")).unwrap();
    (server, base)
}

fn config(base_url: url::Url) -> LlmConfig {
    LlmConfig {
        api_key: Some("sk-test-123".to_owned()),
        // Generous enough that a loaded CI machine streams the first token
        // in time; the timeout tests below wait for these.
        timeout: Duration::from_secs(3),
        first_token_timeout: Duration::from_millis(800),
        ..LlmConfig::new(base_url, "test-model")
    }
}

fn answerer(base_url: url::Url) -> LlmAnswerer {
    LlmAnswerer::new(config(base_url), Arc::new(FakeFallback)).unwrap()
}

fn passage(title: &str, url: &str, headings: &[&str], text: &str) -> Passage {
    Passage {
        title: title.to_owned(),
        url: Some(url.to_owned()),
        heading_path: headings.iter().map(|h| (*h).to_owned()).collect(),
        text: text.to_owned(),
        score: 1.0,
    }
}

fn question() -> Question {
    Question {
        text: "Was kostet ein Brot?".to_owned(),
        language: "de".to_owned(),
        instructions: "Always be cheerful and sign with \"Ihre Bäckerei\".".to_owned(),
        passages: vec![
            passage(
                "Opening hours",
                "https://shop.example/hours",
                &["Opening hours", "Weekdays"],
                "We open at 9 am from Monday to Friday.",
            ),
            passage(
                "Prices",
                "https://shop.example/prices",
                &["Prices"],
                "A loaf of sourdough bread costs 4.50 euros.",
            ),
            passage(
                "Opening hours",
                "https://shop.example/hours",
                &["Opening hours", "Holidays"],
                "We are closed on public holidays.",
            ),
        ],
        history: vec![
            Turn {
                visitor: true,
                text: "Habt ihr Sauerteigbrot?".to_owned(),
            },
            Turn {
                visitor: false,
                text: "Ja, jeden Tag frisch [1].".to_owned(),
            },
        ],
        terms: witzo_retrieval::QueryTerms::default(),
        lead_form: false,
    }
}

fn sse_chunk(content: &str) -> String {
    let event = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}],
    });
    format!("data: {event}\n\n")
}

const TOKENS: [&str; 4] = [
    "Ein Sauerteigbrot ",
    "kostet 4,50 € ",
    "[2]. Schöne ",
    "Grüße!",
];

/// A full, well-formed stream: role chunk, keep-alive, tokens, finish, `[DONE]`.
fn full_body() -> String {
    let mut body = String::new();
    body.push_str(": keep-alive\n\n");
    let role = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test-model",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}],
    });
    body.push_str(&format!("data: {role}\n\n"));
    for token in TOKENS {
        body.push_str(&sse_chunk(token));
        body.push_str(": keep-alive\n\n");
    }
    let finish = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test-model",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    });
    body.push_str(&format!("data: {finish}\n\n"));
    body.push_str("data: [DONE]\n\n");
    body
}

/// Splits into chunks of at most 7 bytes that cut lines anywhere and every
/// multi-byte character in its middle.
fn small_chunks(body: &str) -> Vec<Vec<u8>> {
    let bytes = body.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0;
    for at in 1..bytes.len() {
        let mid_character = !body.is_char_boundary(at) && body.is_char_boundary(at - 1);
        if at - start >= 7 || mid_character {
            chunks.push(bytes[start..at].to_vec());
            start = at;
        }
    }
    chunks.push(bytes[start..].to_vec());
    assert!(
        chunks
            .iter()
            .any(|chunk| std::str::from_utf8(chunk).is_err()),
        "the test should split a UTF-8 character"
    );
    chunks
}

async fn collect(answerer: &LlmAnswerer, question: Question) -> (String, Vec<Vec<Source>>, usize) {
    let events: Vec<AnswerEvent> =
        tokio::time::timeout(Duration::from_secs(10), answerer.answer(question).collect())
            .await
            .expect("the answer should end");
    let mut text = String::new();
    let mut sources = Vec::new();
    let mut tokens = 0;
    for event in events {
        match event {
            AnswerEvent::Token(token) => {
                assert!(sources.is_empty(), "sources come last");
                tokens += 1;
                text.push_str(&token);
            }
            AnswerEvent::Sources(list) => sources.push(list),
        }
    }
    (text, sources, tokens)
}

fn prices() -> Source {
    Source {
        title: "Prices".to_owned(),
        url: Some("https://shop.example/prices".to_owned()),
    }
}

#[test]
fn the_config_debug_output_hides_the_key() {
    let config = config(url::Url::parse("http://localhost:11434/v1/").unwrap());
    let debug = format!("{config:?}");
    assert!(!debug.contains("sk-test-123"));
    assert!(debug.contains("<redacted>"));
}

#[test]
fn defaults_match_the_documentation() {
    let config = LlmConfig::new(url::Url::parse("http://localhost:11434/v1").unwrap(), "m");
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.first_token_timeout, Duration::from_secs(10));
    assert_eq!(config.max_tokens, 400);
    assert!((config.temperature - 0.2).abs() < f32::EPSILON);
    assert!(config.api_key.is_none());
    let answerer = LlmAnswerer::new(config, Arc::new(FakeFallback)).unwrap();
    assert_eq!(
        answerer.endpoint().as_str(),
        "http://localhost:11434/v1/chat/completions"
    );
}

/// Collects what the answerer logs.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failures_are_logged_without_the_key_or_the_prompt() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_, base) = serve(Behaviour::Status(
        StatusCode::UNAUTHORIZED,
        json!({"error": {
            "message": "Incorrect API key provided: sk-test-123.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        }}),
    ))
    .await;
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("401"), "{logs}");
    assert!(logs.contains("invalid_api_key"), "{logs}");
    for secret in ["sk-test-123", "Bäckerei", "sourdough", "Was kostet"] {
        assert!(!logs.contains(secret), "{secret:?} logged: {logs}");
    }
}
