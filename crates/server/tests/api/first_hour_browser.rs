//! The first hour in headless Chromium, as a new owner lives it, on the
//! real `witzo serve` without SMTP: from the home page through sign-in
//! (the code read from the server's log) and setup with a local site, the
//! crawl's progress, the preview and the snippet on a host page; the
//! first hour's pages at phone and desktop width (every other page:
//! dashboard_layout_browser); and the widget speaking the language it is
//! set to.

use fantoccini::Client;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::testing::TestDatabase;

use crate::helpers::chromium::{Driver, host_site, poll, wait_for_text};
use crate::helpers::dashboard::{check_layout, click, fill, until};
use crate::helpers::served::Served;
use crate::helpers::site::{coffee_shop, start_site};
use crate::helpers::{spawn_app_with, unlimited_rates};

/// Asks the widget on the current page `question`; returns the answer.
async fn ask_widget(browser: &Client, question: &str) -> String {
    poll(browser, "const p = root.querySelector('[part=panel]'); if (!p) return null; \
        if (p.hidden) root.querySelector('button[part=launcher]').click(); \
        const i = root.querySelector('[part=input]'); return i && !i.disabled && i.getBoundingClientRect().width > 0 ? true : null;").await;
    let before = poll(
        browser,
        "return root.querySelectorAll('[data-role=assistant][data-state=done]').length;",
    )
    .await;
    let send = format!(
        "const i = root.querySelector('[part=input]'); i.value = {}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}})); root.querySelector('button[part=send]').click(); return true;",
        json!(question)
    );
    poll(browser, &send).await;
    let answer = poll(
        browser,
        &format!(
            "const a = root.querySelectorAll('[data-role=assistant][data-state=done]'); \
        return a.length > {before} ? a[a.length - 1].textContent : null;"
        ),
    )
    .await;
    answer.as_str().unwrap().to_owned()
}

