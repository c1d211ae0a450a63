//! What visitors get from trained knowledge: grounded answers citing their
//! sources, an honest "I couldn't find that", deleted pages never cited,
//! and a configured LLM whose failures fall back to the extractive answer.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::site::page;
use crate::helpers::views::ChatReply;
use crate::helpers::{SHOP, Site, app_crawling, no_workers, spawn_app_with, start_site};

#[tokio::test]
async fn visitors_get_grounded_answers_with_sources_and_an_honest_i_dont_know() {
    let site = Site::default();
    site.set(
        "/",
        &page(
            "Home",
            "Welcome to the Graz tea shop.",
            &["/hours", "/shipping"],
        ),
    );
    site.set("/hours", &page("Opening hours", "Our shop opens at 9 am and closes at 6 pm from Monday to Saturday. On Sundays we are closed.", &["/"]));
    site.set("/shipping", &page("Shipping", "We ship to every country in the European Union within three days. Shipping is free above 50 EUR.", &["/"]));
    let addr = start_site(site).await;
    let app = app_crawling(addr).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let (source, job) = app
        .add_site(&owner, widget.id, &format!("http://{addr}/"))
        .await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, job).await.status, "succeeded");
    let chat = |message: &str| app.chat(&widget, message).from(SHOP).reply();
    let reply = chat("When do you open?").await;
    assert!(
        reply
            .answer
            .contains("Our shop opens at 9 am and closes at 6 pm")
            && reply.answer.contains("[1]"),
        "{reply:?}"
    );
    assert_eq!(
        reply.sources[0].url,
        Some(format!("http://{addr}/hours")),
        "{reply:?}"
    );
    let shipping = chat("Is shipping free within the European Union?").await;
    assert_eq!(
        shipping.sources[0].url,
        Some(format!("http://{addr}/shipping")),
        "{shipping:?}"
    );
    let transcript = app.transcript(&owner, &reply.conversation_id).await;
    let stored: Value = serde_json::from_str(&transcript.messages[1].sources).unwrap();
    assert_eq!(stored[0]["url"], format!("http://{addr}/hours"));
    assert!(
        stored[0]["score"].as_f64().unwrap() > 0.0,
        "retrieval score kept: {stored}"
    );
    let unknown = chat("Can you repair my bicycle?").await;
    assert!(
        unknown.answer.starts_with("I couldn't find that"),
        "{unknown:?}"
    );
    assert!(unknown.sources.is_empty(), "{unknown:?}");

    // A deleted page never appears in sources once the delete commits.
    let hours = app.source(&owner, source).await.page("/hours").id;
    assert_eq!(app.delete_page(&owner, hours).await.status().as_u16(), 204);
    let after = chat("When do you open?").await;
    assert!(
        after.urls().iter().all(|url| !url.ends_with("/hours")),
        "{after:?}"
    );
}

/// A local server speaking the OpenAI streaming chat-completions protocol:
/// answers `reply` in two chunks, or fails with `status`.
async fn fake_llm(reply: &'static str, status: u16) -> SocketAddr {
    let app = Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || async move {
            if status != 200 {
                let body = json!({"error": {"message": "nope", "type": "server_error"}});
                return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
            }
            let (first, second) = reply.split_at(reply.len() / 2);
            let event = |text: &str| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"delta": {"content": text}}]})
                )
            };
            let body = format!("{}{}data: [DONE]\n\n", event(first), event(second));
            ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

async fn ask_with_llm(llm: SocketAddr) -> ChatReply {
    let app = spawn_app_with(
        move |c| {
            no_workers(c);
            c.answers.llm.base_url = Some(format!("http://{llm}/v1/").parse().unwrap());
            c.answers.llm.model = "local-test-model".to_owned();
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let files = vec![(
        "hours.txt",
        b"Opening hours\n\nOur shop opens at nine in the morning.".to_vec(),
    )];
    let uploaded = app.upload_documents(&owner, widget.id, files).await;
    app.drain_jobs().await;
    assert_eq!(app.job(&owner, uploaded.job_id).await.status, "succeeded");
    app.chat(&widget, "When does the shop open?")
        .from(SHOP)
        .reply()
        .await
}

#[tokio::test]
async fn a_configured_llm_answers_and_its_failures_fall_back_to_the_extractive_answer() {
    let answered = ask_with_llm(fake_llm("We open at nine. [1]", 200).await).await;
    assert_eq!(answered.answer, "We open at nine. [1]", "{answered:?}");
    assert_eq!(answered.sources[0].title, "hours.txt");
    let fallback = ask_with_llm(fake_llm("", 500).await).await;
    assert!(
        fallback
            .answer
            .contains("Our shop opens at nine in the morning.")
            && fallback.answer.contains("[1]"),
        "{fallback:?}"
    );
}
