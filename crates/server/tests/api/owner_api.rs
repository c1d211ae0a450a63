//! The owner REST API (`/api/v1`) with a key: tenant isolation on every
//! documented route, widget-restricted keys, idempotency keys, rate-limit
//! headers, the server-side chat metered exactly like the widget's, and
//! keys kept out of logs.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::api_keys::enterprise_owner;
use crate::helpers::{
    SHOP, TestApp, error_code, header, no_workers, spawn_app, spawn_app_with, unlimited_rates,
};

/// A key of account B walks every `/api/v1` route of the OpenAPI
/// document with account A's ids: every route naming a resource answers
/// 404, and every list answers B's own (empty) data.
#[tokio::test]
async fn a_key_reaches_only_its_own_account_on_every_documented_route() {
    let app = spawn_app_with(
        |c| {
            unlimited_rates(c);
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let files = vec![("hours.txt", b"Opening hours\n\nWe open at nine.".to_vec())];
    let uploaded = app.upload_documents(&ada, widget.id, files).await;
    app.drain_jobs().await;
    let reply = app
        .chat(&widget, "Reach me at ada.visitor@example.com")
        .from(SHOP)
        .reply()
        .await;
    let lead = app.leads(&ada).await[0].id;
    let qa: Value = app
        .send_as(
            &ada,
            Method::POST,
            &format!("/api/widgets/{}/qa", widget.id),
            Some(&json!({"question": "Secret menu?", "answer": "Marker-4711."})),
        )
        .await
        .json()
        .await
        .unwrap();
    let source: Value = app
        .get_json(&ada, &format!("/api/widgets/{}/sources", widget.id))
        .await;
    let source_id = source[0]["source"]["id"].as_i64().unwrap();
    let bob = enterprise_owner(&app, "bob@example.com").await;
    let (_, key) = app
        .create_key(
            &bob,
            json!({"name": "Bob", "scopes": ["read", "write", "chat"]}),
        )
        .await;

    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            assert_eq!(
                operation["security"],
                json!([{"api_key": []}]),
                "{method} {path}"
            );
            let url = path
                .replace("/widgets/{id}", &format!("/widgets/{}", widget.id))
                .replace("/sources/{id}", &format!("/sources/{source_id}"))
                .replace("/jobs/{id}", &format!("/jobs/{}", uploaded.job_id))
                .replace(
                    "/conversations/{id}",
                    &format!("/conversations/{}", reply.conversation_id),
                )
                .replace("/leads/{id}", &format!("/leads/{lead}"))
                .replace("{qa_id}", &qa["id"].to_string());
            let body = match (method, path.as_str()) {
                ("put", "/api/v1/widgets/{id}") => {
                    Some(json!({"name": "Taken", "allowed_domains": ["evil.example.com"]}))
                }
                ("post", "/api/v1/widgets/{id}/sources") => {
                    Some(json!({"url": "https://shop.example.com/"}))
                }
                ("post" | "put", p) if p.contains("/qa") => {
                    Some(json!({"question": "Q?", "answer": "A."}))
                }
                ("patch", _) => Some(json!({"status": "converted"})),
                ("post", "/api/v1/chat") => {
                    Some(json!({"widget_id": widget.id, "visitor": "u1", "message": "Hi"}))
                }
                _ => None,
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = if path.ends_with("/documents") {
                let form = reqwest::multipart::Form::new().part(
                    "files",
                    reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
                );
                app.client
                    .post(app.url(&url))
                    .bearer_auth(&key)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
            } else {
                app.v1(&key, method.clone(), &url, body.as_ref()).await
            };
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let names_one = path.contains('{') || path == "/api/v1/chat";
            if names_one {
                assert_eq!(status, 404, "{method} {path}: {text}");
            } else {
                assert_eq!(status, 200, "{method} {path}: {text}");
                for marker in ["ada.visitor", "Marker-4711", "opens at nine", &widget.key] {
                    assert!(
                        !text.contains(marker),
                        "{method} {path} leaks {marker}: {text}"
                    );
                }
            }
            walked += 1;
        }
    }
    assert!(walked >= 25, "walked {walked} operations");
    // Ada's data is untouched.
    let pairs: Value = app
        .get_json(&ada, &format!("/api/widgets/{}/qa", widget.id))
        .await;
    assert_eq!(pairs[0]["answer"], "Marker-4711.");
    assert_eq!(app.leads(&ada).await.len(), 1);
}

#[tokio::test]
async fn a_key_restricted_to_a_widget_sees_only_that_widget() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let shop = app.create_widget(&ada, &["shop.example.com"]).await;
    let blog = app.create_widget(&ada, &["blog.example.com"]).await;
    let (_, key) = app
        .create_key(
            &ada,
            json!({"name": "Shop only", "scopes": ["read", "write"], "widget_id": shop.id}),
        )
        .await;
    let listed: Value = app
        .v1(&key, Method::GET, "/api/v1/widgets", None)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [shop.id]);
    for path in [
        format!("/api/v1/widgets/{}", blog.id),
        format!("/api/v1/widgets/{}/sources", blog.id),
        format!("/api/v1/conversations?widget={}", blog.id),
        format!("/api/v1/leads?widget={}", blog.id),
    ] {
        let response = app.v1(&key, Method::GET, &path, None).await;
        assert_eq!(error_code(response, 404).await, "not_found", "{path}");
    }
    let own = app
        .v1(
            &key,
            Method::GET,
            &format!("/api/v1/widgets/{}/qa", shop.id),
            None,
        )
        .await;
    assert_eq!(own.status().as_u16(), 200);
}