// Multi-threaded: the local site keeps serving while the test waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_goes_from_the_home_page_to_a_trained_widget_answering_on_a_host_page_in_chromium()
 {
    the_first_hour(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_goes_from_the_home_page_to_a_trained_widget_on_postgresql_in_chromium() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    the_first_hour(Some(&db)).await;
}

/// `GET path` on the server with the browser's cookies, read as JSON.
async fn get_json(server: &Served, browser: &Client, path: &str) -> Value {
    let cookies = browser.get_all_cookies().await.unwrap();
    let cookie = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let response = reqwest::Client::new()
        .get(server.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// The journey on `witzo serve` itself, as the README's first run starts
/// it: no SMTP (the sign-in code is read from the server's log), the local
/// site allowed by `WITZO_CRAWLER__ALLOW`.
async fn the_first_hour(database: Option<&TestDatabase>) {
    let site = start_site(coffee_shop()).await;
    let mut env = vec![
        ("WITZO_CRAWLER__ALLOW", format!("[\"{site}\"]")),
        ("WITZO_JOBS__POLL_MILLIS", "50".to_owned()),
    ];
    if let Some(db) = database {
        env.push(("WITZO_DATABASE_URL", db.url().to_owned()));
    }
    let server = Served::start(&env).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.set_window_size(1280, 900).await.unwrap();

    // From the home page to the setup, with the code from the log.
    browser.goto(&server.url("/")).await.unwrap();
    click(&browser, "main a[href='/app/sign-in']").await;
    wait_for_text(&browser, "Sign in to Witzo").await;
    fill(&browser, "#email", "maria@example.com").await;
    click(&browser, "form[action='/app/sign-in'] button[type=submit]").await;
    wait_for_text(&browser, "Check your e-mail").await;
    let code = server.code_in_log("maria@example.com", 1).await;
    fill(&browser, "#code", &code).await;
    click(
        &browser,
        "form[action='/app/sign-in/verify'] button[type=submit]",
    )
    .await;
    wait_for_text(&browser, "Welcome to Witzo").await;

    // Setup with the local site (allowed by crawler.allow): the crawl starts.
    fill(&browser, "#name", "Bean There chat").await;
    fill(&browser, "#website", &format!("http://{site}/")).await;
    fill(&browser, "#domain", "localhost").await;
    click(&browser, "form[action='/app/setup'] button[type=submit]").await;
    let training = until(
        &browser,
        "const m = /^\\/app\\/widgets\\/(\\d+)\\/training$/.exec(location.pathname); return m ? +m[1] : null;",
        10,
    )
    .await;
    let widgets = get_json(&server, &browser, "/api/widgets").await;
    assert_eq!(widgets.as_array().map(Vec::len), Some(1), "{widgets}");
    let widget = widgets[0]["id"].as_i64().unwrap();
    assert_eq!(training, json!(widget));
    let key = widgets[0]["key"].as_str().unwrap().to_owned();

    // The progress page follows the crawl by itself, then offers the preview.
    let done = until(
        &browser,
        "const s = document.querySelector('[data-status]').textContent; \
        return s.startsWith('Done') && !document.querySelector('[data-ready]').hidden ? s : null;",
        60,
    )
    .await;
    assert_eq!(done, "Done: your widget has learned 4 page(s).");
    let counts = browser.execute("const f = (n) => document.querySelector(`[data-${n}]`).textContent; \
        const bar = document.querySelector('[data-bar]'); \
        return [f('done'), f('total'), f('indexed'), f('failed'), f('skipped'), bar.value, bar.max, \
          /^ — \\d+:\\d\\d elapsed$/.test(f('elapsed')), document.querySelector('[data-failures-box]').hidden];", vec![]).await.unwrap();
    assert_eq!(counts, json!(["4", "4", "4", "0", "0", 4, 4, true, true]));
    assert_eq!(check_layout(&browser, "first-hour-training", 1280).await, 0);

    // The whole snippet shows, wrapped, and copies.
    let snippet = browser.execute("const s = document.getElementById('snippet'); \
        return [s.value, s.scrollHeight <= s.clientHeight + 2, s.scrollWidth <= s.clientWidth + 1];", vec![]).await.unwrap();
    let expected = format!(
        "<script src=\"{}/embed/{key}.js\" async></script>",
        server.url("")
    );
    assert_eq!(snippet, json!([expected, true, true]));

    // The preview answers from the site.
    click(&browser, "[data-open-preview]").await;
    let answer = ask_widget(&browser, "Who founded Bean There?").await;
    assert!(answer.contains("Maria Lopez"), "{answer}");

    // The pages of the first hour on a desktop, and on a phone (the same
    // owner); dashboard_layout_browser checks every other page.
    let sources = get_json(&server, &browser, &format!("/api/widgets/{widget}/sources")).await;
    let source = sources[0]["source"]["id"].as_i64().unwrap();
    let pages = [
        ("overview", "/app".to_owned()),
        ("widget", format!("/app/widgets/{widget}")),
        ("sources", format!("/app/widgets/{widget}/sources")),
        ("source", format!("/app/sources/{source}")),
        ("billing", "/app/billing".to_owned()),
        ("leads", "/app/leads".to_owned()),
        ("account", "/app/account".to_owned()),
        ("training", format!("/app/widgets/{widget}/training")),
    ];
    let phone = driver.phone().await;
    phone.goto(&server.url("/")).await.unwrap();
    for cookie in browser.get_all_cookies().await.unwrap() {
        phone.add_cookie(cookie).await.unwrap();
    }
    for (session, width) in [(&browser, 1280), (&phone, 390)] {
        let mut tables = 0;
        for (name, path) in &pages {
            session.goto(&server.url(path)).await.unwrap();
            until(session, "return document.readyState === 'complete' && document.querySelector('nav.side') ? true : null;", 10).await;
            tables += check_layout(session, &format!("first-hour-{name}"), width).await;
        }
        // Billing's usage and plans, the sources, the source's pages, the
        // account's sessions (no site has loaded the widget yet).
        assert_eq!(tables, 5, "tables checked at {width} px");
    }
    phone.close().await.unwrap();

    // Dates: once each, as <time> in the account's zone (UTC until the
    // owner names theirs), the preview's conversation.
    browser
        .goto(&server.url(&format!("/app/widgets/{widget}")))
        .await
        .unwrap();
    let times = until(&browser, "const t = [...document.querySelectorAll('main time[datetime]')]; \
        return t.length ? t.map((e) => [e.title.endsWith(' UTC'), / UTC$/.test(e.textContent), e.textContent.includes('UTC UTC')]) : null;", 10).await;
    assert_eq!(times[0], json!([true, true, false]), "{times}");

    // Live preview: the title changes as it is typed, before Save.
    let saved = browser
        .execute("return document.getElementById('title').value;", vec![])
        .await
        .unwrap();
    assert_ne!(saved, json!("Bean There help"));
    fill(&browser, "#title", "Bean There help").await;
    let title = poll(
        &browser,
        "const t = root.querySelector('.title'); \
        return t && t.textContent === 'Bean There help' ? t.textContent : null;",
    )
    .await;
    assert_eq!(title, "Bean There help");
    let stored = get_json(&server, &browser, &format!("/api/widgets/{widget}")).await;
    assert_eq!(stored["settings"]["title"], saved, "not saved");

    // A notice is read once: a reload does not bring it back.
    browser
        .goto(&server.url(&format!("/app/widgets/{widget}?notice=saved")))
        .await
        .unwrap();
    wait_for_text(&browser, "Saved.").await;
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.query(), None, "{url}");
    browser.refresh().await.unwrap();
    let notices = until(&browser, "return document.readyState === 'complete' ? document.querySelectorAll('p.notice').length : null;", 10).await;
    assert_eq!(notices, 0);

    // The snippet on a host page of another origin answers too.
    let port = host_site(expected).await;
    browser
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    let answer = ask_widget(&browser, "Who founded Bean There?").await;
    assert!(answer.contains("Maria Lopez"), "{answer}");
    browser.close().await.unwrap();

    // The server stops cleanly, and its log held the code for no one else.
    let (status, log) = server.stop();
    assert!(status.success(), "{status}");
    assert_eq!(log.matches("DEVELOPMENT E-MAIL").count(), 1, "{log}");
}

/// The widget's own words in German, French and Arabic (right to left):
/// its buttons, hints, lead form, rating prompts and limit notice.
#[tokio::test]
async fn the_widget_speaks_the_language_it_is_set_to_in_chromium() {
    // A visitor sends a message every few seconds here: no rate limit.
    let app = spawn_app_with(unlimited_rates, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["localhost"]).await;
    let port = host_site(widget.embed_snippet.clone()).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    let cases = [
        (
            "de",
            "ltr",
            [
                "Chat öffnen",
                "Nachricht eingeben…",
                "Bitte geben Sie zuerst eine Nachricht ein.",
                "Hinterlassen Sie Ihre Kontaktdaten, wir melden uns bei Ihnen.",
                "Name",
                "E-Mail",
                "Senden",
                "Nein danke",
                "Chat schließen",
                "Hilfreich",
                "Nicht hilfreich",
                "Was war falsch? (optional)",
                "Danke für Ihr Feedback.",
                "Dieser Chat hat sein Limit vorerst erreicht.",
            ],
        ),
        (
            "fr",
            "ltr",
            [
                "Ouvrir le chat",
                "Écrivez votre message…",
                "Veuillez d’abord écrire un message.",
                "Laissez vos coordonnées et nous vous recontacterons.",
                "Nom",
                "E-mail",
                "Envoyer",
                "Non merci",
                "Fermer le chat",
                "Utile",
                "Pas utile",
                "Qu’est-ce qui n’allait pas ? (facultatif)",
                "Merci pour votre avis.",
                "Ce chat a atteint sa limite pour le moment.",
            ],
        ),
        (
            "ar",
            "rtl",
            [
                "فتح الدردشة",
                "اكتب رسالتك…",
                "يُرجى كتابة رسالة أولًا.",
                "اترك بيانات التواصل الخاصة بك وسنعاود الاتصال بك.",
                "الاسم",
                "البريد الإلكتروني",
                "إرسال",
                "لا، شكرًا",
                "إغلاق الدردشة",
                "مفيد",
                "غير مفيد",
                "ما الخطأ؟ (اختياري)",
                "شكرًا على ملاحظاتك.",
                "بلغت هذه الدردشة حدها في الوقت الحالي.",
            ],
        ),
    ];
    for (lang, dir, words) in cases {
        let settings = json!({"name": "Shop chat", "allowed_domains": ["localhost"], "settings": {
            "language": lang, "title": "Shop", "lead_form": {"enabled": true, "fields": ["name", "email"], "after_messages": 1}}});
        assert_eq!(
            app.update_widget(&owner, widget.id, &settings)
                .await
                .status()
                .as_u16(),
            200
        );
        browser
            .goto(&format!("http://localhost:{port}/"))
            .await
            .unwrap();
        browser
            .execute(
                "localStorage.clear(); sessionStorage.clear(); return true;",
                vec![],
            )
            .await
            .unwrap();
        browser.refresh().await.unwrap();
        let root = poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b || host.getAttribute('lang') === null) return null; \
            return [host.getAttribute('lang'), host.getAttribute('dir'), getComputedStyle(host).direction, b.getAttribute('aria-label')];").await;
        assert_eq!(root, json!([lang, dir, dir, words[0]]), "{lang}");
        poll(
            &browser,
            "root.querySelector('button[part=launcher]').click(); return true;",
        )
        .await;
        let shown = poll(&browser, "const i = root.querySelector('[part=input]'); if (!i || i.disabled) return null; \
            root.querySelector('button[part=send]').click(); const h = root.querySelector('[part=hint]').textContent; if (!h) return null; \
            return [i.placeholder, h, root.querySelector('button[part=launcher]').getAttribute('aria-label')];").await;
        assert_eq!(shown, json!([words[1], words[2], words[8]]), "{lang}");
        poll(&browser, "const i = root.querySelector('[part=input]'); i.value = 'Hello?'; \
            i.dispatchEvent(new Event('input', {bubbles: true})); root.querySelector('button[part=send]').click(); return true;").await;
        let lead = poll(&browser, "const f = root.querySelector('[part=lead-form]'); if (!f) return null; \
            return [f.querySelector('p').textContent, ...[...f.querySelectorAll('label span')].map((s) => s.textContent), \
              ...[...f.querySelectorAll('.actions button')].map((b) => b.textContent)];").await;
        assert_eq!(
            lead,
            json!([words[3], words[4], words[5], words[6], words[7]]),
            "{lang}"
        );

        // Rating the answer: its thumbs, the reason asked after a thumbs
        // down, the thanks once it is sent.
        let thumbs = poll(&browser, "const f = root.querySelector('[data-role=assistant][data-state=done] [part=feedback]'); \
            if (!f) return null; const [up, down] = f.querySelectorAll('button'); down.click(); \
            return [up.getAttribute('aria-label'), up.title, down.getAttribute('aria-label'), down.title];").await;
        assert_eq!(
            thumbs,
            json!([words[9], words[9], words[10], words[10]]),
            "{lang}"
        );
        let reason = poll(
            &browser,
            "const i = root.querySelector('[part=feedback-reason] input'); if (!i) return null; \
            const p = [i.placeholder, i.getAttribute('aria-label')]; i.value = 'Too short'; \
            root.querySelector('[part=feedback-reason] button[type=submit]').click(); return p;",
        )
        .await;
        assert_eq!(reason, json!([words[11], words[11]]), "{lang}");
        let thanks = poll(
            &browser,
            "const t = root.querySelector('[data-role=assistant] .thanks'); return t ? t.textContent : null;",
        )
        .await;
        assert_eq!(thanks, json!(words[12]), "{lang}");
    }

    // The month's conversations used up: a new conversation gets the
    // notice, in each language.
    app.state.store.set_usage(owner.account, 100).await.unwrap();
    for (lang, _, words) in cases {
        let settings = json!({"name": "Shop chat", "allowed_domains": ["localhost"], "settings": {"language": lang}});
        assert_eq!(
            app.update_widget(&owner, widget.id, &settings)
                .await
                .status()
                .as_u16(),
            200
        );
        browser
            .goto(&format!("http://localhost:{port}/"))
            .await
            .unwrap();
        browser
            .execute(
                "localStorage.clear(); sessionStorage.clear(); return true;",
                vec![],
            )
            .await
            .unwrap();
        browser.refresh().await.unwrap();
        poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b || host.getAttribute('lang') === null) return null; b.click(); return true;").await;
        poll(&browser, "const i = root.querySelector('[part=input]'); if (!i || i.disabled) return null; i.value = 'Hello?'; \
            i.dispatchEvent(new Event('input', {bubbles: true})); root.querySelector('button[part=send]').click(); return true;").await;
        let notice = poll(
            &browser,
            "const e = root.querySelector('.error[data-code]'); return e ? [host.getAttribute('lang'), e.dataset.code, e.textContent] : null;",
        )
        .await;
        assert_eq!(
            notice,
            json!([lang, "conversation_limit_reached", words[13]])
        );
    }
    browser.close().await.unwrap();
}
