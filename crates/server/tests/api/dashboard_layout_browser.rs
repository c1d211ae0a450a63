//! Every page an owner can reach (but Stripe's checkout), in headless
//! Chromium at desktop (1280 px) and phone (390 px) width, each with rows
//! in its tables: no sideways overflow, every table whole or scrolling in
//! its own box, no hidden columns, the menu in one row on a phone; and
//! dates written once, in the time zone the account names.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::chromium::{Driver, wait_for_text};
use crate::helpers::dashboard::{check_layout, click, fill, open, signed_in, until};
use crate::helpers::{Owner, SHOP, TestApp, TrainedShop, trained_coffee_shop, visitor};

/// 2026-11-28 11:04 UTC: 20:04 the same day in Tokyo.
const RECEIVED: &str = "1795863840";

/// What an owner has after a few days: the widget loaded on two origins,
/// Q&A, answered and refused chats (a content gap), a lead, an API key, a
/// webhook with a delivery, and the time zone set to Tokyo. Returns the paths of the pages and the
/// tables each shows.
async fn a_few_days_in(shop: &TrainedShop) -> Vec<(&'static str, String, u64)> {
    let TrainedShop {
        app, owner, widget, ..
    } = shop;
    let id = widget.id;
    app.set_plan(owner, "enterprise").await;
    let settings = json!({"name": "Bean There chat", "allowed_domains": ["shop.example.com", "localhost"],
        "settings": {"lead_form": {"enabled": true, "fields": ["name", "email", "company", "message"], "after_messages": 2}}});
    assert_eq!(
        app.update_widget(owner, id, &settings)
            .await
            .status()
            .as_u16(),
        200
    );
    let added = app
        .add_pair(
            owner,
            id,
            "Do you deliver to Ringwood and the villages around it on weekdays?",
            "Yes: every weekday morning within 10 km of the shop, free above £20.",
        )
        .await;
    assert_eq!(added.status().as_u16(), 201);
    // Loaded on the shop's site, and refused on its plain-http address.
    for origin in [SHOP, "http://shop.example.com"] {
        app.config(widget).from(origin).send().await;
    }
    for _ in 0..100 {
        if app.embed_health(owner, id).await.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for kind in ["widget_loaded", "opened"] {
        let event = app
            .event(widget, json!({"visitor_id": visitor(), "kind": kind}))
            .from(SHOP)
            .status()
            .await;
        assert_eq!(event, 204);
    }
    let answered = app
        .chat(widget, "Who founded Bean There?")
        .from(SHOP)
        .reply()
        .await;
    assert!(
        answered.answer.contains("Maria Lopez"),
        "{}",
        answered.answer
    );
    app.chat(widget, "Do you sell gift cards for birthdays?")
        .from(SHOP)
        .reply()
        .await;
    until_gaps_filed(app, owner).await;
    let lead = json!({"visitor_id": visitor(), "name": "Grace Hopper", "email": "grace.hopper@example.com",
        "company": "Hopper Catering Ltd", "message": "Please call me about coffee for forty people next Friday."});
    assert_eq!(app.contact(widget, lead).from(SHOP).status().await, 201);
    let lead = app.leads(owner).await[0].id;
    let aged = app
        .state
        .store
        .execute_for_test(
            &format!("UPDATE leads SET created_at = {RECEIVED} WHERE email = $1"),
            "grace.hopper@example.com",
        )
        .await;
    assert_eq!(aged, 1);
    let key = json!({"name": "CRM sync for the catering team", "scopes": ["read", "write", "chat"],
        "widget_id": id, "expires_in_days": 90});
    let created = app
        .send_as(owner, Method::POST, "/api/api-keys", Some(&key))
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let (hook, _) = app
        .add_webhook(
            owner,
            "https://crm.example.com/hooks/witzo/leads-and-conversations",
            &["lead.created", "conversation.created"],
        )
        .await;
    let ping = app
        .send_as(
            owner,
            Method::POST,
            &format!("/api/webhooks/{hook}/test"),
            None,
        )
        .await;
    assert_eq!(ping.status().as_u16(), 202);
    let mut profile = crate::helpers::valid_profile();
    profile["time_zone"] = json!("Asia/Tokyo");
    assert_eq!(
        app.put_profile(owner, &profile).await.status().as_u16(),
        200
    );

    let source = app.sources(owner, id).await[0].source.id;
    let page = app.source(owner, source).await.page("/about").id;
    let conversation = answered.conversation_id;
    vec![
        ("overview", "/app".to_owned(), 0),
        ("setup", "/app/setup".to_owned(), 0),
        ("widgets", "/app/widgets".to_owned(), 1),
        ("widget", format!("/app/widgets/{id}"), 1),
        ("qa", format!("/app/widgets/{id}/qa"), 0),
        ("widget-sources", format!("/app/widgets/{id}/sources"), 1),
        ("training", format!("/app/widgets/{id}/training"), 0),
        ("sources", "/app/sources".to_owned(), 1),
        ("source", format!("/app/sources/{source}"), 1),
        ("page-text", format!("/app/pages/{page}"), 0),
        ("conversations", "/app/conversations".to_owned(), 1),
        (
            "conversation",
            format!("/app/conversations/{conversation}"),
            0,
        ),
        ("leads", "/app/leads".to_owned(), 1),
        ("lead", format!("/app/leads/{lead}"), 0),
        ("lead-settings", "/app/leads/settings".to_owned(), 0),
        ("webhooks", "/app/webhooks".to_owned(), 1),
        ("api-keys", "/app/api-keys".to_owned(), 1),
        ("analytics", "/app/analytics".to_owned(), 1),
        ("gaps", "/app/gaps".to_owned(), 0),
        ("billing", "/app/billing".to_owned(), 2),
        ("account", "/app/account".to_owned(), 1),
    ]
}

/// Refusals are filed as content gaps beside the chat: waits for one.
async fn until_gaps_filed(app: &TestApp, owner: &Owner) {
    for _ in 0..100 {
        let gaps: Vec<Value> = app.get_json(owner, "/api/content-gaps").await;
        if !gaps.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the refusal was never filed as a gap");
}

#[tokio::test]
async fn every_page_an_owner_reaches_fits_a_phone_and_a_desktop_with_rows_in_its_tables() {
    let shop = trained_coffee_shop(&["shop.example.com"]).await;
    let pages = a_few_days_in(&shop).await;
    let app = &shop.app;
    let driver = Driver::start().await;
    let desktop = driver.browser().await;
    desktop.set_window_size(1280, 900).await.unwrap();
    let phone = driver.phone().await;
    for (browser, width) in [(&desktop, 1280), (&phone, 390)] {
        // Signed out: the home page, sign-in and the code's page.
        open(browser, &app.url("/")).await;
        check_layout(browser, "home", width).await;
        click(browser, "main a[href='/app/sign-in']").await;
        wait_for_text(browser, "Sign in to Witzo").await;
        check_layout(browser, "sign-in", width).await;
        fill(browser, "#email", "maria@example.com").await;
        click(browser, "form[action='/app/sign-in'] button[type=submit]").await;
        wait_for_text(browser, "Check your e-mail").await;
        check_layout(browser, "sign-in-code", width).await;

        signed_in(browser, app, &shop.owner).await;
        for (name, path, tables) in &pages {
            open(browser, &app.url(path)).await;
            until(
                browser,
                "return document.querySelector('nav.side') ? true : null;",
                10,
            )
            .await;
            assert_eq!(
                check_layout(browser, name, width).await,
                *tables,
                "tables on {name} at {width} px"
            );
        }
        // What a refused request answers with, and deletion's code page.
        open(browser, &app.url("/app/widgets/999999")).await;
        wait_for_text(browser, "Error 404.").await;
        assert_eq!(check_layout(browser, "error", width).await, 0);
        open(browser, &app.url("/app/account")).await;
        click(
            browser,
            "form[action='/app/account/delete/code'] button[type=submit]",
        )
        .await;
        wait_for_text(browser, "Keep my account").await;
        assert_eq!(check_layout(browser, "delete-account", width).await, 0);
    }
    phone.close().await.unwrap();
    desktop.close().await.unwrap();
}

#[tokio::test]
async fn dates_are_written_once_in_the_time_zone_the_account_names() {
    let shop = trained_coffee_shop(&["shop.example.com"]).await;
    let pages = a_few_days_in(&shop).await;
    let app = &shop.app;
    let lead = &pages.iter().find(|(name, _, _)| *name == "lead").unwrap().1;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&app.url("/app/sign-in")).await.unwrap();
    signed_in(&browser, app, &shop.owner).await;
    let shown = "const t = [...document.querySelectorAll('main time[datetime]')]; \
        return t.length ? [document.body.dataset.timeZone, ...t.map((e) => [e.dateTime, e.title, e.textContent])] : null;";
    for path in [lead.as_str(), "/app/leads"] {
        open(&browser, &app.url(path)).await;
        let times = until(&browser, shown, 10).await;
        assert_eq!(
            times,
            json!([
                "Asia/Tokyo",
                [
                    "2026-11-28T11:04:00.000Z",
                    "2026-11-28 11:04 UTC",
                    "Nov 28, 2026, 08:04 PM GMT+9"
                ]
            ]),
            "{path}"
        );
    }
    browser.close().await.unwrap();
}