#[tokio::test]
async fn an_idempotency_key_runs_a_post_once_and_refuses_another_body() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let (_, key) = app
        .create_key(&ada, json!({"name": "CMS", "scopes": ["read", "write"]}))
        .await;
    let path = format!("/api/v1/widgets/{}/qa", widget.id);
    let post = |body: Value, idempotency: &'static str| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&key)
            .header("idempotency-key", idempotency)
            .json(&body)
            .send()
    };
    let body = json!({"question": "Do you deliver?", "answer": "Yes, daily."});
    let first = post(body.clone(), "order-1").await.unwrap();
    assert_eq!(first.status().as_u16(), 201);
    assert_eq!(header(&first, "idempotent-replayed"), None);
    let first: Value = first.json().await.unwrap();
    let again = post(body.clone(), "order-1").await.unwrap();
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = json!({"question": "Do you cater?", "answer": "Yes."});
    let response = post(other, "order-1").await.unwrap();
    assert_eq!(error_code(response, 409).await, "idempotency_key_reused");
    let response = app
        .client
        .post(app.url(&path))
        .bearer_auth(&key)
        .header("idempotency-key", "with space")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 422).await, "validation_failed");
    let pairs: Value = app
        .get_json(&ada, &format!("/api/widgets/{}/qa", widget.id))
        .await;
    assert_eq!(
        pairs.as_array().map(Vec::len),
        Some(1),
        "one effect: {pairs}"
    );
    // Without a key, each POST runs.
    let second = json!({"question": "Open Sundays?", "answer": "No."});
    for _ in 0..2 {
        let response = app.v1(&key, Method::POST, &path, Some(&second)).await;
        assert_eq!(response.status().as_u16(), 201);
    }
}

#[tokio::test]
async fn a_key_past_its_rate_limit_is_told_when_to_retry() {
    let app = spawn_app_with(
        |c| {
            c.limits.api_key_per_minute = 1;
            c.limits.api_key_burst = 2;
        },
        AppOptions::default(),
    )
    .await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let (_, key) = app
        .create_key(&ada, json!({"name": "Busy", "scopes": ["read"]}))
        .await;
    let remaining: Vec<Option<String>> = futures_util::future::join_all((0..2).map(|_| async {
        let response = app.v1(&key, Method::GET, "/api/v1/usage", None).await;
        header(&response, "ratelimit-remaining").map(str::to_owned)
    }))
    .await;
    let mut remaining: Vec<String> = remaining.into_iter().flatten().collect();
    remaining.sort();
    assert_eq!(remaining, ["0", "1"]);
    let refused = app.v1(&key, Method::GET, "/api/v1/usage", None).await;
    assert_eq!(header(&refused, "ratelimit-remaining"), Some("0"));
    assert!(
        header(&refused, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1))
    );
    assert_eq!(error_code(refused, 429).await, "rate_limited");
}

