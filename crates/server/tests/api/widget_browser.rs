//! The widget in headless Chromium: embedded with its one script tag on a
//! host page of another origin (with hostile CSS), chatting with streamed
//! replies; refused on a page whose origin is not allowed; never executing
//! text it displays.

use std::time::Duration;

use serde_json::json;
use witzo_store::domain::WidgetId;

use crate::helpers::chromium::{Driver, host_site, poll, wait_for_text};
use crate::helpers::{spawn_app, spawn_app_with_mail};

#[tokio::test]
async fn a_visitor_chats_through_the_embedded_widget_and_other_sites_are_refused() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["localhost"]).await;
    let id = widget.id;
    let hostile_settings = json!({
        "name": "Shop chat",
        "allowed_domains": ["localhost"],
        "settings": {
            "title": "<img src=x onerror=\"window.__pwned=1\">Shop",
            "welcome_message": "**Welcome!** <script>window.__pwned=2</script> [click](javascript:window.__pwned=3)",
            "suggested_questions": ["<b onmouseover=window.__pwned=4>What do you sell?</b>"]
        }
    });
    let saved = app.update_widget(&owner, id, &hostile_settings).await;
    assert_eq!(saved.status().as_u16(), 200);
    let port = host_site(widget.embed_snippet.clone()).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    // An allowed site: http://localhost:{port}
    browser
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    let launcher = poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; \
        const s = getComputedStyle(b); const r = b.getBoundingClientRect(); \
        return {display: s.display, font: s.fontSize, width: r.width, visible: r.width > 20 && r.width < 200};").await;
    assert_ne!(launcher["display"], "none", "{launcher}");
    assert_eq!(launcher["visible"], true, "{launcher}");
    poll(
        &browser,
        "root.querySelector('button[part=launcher]').click(); return true;",
    )
    .await;
    let panel = poll(&browser, "const i = root.querySelector('[part=input]'); if (!i || i.getBoundingClientRect().width === 0) return null; \
        return {font: getComputedStyle(i).fontSize, title: root.querySelector('[part=panel]').textContent};").await;
    assert_ne!(panel["font"], "80px", "host CSS leaked in: {panel}");
    assert!(
        panel["title"]
            .as_str()
            .unwrap()
            .contains("<img src=x onerror="),
        "title shown as text: {panel}"
    );
    poll(&browser, "const i = root.querySelector('[part=input]'); i.value = 'What do you sell?'; \
        i.dispatchEvent(new Event('input', {bubbles: true})); root.querySelector('button[part=send]').click(); return true;").await;
    let answer = poll(&browser, "const a = [...root.querySelectorAll('[data-role=assistant]')].find(e => e.dataset.state === 'done'); \
        return a ? a.textContent : null;").await;
    assert!(
        answer
            .as_str()
            .unwrap()
            .contains("I don't have any knowledge yet"),
        "{answer}"
    );
    let visitor = poll(
        &browser,
        "const v = root.querySelector('[data-role=visitor]'); return v ? v.textContent : null;",
    )
    .await;
    assert!(visitor.as_str().unwrap().contains("What do you sell?"));
    let pwned = browser
        .execute(
            "return window.__pwned === undefined && !document.querySelector('img[src=x]');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        pwned,
        json!(true),
        "nothing the widget displayed was executed"
    );
    let links = poll(&browser, "return [...root.querySelectorAll('a')].map(a => a.getAttribute('href')).filter(h => h && h.startsWith('javascript')).length;").await;
    assert_eq!(links, json!(0));

    // Kept for people to look at: target/tmp/widget-hostile-page.png.
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("widget-hostile-page.png"),
        png,
    )
    .unwrap();

    // The conversation reached the dashboard.
    let list = app.conversations(&owner, id).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].origin, format!("http://localhost:{port}"));

    // A site that is not allowed: http://127.0.0.1:{port}
    browser
        .goto(&format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; b.click(); return true;").await;
    let code = poll(
        &browser,
        "const e = root.querySelector('[part=error]'); return e ? e.dataset.code : null;",
    )
    .await;
    assert_eq!(code, "widget_domain_not_allowed");
    let text = poll(
        &browser,
        "const e = root.querySelector('[part=error]'); return e ? e.textContent : null;",
    )
    .await;
    assert!(
        text.as_str()
            .unwrap()
            .contains("not available on this website"),
        "{text}"
    );
    app.state.health.flush(&app.state.store).await.unwrap();
    let health = app
        .state
        .store
        .embed_origins_of(owner.account, WidgetId::from_raw(id))
        .await
        .unwrap();
    let refused = health
        .iter()
        .find(|o| o.allowed == 0)
        .expect("a refused origin");
    assert_eq!(refused.origin, format!("http://127.0.0.1:{port}"));
    assert!(
        health
            .iter()
            .any(|o| o.allowed == 1 && o.origin == format!("http://localhost:{port}"))
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_dashboard_preview_chats_under_the_dashboard_csp() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&app.url("/app/sign-in")).await.unwrap();
    let fill = |css: &'static str, value: String| {
        let browser = browser.clone();
        async move {
            let field = browser.find(fantoccini::Locator::Css(css)).await.unwrap();
            field.send_keys(&value).await.unwrap();
            field.send_keys("\u{E007}").await.unwrap(); // Enter submits the form
        }
    };
    fill("#email", "ada@example.com".to_owned()).await;
    wait_for_text(&browser, "Check your e-mail").await;
    fill("#code", mailbox.code("ada@example.com", 1).await).await;
    wait_for_text(&browser, "Set up your chat widget").await;
    fill("#website", "https://shop.example.com".to_owned()).await;
    // Setup leads to the crawl's progress, which has the preview too.
    wait_for_text(&browser, "Reading your website").await;
    // The preview (no allowed origin needed: a signed preview token).
    poll(
        &browser,
        "root.querySelector('button[part=launcher]').click(); return true;",
    )
    .await;
    poll(&browser, "const i = root.querySelector('[part=input]'); if (!i) return null; i.value = 'Hello preview'; \
        i.dispatchEvent(new Event('input', {bubbles: true})); root.querySelector('button[part=send]').click(); return true;").await;
    let answer = poll(&browser, "const a = [...root.querySelectorAll('[data-role=assistant]')].find(e => e.dataset.state === 'done'); \
        return a ? a.textContent : null;").await;
    assert!(
        answer
            .as_str()
            .unwrap()
            .contains("I don't have any knowledge yet"),
        "{answer}"
    );
    let account = app.state.store.list_accounts().await.unwrap().remove(0);
    let widget = app
        .state
        .store
        .widgets_of(account.id)
        .await
        .unwrap()
        .remove(0);
    let conversations = app
        .state
        .store
        .conversations_of(account.id, widget.id, 10)
        .await
        .unwrap();
    assert_eq!(
        (
            conversations.len(),
            conversations[0].preview,
            conversations[0].origin.as_str()
        ),
        (1, 1, "preview")
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_limit_notice_shows_and_paid_plans_offer_the_lead_form_instead() {
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["localhost"]).await;
    // The Free plan's 100 conversations this month are all used.
    app.state.store.set_usage(owner.account, 100).await.unwrap();
    let port = host_site(widget.embed_snippet.clone()).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; b.click(); return true;").await;
    let send = "const i = root.querySelector('[part=input]'); \
        if (!i || i.disabled || i.getBoundingClientRect().width === 0) return null; \
        i.value = 'What do you sell?'; i.dispatchEvent(new Event('input', {bubbles: true})); \
        root.querySelector('button[part=send]').click(); return true;";
    let notice = "const e = root.querySelector('.error[data-code=conversation_limit_reached]'); \
        return e ? {text: e.textContent, live: e.getAttribute('part')} : null;";

    // Free: the notice, and no lead form.
    poll(&browser, send).await;
    let shown = poll(&browser, notice).await;
    assert_eq!(
        shown,
        json!({"text": "This chat has reached its limit for now.", "live": "error"})
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = poll(
        &browser,
        "return {forms: root.querySelectorAll('form[part=lead-form]').length, \
        input_disabled: root.querySelector('[part=input]').disabled, \
        kept: root.querySelector('[part=input]').value, \
        visitors: root.querySelectorAll('[data-role=visitor]').length};",
    )
    .await;
    assert_eq!(
        after,
        json!({"forms": 0, "input_disabled": false, "kept": "What do you sell?", "visitors": 0}),
        "no lead form on the free plan; the message is given back"
    );

    // Basic, at its 1000: the same notice, and the lead form instead.
    app.state
        .store
        .set_plan(owner.account, "basic", witzo_store::now())
        .await
        .unwrap();
    app.state
        .store
        .set_usage(owner.account, 1000)
        .await
        .unwrap();
    poll(&browser, send).await;
    let form = poll(
        &browser,
        "const f = root.querySelector('form[part=lead-form]'); \
        if (!f) return null; return {forms: root.querySelectorAll('form[part=lead-form]').length, \
        fields: [...f.elements].map(e => e.name).filter(Boolean), \
        notices: root.querySelectorAll('.error[data-code=conversation_limit_reached]').length};",
    )
    .await;
    // The widget's own lead fields (the defaults: name and e-mail).
    assert_eq!(
        form,
        json!({"forms": 1, "fields": ["name", "email"], "notices": 1})
    );
    let shown = poll(&browser, notice).await;
    assert_eq!(
        shown,
        json!({"text": "This chat has reached its limit for now.", "live": "error"})
    );
    poll(
        &browser,
        "const f = root.querySelector('form[part=lead-form]'); \
        f.querySelector('input[name=email]').value = 'visitor@example.com'; \
        f.querySelector('button[type=submit]').click(); return true;",
    )
    .await;
    let thanks = poll(&browser, "const t = root.querySelector('[part=lead-thanks]'); \
        return t ? {text: t.textContent, forms: root.querySelectorAll('form[part=lead-form]').length} : null;").await;
    assert_eq!(
        thanks,
        json!({"text": "Thank you! We have received your details and will be in touch.", "forms": 0})
    );
    let holdings = app.state.store.holdings(owner.account).await.unwrap();
    assert_eq!((holdings.leads, holdings.leads_locked), (1, 0));
    browser.close().await.unwrap();
}
