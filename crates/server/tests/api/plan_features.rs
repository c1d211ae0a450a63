//! Every feature the Billing page sells has behaviour behind it: the test
//! walks the plan table as owners see it and, for each plan, checks every
//! sold feature works where the plan lists it and is refused with its code
//! where it does not. A feature listed without a check here fails the test.
//! Also: a lead sends `lead.created`, and its changes `lead.updated`, to
//! the owner's webhook.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::site::{coffee_shop, start_site};
use crate::helpers::webhooks::{Answer, start_receiver};
use crate::helpers::{Owner, SHOP, TestApp, no_workers, spawn_app_with, visitor};

/// What owner `owner` gets when using `feature`: the status and, on a
/// refusal, its code.
async fn try_feature(app: &TestApp, owner: &Owner, feature: &str, site: &str) -> (u16, String) {
    let widget = app.create_widget(owner, &["shop.example.com"]).await;
    let response = match feature {
        "follow_up_email" => {
            let body = json!({"alerts": "each", "follow_up": true, "subject": "Hi", "body": "Hello {name}", "delay_minutes": 0});
            app.send_as(owner, Method::PUT, "/api/follow-up", Some(&body))
                .await
        }
        "lead_webhook" => {
            let body =
                json!({"url": "https://hooks.example.com/witzo", "events": ["lead.created"]});
            app.send_as(owner, Method::POST, "/api/webhooks", Some(&body))
                .await
        }
        "api_keys" => {
            let body = json!({"name": "CRM", "scopes": ["read"]});
            app.send_as(owner, Method::POST, "/api/api-keys", Some(&body))
                .await
        }
        "white_label" => {
            let body = json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "settings": {"show_branding": false}});
            app.update_widget(owner, widget.id, &body).await
        }
        "auto_rescrape" => {
            let body = json!({"url": site, "rescrape_days": 7});
            app.add_source(owner, widget.id, &body).await
        }
        "lead_form_fallback" => {
            // At the limit, the refusal says whether the widget may offer
            // its lead form instead.
            app.state
                .store
                .execute_for_test(
                    "UPDATE accounts SET conversations_used = 1000000 WHERE email = $1",
                    "walker@example.com",
                )
                .await;
            let refused: Value = app
                .chat(&widget, "Hello?")
                .from(SHOP)
                .send()
                .await
                .json()
                .await
                .unwrap();
            app.state
                .store
                .execute_for_test(
                    "UPDATE accounts SET conversations_used = 0 WHERE email = $1",
                    "walker@example.com",
                )
                .await;
            // Unlimited plans are never refused: nothing to fall back from.
            let code = if refused["code"].is_null() || refused["lead_form"] == true {
                ""
            } else {
                "no_lead_form"
            };
            app.send_as(
                owner,
                Method::DELETE,
                &format!("/api/widgets/{}", widget.id),
                None,
            )
            .await;
            return (if code.is_empty() { 200 } else { 403 }, code.to_owned());
        }
        other => panic!("the Billing page sells {other:?}, which has no behaviour checked here"),
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    app.send_as(
        owner,
        Method::DELETE,
        &format!("/api/widgets/{}", widget.id),
        None,
    )
    .await;
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn every_feature_the_billing_page_sells_works_where_listed_and_only_there() {
    let site = start_site(coffee_shop()).await;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![site];
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("walker@example.com").await;
    let view = app.billing(&owner).await;
    let plans = view["plans"].as_array().unwrap().clone();
    let sold: Vec<String> = plans
        .iter()
        .flat_map(|p| p["features"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    let url = format!("http://{site}/");
    for plan in &plans {
        let id = plan["id"].as_str().unwrap();
        app.set_plan(&owner, id).await;
        let listed: Vec<&str> = plan["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        for feature in witzo_app::billing::owner::SOLD_FEATURES {
            let (status, code) = try_feature(&app, &owner, feature, &url).await;
            if listed.contains(feature) {
                assert!(
                    (200..300).contains(&status),
                    "{id} lists {feature}: {status} {code}"
                );
            } else {
                assert_eq!(status, 403, "{id} does not list {feature}: {code}");
                assert!(
                    code.starts_with("plan_limit_") || code == "no_lead_form",
                    "{id}/{feature}: {code}"
                );
            }
        }
    }
    assert!(
        sold.iter()
            .all(|f| witzo_app::billing::owner::SOLD_FEATURES.contains(&f.as_str()))
    );
}

#[tokio::test]
async fn a_new_lead_and_its_changes_reach_the_owner_s_webhook() {
    let receiver = start_receiver(vec![Answer::Status(200); 3]).await;
    let allowed = receiver.addr;
    let app = spawn_app_with(
        move |c| {
            c.crawler.allow = vec![allowed];
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    app.set_plan(&owner, "basic").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    app.add_webhook(&owner, &receiver.url(), &["lead.created", "lead.updated"])
        .await;

    let ada = visitor();
    let reply = app
        .chat(&widget, "Any vegan cakes?")
        .from(SHOP)
        .visitor(&ada)
        .reply()
        .await;
    app.chat(&widget, "Write to ada@example.com please")
        .from(SHOP)
        .visitor(&ada)
        .conversation(&reply.conversation_id)
        .reply()
        .await;
    app.chat(&widget, "or call 030 1234 5678")
        .from(SHOP)
        .visitor(&ada)
        .conversation(&reply.conversation_id)
        .reply()
        .await;
    let lead = app.leads(&owner).await[0].id;
    let changed = json!({"status": "qualified"});
    let response = app
        .send_as(
            &owner,
            Method::PATCH,
            &format!("/api/leads/{lead}"),
            Some(&changed),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    app.drain_jobs().await;
    let events: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["lead.created", "lead.updated", "lead.updated"]);
    assert_eq!(events[0]["data"]["contact"]["email"], "ada@example.com");
    assert_eq!(events[0]["data"]["source"], "chat");
    assert_eq!(events[1]["data"]["contact"]["phone"], "030 1234 5678");
    assert_eq!(events[2]["data"]["status"], "qualified");
    assert_eq!(events[2]["data"]["id"], lead);
}
