//! The remote embedder against a local server speaking the OpenAI
//! embeddings protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use witzo_retrieval::{RemoteEmbedError, RemoteEmbedder};

type Reply = Arc<dyn Fn(&Value) -> Response + Send + Sync>;
/// Each request's `Authorization` header and JSON body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

#[derive(Clone)]
struct Server {
    reply: Reply,
    seen: Seen,
}

async fn embeddings(State(server): State<Server>, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap();
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    server.seen.lock().unwrap().push((auth, body.clone()));
    (server.reply)(&body)
}

async fn serve(reply: Reply) -> (RemoteEmbedder, Server) {
    let server = Server {
        reply,
        seen: Arc::default(),
    };
    let app = Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = url::Url::parse(&format!("http://{address}/v1")).unwrap();
    let embedder = RemoteEmbedder::new(
        &base,
        "test-embed",
        Some("sk-embed".to_owned()),
        Duration::from_millis(500),
    )
    .unwrap();
    (embedder, server)
}

fn texts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn vectors_come_back_in_input_order_normalised() {
    let (embedder, server) = serve(Arc::new(|_: &Value| {
        // Out of order, as the API allows.
        axum::Json(json!({
            "object": "list",
            "data": [
                {"object": "embedding", "index": 1, "embedding": [0.0, 2.0]},
                {"object": "embedding", "index": 0, "embedding": [3.0, 4.0]}
            ],
            "model": "test-embed",
            "usage": {"prompt_tokens": 4, "total_tokens": 4}
        }))
        .into_response()
    }))
    .await;
    let vectors = embedder.embed(&texts(&["first", "second"])).await.unwrap();
    assert_eq!(vectors, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen[0].0.as_deref(), Some("Bearer sk-embed"));
    assert_eq!(
        seen[0].1,
        json!({"model": "test-embed", "input": ["first", "second"]})
    );
    assert!(
        embedder
            .model_id()
            .starts_with("remote:127.0.0.1:test-embed")
    );
}

#[tokio::test]
async fn errors_and_malformed_bodies_are_refused_with_a_reason() {
    let cases: Vec<(Reply, &str)> = vec![
        (
            Arc::new(|_: &Value| {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": {"message": "Incorrect API key sk-embed", "type": "invalid_request_error"}})),
                )
                    .into_response()
            }),
            "embeddings endpoint answered HTTP 401",
        ),
        (
            Arc::new(|_: &Value| "not json".into_response()),
            "embeddings response is malformed",
        ),
        (
            Arc::new(|_: &Value| {
                axum::Json(json!({"data": [{"index": 0, "embedding": [1.0]}]})).into_response()
            }),
            "no embedding for input 1",
        ),
        (
            Arc::new(|_: &Value| {
                axum::Json(json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [1.0, 0.0]}]}))
                    .into_response()
            }),
            "embeddings differ in length",
        ),
        (
            Arc::new(|_: &Value| {
                axum::Json(json!({"data": [{"index": 5, "embedding": [1.0]}]})).into_response()
            }),
            "index 5 out of range",
        ),
    ];
    for (reply, expected) in cases {
        let (embedder, _) = serve(reply).await;
        let error = embedder.embed(&texts(&["a", "b"])).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains("sk-embed"),
            "the key never leaks: {message}"
        );
    }
}

#[tokio::test]
async fn a_stalled_endpoint_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Accepts and never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket);
        }
    });
    let base = url::Url::parse(&format!("http://{address}/v1/")).unwrap();
    let embedder = RemoteEmbedder::new(&base, "m", None, Duration::from_millis(200)).unwrap();
    let started = std::time::Instant::now();
    let error = embedder.embed(&texts(&["a"])).await.unwrap_err();
    assert!(matches!(error, RemoteEmbedError::Request(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