async fn fifty_api_chats_with_ten_left(app: TestApp) {
    let ada = enterprise_owner(&app, "ada@example.com").await;
    app.state
        .store
        .execute_for_test(
            "UPDATE plans SET conversations = 100 WHERE id = $1",
            "enterprise",
        )
        .await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let (_, key) = app
        .create_key(&ada, json!({"name": "Backend", "scopes": ["chat"]}))
        .await;
    app.state.store.set_usage(ada.account, 90).await.unwrap();
    let requests = (0..50).map(|i| {
        let (app, key) = (&app, key.clone());
        let body = json!({"widget_id": widget.id, "visitor": format!("user-{i}"), "message": "When do you open?"});
        async move {
            let response = app.v1(&key, Method::POST, "/api/v1/chat", Some(&body)).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let replies = futures_util::future::join_all(requests).await;
    let answered = replies.iter().filter(|r| r.0 == 200).count();
    let refused: Vec<&Value> = replies
        .iter()
        .filter(|r| r.0 == 403)
        .map(|r| &r.1)
        .collect();
    assert_eq!((answered, refused.len()), (10, 40), "{replies:?}");
    assert!(
        refused
            .iter()
            .all(|b| b["code"] == "conversation_limit_reached")
    );
    assert_eq!(app.state.store.usage(ada.account).await.unwrap().used, 100);
    // Stored in the inbox like the widget's, under the derived visitor id.
    let inbox: Value = app.get_json(&ada, "/api/conversations?limit=50").await;
    let rows = inbox["conversations"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| {
        r["origin"] == "api"
            && r["visitor_id"]
                .as_str()
                .is_some_and(|v| v.starts_with("v_"))
    }));
}

#[tokio::test]
async fn server_side_chat_is_metered_like_the_widget_on_sqlite() {
    fifty_api_chats_with_ten_left(spawn_app_with(unlimited_rates, AppOptions::default()).await)
        .await;
}

#[tokio::test]
async fn server_side_chat_is_metered_like_the_widget_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let url = db.url().to_owned();
    let app = spawn_app_with(
        move |c| {
            c.database_url = Some(url.into());
            unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await;
    fifty_api_chats_with_ten_left(app).await;
}

#[tokio::test]
async fn server_side_chat_streams_and_continues_a_conversation() {
    let app = spawn_app().await;
    let ada = enterprise_owner(&app, "ada@example.com").await;
    let widget = app.create_widget(&ada, &["shop.example.com"]).await;
    let (_, key) = app
        .create_key(&ada, json!({"name": "Backend", "scopes": ["chat"]}))
        .await;
    let first: Value = app
        .v1(
            &key,
            Method::POST,
            "/api/v1/chat",
            Some(&json!({"widget_id": widget.id, "visitor": "crm-42", "message": "Hello"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();
    let streamed = app
        .client
        .post(app.url("/api/v1/chat"))
        .bearer_auth(&key)
        .header("accept", "text/event-stream")
        .json(&json!({"widget_id": widget.id, "visitor": "crm-42", "conversation_id": conversation, "message": "Thanks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&streamed, "content-type"), Some("text/event-stream"));
    let events = streamed.text().await.unwrap();
    assert!(
        events.contains("event: meta")
            && events.contains(&conversation)
            && events.contains("event: done"),
        "{events}"
    );
    let transcript: Value = app
        .get_json(&ada, &format!("/api/conversations/{conversation}"))
        .await;
    assert_eq!(transcript["messages"].as_array().map(Vec::len), Some(4));
    for (body, status, code) in [
        (
            json!({"widget_id": widget.id, "visitor": "", "message": "Hi"}),
            422,
            "validation_failed",
        ),
        (
            json!({"widget_id": widget.id, "visitor": "a b", "message": "Hi"}),
            422,
            "validation_failed",
        ),
        (
            json!({"widget_id": widget.id, "visitor": "u", "message": "x".repeat(2001)}),
            422,
            "message_too_long",
        ),
        (
            json!({"widget_id": widget.id, "visitor": "u", "message": "Hi", "conversation_id": "c_1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"widget_id": 999999, "visitor": "u", "message": "Hi"}),
            404,
            "not_found",
        ),
    ] {
        let response = app
            .v1(&key, Method::POST, "/api/v1/chat", Some(&body))
            .await;
        assert_eq!(error_code(response, status).await, code, "{body}");
    }
}

/// The binary's logs, at debug level, never hold a presented key: the
/// request log names the method, path and status only.
#[tokio::test]
async fn keys_never_appear_in_logs() {
    let w = crate::cli::Workdir::sqlite();
    let addr = crate::helpers::free_address();
    let mut child = w
        .command()
        .env("WITZO_LOG_LEVEL", "debug")
        .args(["serve", "--listen", &addr.to_string()])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let base = format!("http://{addr}");
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(child.try_wait().unwrap().is_none(), "witzo exited early");
        assert!(std::time::Instant::now() < deadline, "never healthy");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let secret = "0123456789abcdef".repeat(4);
    let client = reqwest::Client::new();
    for path in ["/api/v1/widgets", "/api/v1/usage?x=1", "/api/v1/nope"] {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(format!("wsk_{secret}"))
            .header("idempotency-key", &secret)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{path}");
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8(output.stderr).unwrap();
    assert!(
        logs.contains("/api/v1/widgets"),
        "requests are logged: {logs}"
    );
    assert!(!logs.contains(&secret), "{logs}");
}
