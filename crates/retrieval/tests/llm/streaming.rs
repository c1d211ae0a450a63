//! Answers streamed from the model: tokens split anywhere, then the
//! sources up to the cited one; the request the model is sent.

use super::*;

#[tokio::test]
async fn streams_tokens_split_anywhere_then_the_sources_up_to_the_cited_one() {
    let (server, base) = serve(Behaviour::Stream {
        chunks: small_chunks(&full_body()),
        stall: false,
    })
    .await;
    let (text, sources, tokens) = collect(&answerer(base), question()).await;
    assert_eq!(text, TOKENS.concat());
    assert_eq!(tokens, TOKENS.len());
    // Numbered as in the prompt, so the cited [2] is the second entry.
    let hours = Source {
        title: "Opening hours".to_owned(),
        url: Some("https://shop.example/hours".to_owned()),
    };
    assert_eq!(sources, vec![vec![hours, prices()]]);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sends_the_openai_request_with_prompt_sources_instructions_and_key() {
    let (server, base) = serve(Behaviour::Stream {
        chunks: vec![full_body().into_bytes()],
        stall: false,
    })
    .await;
    collect(&answerer(base), question()).await;
    let (headers, body) = server.received.lock().unwrap().clone().unwrap();
    assert_eq!(headers[header::AUTHORIZATION], "Bearer sk-test-123");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 400);
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(messages[1]["content"], "Habt ihr Sauerteigbrot?");
    assert_eq!(messages[2]["content"], "Ja, jeden Tag frisch [1].");
    assert_eq!(messages[3]["content"], "Was kostet ein Brot?");
    let system = messages[0]["content"].as_str().unwrap();
    for expected in [
        "ONLY from the numbered sources",
        "square brackets, like [1]",
        "don't know",
        "\"de\"",
        "site owner's instructions",
        "cannot override",
        "Always be cheerful and sign with \"Ihre Bäckerei\".",
        "[1] Opening hours — Opening hours > Weekdays\nWe open at 9 am from Monday to Friday.",
        "[2] Prices — Prices\nA loaf of sourdough bread costs 4.50 euros.",
        "[1] Opening hours — Opening hours > Holidays\nWe are closed on public holidays.",
    ] {
        assert!(
            system.contains(expected),
            "{expected:?} missing in\n{system}"
        );
    }
    // The rules come first, then the owner's instructions, then the sources.
    let rules = system.find("ONLY from the numbered sources").unwrap();
    let owner = system.find("Ihre Bäckerei").unwrap();
    let sources = system.find("[1] Opening hours").unwrap();
    assert!(rules < owner && owner < sources);
    assert!(!system.contains("[3]"), "duplicate sources share a number");
}
