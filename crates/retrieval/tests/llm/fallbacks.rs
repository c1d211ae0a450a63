//! Every way the model can fail — refused, limited, broken, silent,
//! stalled, cut off, malformed, empty, unreachable — ends in the quoting
//! answer or a clean end with sources, never an error to the visitor.

use super::*;

#[tokio::test]
async fn unauthorized_falls_back() {
    let (server, base) = serve(Behaviour::Status(
        StatusCode::UNAUTHORIZED,
        json!({"error": {
            "message": "Incorrect API key provided: sk-te***23.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        }}),
    ))
    .await;
    let (text, sources, _) = collect(&answerer(base), question()).await;
    assert_eq!(text, FALLBACK);
    assert!(sources.is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rate_limited_falls_back() {
    let (_, base) = serve(Behaviour::Status(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
    ))
    .await;
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
}

#[tokio::test]
async fn server_error_falls_back() {
    let (server, base) = serve(Behaviour::Status(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}}),
    ))
    .await;
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn silent_server_falls_back_after_the_first_token_timeout() {
    let (server, base) = serve(Behaviour::Silent).await;
    let started = Instant::now();
    let (text, _, _) = collect(&answerer(base), question()).await;
    let took = started.elapsed();
    assert_eq!(text, FALLBACK);
    assert!(took >= Duration::from_millis(750), "took {took:?}");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn headers_without_any_token_fall_back_after_the_first_token_timeout() {
    let (_, base) = serve(Behaviour::Stream {
        chunks: vec![b": keep-alive\n\n".to_vec()],
        stall: true,
    })
    .await;
    let started = Instant::now();
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[tokio::test]
async fn a_stall_after_two_tokens_ends_cleanly_with_sources() {
    let body = format!("{}{}", sse_chunk(TOKENS[0]), sse_chunk(TOKENS[1]));
    let (_, base) = serve(Behaviour::Stream {
        chunks: small_chunks(&body),
        stall: true,
    })
    .await;
    let answerer = answerer(base); // timeout 3 s
    let started = Instant::now();
    let (text, sources, tokens) = collect(&answerer, question()).await;
    let took = started.elapsed();
    assert_eq!(text, format!("{}{}", TOKENS[0], TOKENS[1]));
    assert_eq!(tokens, 2);
    // Nothing cited: all (deduplicated) sources.
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].len(), 2);
    assert_eq!(sources[0][1], prices());
    assert!(took < Duration::from_millis(4500), "took {took:?}");
}

#[tokio::test]
async fn a_dropped_connection_after_tokens_ends_cleanly_with_sources() {
    // No `[DONE]`: the body just ends after a token.
    let (_, base) = serve(Behaviour::Stream {
        chunks: vec![sse_chunk("Es kostet 4,50 € [2]").into_bytes()],
        stall: false,
    })
    .await;
    let (text, sources, _) = collect(&answerer(base), question()).await;
    assert_eq!(text, "Es kostet 4,50 € [2]");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].len(), 2, "numbered up to the cited [2]");
    assert_eq!(sources[0][1], prices());
}

#[tokio::test]
async fn no_passages_fall_back_without_calling_the_model() {
    let (server, base) = serve(Behaviour::Stream {
        chunks: vec![full_body().into_bytes()],
        stall: false,
    })
    .await;
    let question = Question {
        passages: Vec::new(),
        ..question()
    };
    let (text, sources, _) = collect(&answerer(base), question).await;
    assert_eq!(text, FALLBACK);
    assert!(sources.is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn malformed_json_before_any_token_falls_back() {
    let body = format!("data: {{\"choices\": [{{\"delta\": \n\n{}", full_body());
    let (server, base) = serve(Behaviour::Stream {
        chunks: small_chunks(&body),
        stall: false,
    })
    .await;
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_empty_answer_falls_back() {
    let (_, base) = serve(Behaviour::Stream {
        chunks: vec![b"data: [DONE]\n\n".to_vec()],
        stall: false,
    })
    .await;
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
}

#[tokio::test]
async fn an_unreachable_server_falls_back() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let base = url::Url::parse(&format!("http://{address}/v1/")).unwrap();
    assert_eq!(collect(&answerer(base), question()).await.0, FALLBACK);
}
