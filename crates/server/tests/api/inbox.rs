//! The conversations inbox, analytics and content gaps over the JSON API.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::owner::app_with_owners_on;
use crate::helpers::{Owner, SHOP, TestApp, error_code, visitor};

async fn key_of(app: &TestApp, owner: &Owner, widget: i64) -> String {
    app.widget(owner, widget).await.key
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["public_id"].as_str().map(str::to_owned))
        .collect()
}

async fn app_with_owners() -> (TestApp, Owner, i64, Owner, i64) {
    app_with_owners_on(None).await
}

#[tokio::test]
async fn the_inbox_filters_searches_exports_and_stays_within_the_account() {
    inbox_flow(None).await;
}

#[tokio::test]
async fn the_inbox_filters_searches_exports_and_stays_within_the_account_on_postgresql() {
    let Some(db) = witzo_store::testing::TestDatabase::postgres().await else {
        return;
    };
    inbox_flow(Some(db.url().to_owned())).await;
}

async fn inbox_flow(database: Option<String>) {
    let (app, ada, widget, bob, _) = app_with_owners_on(database).await;
    let key = key_of(&app, &ada, widget).await;
    let mut chats = Vec::new();
    for question in [
        "Do you sell gift cards?",
        "Where can I park?",
        "=HYPERLINK(\"x\") cards",
        "Opening hours?",
    ] {
        let v = visitor();
        let reply = app
            .chat(&key, question)
            .visitor(&v)
            .from(SHOP)
            .reply()
            .await;
        chats.push((v, reply));
    }
    let (v1, r1) = &chats[1];
    let rated = app
        .feedback(
            &key,
            json!({"visitor_id": v1, "message_id": r1.message_id, "rating": "down"}),
        )
        .from(SHOP)
        .status()
        .await;
    assert_eq!(rated, 204);
    let (v3, r3) = &chats[3];
    let lead = app
        .contact(&key, json!({"visitor_id": v3, "conversation_id": r3.conversation_id, "email": "eve@example.com"}))
        .from(SHOP)
        .status()
        .await;
    assert_eq!(lead, 201);

    let all: Value = app.get_json(&ada, "/api/conversations").await;
    assert_eq!(ids(&all).len(), 4);
    let page = |q: &str| format!("/api/conversations?{q}");
    let one = |i: usize| BTreeSet::from([chats[i].1.conversation_id.clone()]);
    assert_eq!(
        ids(&app.get_json(&ada, &page("rated_down=true")).await),
        one(1)
    );
    assert_eq!(
        ids(&app.get_json(&ada, &page("with_lead=true")).await),
        one(3)
    );
    assert_eq!(ids(&app.get_json(&ada, &page("q=GIFT")).await), one(0));
    let cards: BTreeSet<String> = [0, 2]
        .iter()
        .map(|&i| chats[i].1.conversation_id.clone())
        .collect();
    assert_eq!(ids(&app.get_json(&ada, &page("q=cards")).await), cards);
    assert_eq!(
        ids(&app.get_json(&ada, &page("unanswered=true")).await).len(),
        4,
        "an untrained widget refuses"
    );
    // Pages of one chain through the whole list.
    let mut seen = BTreeSet::new();
    let mut next = Some(String::new());
    while let Some(cursor) = next {
        let p: Value = app
            .get_json(&ada, &page(&format!("limit=1&cursor={cursor}")))
            .await;
        seen.extend(ids(&p));
        next = p["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ids(&all));

    // The export of a filter parses back into exactly its conversations.
    let csv = app
        .get_as(&ada, "/api/conversations/export?q=cards&format=csv")
        .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let body = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let exported: BTreeSet<String> = rows.iter().map(|r| r[0].to_owned()).collect();
    assert_eq!(exported, cards);
    assert!(
        rows.iter().any(|r| r[8].starts_with("'=HYPERLINK")),
        "formula neutralised"
    );
    let jsonl = app
        .get_as(&ada, "/api/conversations/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exported: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l["conversation_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(exported, ids(&all));
    assert!(
        lines
            .iter()
            .all(|l| l["messages"].as_array().map(Vec::len) == Some(2))
    );

    // Another account sees none of it and can delete none of it.
    let theirs: Value = app.get_json(&bob, "/api/conversations").await;
    assert!(ids(&theirs).is_empty());
    let id = &chats[0].1.conversation_id;
    for method in [Method::GET, Method::DELETE] {
        let response = app
            .send_as(&bob, method, &format!("/api/conversations/{id}"), None)
            .await;
        assert_eq!(error_code(response, 404).await, "not_found");
    }
    let response = app
        .get_as(&bob, &format!("/api/analytics?widget={widget}"))
        .await;
    assert_eq!(error_code(response, 404).await, "not_found");
    let empty = app
        .get_as(&bob, "/api/conversations/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    assert!(empty.is_empty());
    let forgot = app
        .send_as(
            &bob,
            Method::POST,
            "/api/visitors/forget",
            Some(&json!({"email": "eve@example.com"})),
        )
        .await;
    assert_eq!(forgot.json::<Value>().await.unwrap()["conversations"], 0);

    // Delete one, then the filtered set; forget a visitor by lead address.
    let response = app
        .send_as(
            &ada,
            Method::DELETE,
            &format!("/api/conversations/{id}"),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let response = app
        .send_as(
            &ada,
            Method::DELETE,
            "/api/conversations?rated_down=true",
            None,
        )
        .await;
    assert_eq!(response.json::<Value>().await.unwrap()["deleted"], 1);
    let forgot = app
        .send_as(
            &ada,
            Method::POST,
            "/api/visitors/forget",
            Some(&json!({"email": "eve@example.com"})),
        )
        .await;
    let forgot: Value = forgot.json().await.unwrap();
    assert_eq!(
        (forgot["conversations"].as_i64(), forgot["leads"].as_i64()),
        (Some(1), Some(1))
    );
    let left: Value = app.get_json(&ada, "/api/conversations").await;
    assert_eq!(ids(&left), one(2));
    let log: Value = app.get_json(&ada, "/api/me/security-log").await;
    let text = log.to_string();
    assert!(
        text.contains("visitor_forgotten") && !text.contains("eve@example.com"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_inputs_get_exact_error_codes() {
    let (app, ada, _, _, _) = app_with_owners().await;
    for (path, status, code) in [
        ("/api/conversations?limit=0", 422, "validation_failed"),
        ("/api/conversations?limit=x", 400, "invalid_query"),
        (
            "/api/conversations?from=2026-02-30",
            422,
            "validation_failed",
        ),
        ("/api/conversations?cursor=abc", 422, "validation_failed"),
        ("/api/conversations?visitor=v_1", 422, "validation_failed"),
        ("/api/conversations?nope=1", 422, "unknown_field"),
        (
            "/api/conversations/export?format=xml",
            422,
            "validation_failed",
        ),
        // Every parameter is checked by every use of the filter.
        ("/api/conversations?format=null", 422, "validation_failed"),
        (
            "/api/conversations/export?limit=0",
            422,
            "validation_failed",
        ),
        (
            "/api/conversations/export?cursor=1.2.3",
            422,
            "validation_failed",
        ),
        ("/api/conversations?q=%20%0D", 422, "validation_failed"),
        ("/api/conversations/c_123", 400, "invalid_path"),
        ("/api/analytics?range=8", 422, "validation_failed"),
        (
            "/api/analytics?range=custom&from=2026-12-01&to=2026-11-01",
            422,
            "validation_failed",
        ),
        ("/api/analytics?widget=999999", 404, "not_found"),
        ("/api/content-gaps?sort=oldest", 422, "validation_failed"),
    ] {
        let response = app.get_as(&ada, path).await;
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or_default();
        assert_eq!(
            (got, body["code"].as_str().unwrap_or("")),
            (status, code),
            "{path}"
        );
    }
    let q = "x".repeat(201);
    let response = app.get_as(&ada, &format!("/api/conversations?q={q}")).await;
    assert_eq!(error_code(response, 422).await, "validation_failed");
    for path in ["/api/conversations", "/api/conversations?visitor=&q=%20"] {
        let response = app.send_as(&ada, Method::DELETE, path, None).await;
        assert_eq!(
            error_code(response, 409).await,
            "confirmation_required",
            "{path}: no filter without all=true"
        );
    }
    for body in [
        json!({}),
        json!({"visitor_id": "v_x"}),
        json!({"visitor_id": ""}),
        json!({"email": "not an address"}),
    ] {
        let response = app
            .send_as(&ada, Method::POST, "/api/visitors/forget", Some(&body))
            .await;
        assert_eq!(
            error_code(response, 422).await,
            "validation_failed",
            "{body}"
        );
    }
    for body in [
        json!({"retention_days": 7, "utc_offset_minutes": 0, "gap_digest": false}),
        json!({"retention_days": null, "utc_offset_minutes": 10, "gap_digest": false}),
    ] {
        let response = app
            .send_as(&ada, Method::PUT, "/api/analytics/settings", Some(&body))
            .await;
        assert_eq!(
            error_code(response, 422).await,
            "validation_failed",
            "{body}"
        );
    }
    let response = app
        .send_as(
            &ada,
            Method::POST,
            "/api/content-gaps/abc/answer",
            Some(&json!({"answer": "x"})),
        )
        .await;
    assert_eq!(error_code(response, 400).await, "invalid_path");
    for naughty in naughty_strings::BLNS {
        let url = reqwest::Url::parse_with_params(&app.url("/api/conversations"), [("q", naughty)])
            .unwrap();
        let response = app
            .client
            .get(url)
            .header("cookie", &ada.cookie)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 200 | 422),
            "{naughty:?}: {}",
            response.status()
        );
    }
}
