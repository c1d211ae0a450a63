//! The first hour in headless Chromium, as a new owner lives it: from the
//! home page through sign-in and setup with a local site, the crawl's
//! progress, the preview and the snippet on a host page; every dashboard
//! page at phone and desktop width without sideways overflow or hidden
//! columns; and the widget speaking the language it is set to.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use witzo_store::testing::TestDatabase;

use crate::helpers::chromium::{Driver, host_site, poll, wait_for_text};
use crate::helpers::site::{coffee_shop, start_site};
use crate::helpers::{spawn_app, spawn_app_with_mail};

async fn fill(browser: &Client, css: &str, value: &str) {
    let field = browser.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Runs `script` (page JavaScript) until it returns something other than
/// null, or fails after `secs`.
async fn until(browser: &Client, script: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let value = browser.execute(script, vec![]).await.unwrap();
        if !value.is_null() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {script}\n{}",
            browser.source().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the page's layout looks like: the viewport's width, sideways
/// overflow of the document, tables neither fully visible nor inside a
/// sideways-scrolling box, hidden cells, rows of the menu.
const LAYOUT: &str = r#"
const doc = document.documentElement;
const width = doc.clientWidth;
const tables = [...document.querySelectorAll('main table')];
const stuck = tables.filter((t) => {
  const r = t.getBoundingClientRect();
  const visible = r.left >= -0.5 && r.right <= width + 0.5;
  let box = t.parentElement;
  while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
  const scrolls = !!box && box !== doc && box.getBoundingClientRect().right <= width + 0.5
    && box.scrollWidth >= t.getBoundingClientRect().width - 0.5;
  return !visible && !scrolls;
}).map((t) => t.querySelector('caption') ? t.querySelector('caption').textContent : t.outerHTML.slice(0, 80));
const scrolling = tables.filter((t) => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1)
  .map((t) => t.querySelector('caption') ? t.querySelector('caption').textContent : '?');
const hidden = [...document.querySelectorAll('main th, main td')].filter((c) => getComputedStyle(c).display === 'none').length;
const snippetsCut = [...document.querySelectorAll('textarea.snippet')]
  .filter((b) => b.offsetParent && (b.scrollHeight > b.clientHeight + 2 || b.scrollWidth > b.clientWidth + 1)).length;
const menuRows = new Set([...document.querySelectorAll('nav.side li')].map((li) => Math.round(li.getBoundingClientRect().top))).size;
const clipped = (e) => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
  if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 0.5
  && !clipped(e) && !e.closest('witzo-chat'))
  .slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
const spill = [...document.querySelectorAll('body, body *')].filter((e) => e.scrollWidth > e.clientWidth + 1
  && getComputedStyle(e).overflowX === 'visible' && !clipped(e) && !e.closest('witzo-chat'))
  .slice(0, 6).map((e) => `${e.tagName}.${e.className} ${e.clientWidth}<${e.scrollWidth}`);
return { snippetsCut, scrolling, spill, wide, width: window.innerWidth, overflow: doc.scrollWidth - doc.clientWidth, tables: tables.length, stuck, hidden, menuRows, menuItems: document.querySelectorAll('nav.side li').length,
  utcTwice: document.body.textContent.includes('UTC UTC') };
"#;

/// Checks the page's layout at the current width and keeps a screenshot
/// (target/tmp/first-hour-{name}-{width}px.png). Returns the page's tables.
async fn check_layout(browser: &Client, name: &str, width: u64) -> u64 {
    let layout = browser.execute(LAYOUT, vec![]).await.unwrap();
    assert_eq!(layout["width"], width, "{name}: {layout}");
    assert_eq!(layout["overflow"], 0, "{name} overflows sideways: {layout}");
    assert_eq!(
        layout["stuck"],
        json!([]),
        "{name}: tables cut off: {layout}"
    );
    assert_eq!(layout["hidden"], 0, "{name}: hidden table cells: {layout}");
    if width >= 1280 {
        // On a desktop every table fits its card: nothing to scroll.
        assert_eq!(layout["scrolling"], json!([]), "{name}: {layout}");
    }
    assert_eq!(
        layout["menuRows"],
        if width < 720 {
            json!(1)
        } else {
            layout["menuItems"].clone()
        },
        "{name}: menu rows: {layout}"
    );
    assert_eq!(layout["utcTwice"], false, "{name}");
    assert_eq!(
        layout["snippetsCut"], 0,
        "{name}: a snippet is cut: {layout}"
    );
    let png = browser.screenshot().await.unwrap();
    let file = format!("first-hour-{name}-{width}px.png");
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(file), png).unwrap();
    layout["tables"].as_u64().unwrap()
}

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

#[tokio::test]
async fn a_new_owner_goes_from_the_home_page_to_a_trained_widget_answering_on_a_host_page_in_chromium()
 {
    the_first_hour(None).await;
}

#[tokio::test]
async fn a_new_owner_goes_from_the_home_page_to_a_trained_widget_on_postgresql_in_chromium() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    the_first_hour(Some(&db)).await;
}

async fn the_first_hour(database: Option<&TestDatabase>) {
    let site = start_site(coffee_shop()).await;
    let url = database.map(|db| db.url().to_owned());
    let (app, mailbox) = spawn_app_with_mail(move |c| {
        c.crawler.allow = vec![site];
        c.jobs.poll_millis = 50;
        if let Some(url) = url {
            c.database_url = Some(url.into());
        }
    })
    .await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.set_window_size(1280, 900).await.unwrap();

    // From the home page to the setup.
    browser.goto(&app.url("/")).await.unwrap();
    click(&browser, "main a[href='/app/sign-in']").await;
    wait_for_text(&browser, "Sign in to Witzo").await;
    fill(&browser, "#email", "maria@example.com").await;
    click(&browser, "form[action='/app/sign-in'] button[type=submit]").await;
    wait_for_text(&browser, "Check your e-mail").await;
    let code = mailbox.code("maria@example.com", 1).await;
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
    let account = until(
        &browser,
        "return location.pathname.endsWith('/training') ? location.pathname : null;",
        10,
    )
    .await;
    let widget = app.state.store.list_accounts().await.unwrap().remove(0);
    let widget = app
        .state
        .store
        .widgets_of(widget.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        account,
        json!(format!("/app/widgets/{}/training", widget.id))
    );

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
    assert_eq!(check_layout(&browser, "training", 1280).await, 0);

    // The whole snippet shows, wrapped, and copies.
    let snippet = browser.execute("const s = document.getElementById('snippet'); \
        return [s.value, s.scrollHeight <= s.clientHeight + 2, s.scrollWidth <= s.clientWidth + 1];", vec![]).await.unwrap();
    let expected = format!(
        "<script src=\"{}/embed/{}.js\" async></script>",
        app.url(""),
        widget.public_key
    );
    assert_eq!(snippet, json!([expected, true, true]));

    // The preview answers from the site.
    click(&browser, "[data-open-preview]").await;
    let answer = ask_widget(&browser, "Who founded Bean There?").await;
    assert!(answer.contains("Maria Lopez"), "{answer}");

    // Every dashboard page on a desktop, and on a phone (the same owner).
    let source = app
        .state
        .store
        .sources_of(widget.account_id, widget.id)
        .await
        .unwrap()
        .remove(0)
        .id;
    let pages = [
        ("overview", "/app".to_owned()),
        ("widget", format!("/app/widgets/{}", widget.id)),
        ("sources", format!("/app/widgets/{}/sources", widget.id)),
        ("source", format!("/app/sources/{source}")),
        ("billing", "/app/billing".to_owned()),
        ("leads", "/app/leads".to_owned()),
        ("account", "/app/account".to_owned()),
        ("training", format!("/app/widgets/{}/training", widget.id)),
    ];
    let phone = driver.phone().await;
    phone.goto(&app.url("/")).await.unwrap();
    for cookie in browser.get_all_cookies().await.unwrap() {
        phone.add_cookie(cookie).await.unwrap();
    }
    for (session, width) in [(&browser, 1280), (&phone, 390)] {
        let mut tables = 0;
        for (name, path) in &pages {
            session.goto(&app.url(path)).await.unwrap();
            until(session, "return document.readyState === 'complete' && document.querySelector('nav.side') ? true : null;", 10).await;
            tables += check_layout(session, name, width).await;
        }
        // Billing's usage and plans, the sources, the source's pages, the
        // account's sessions (no site has loaded the widget yet).
        assert_eq!(tables, 5, "tables checked at {width} px");
    }
    phone.close().await.unwrap();

    // Dates: once each, as <time> in the owner's zone (the preview's conversation).
    browser
        .goto(&app.url(&format!("/app/widgets/{}", widget.id)))
        .await
        .unwrap();
    let times = until(&browser, "const t = [...document.querySelectorAll('main time[datetime]')]; \
        return t.length ? t.map((e) => [e.title.endsWith(' UTC'), e.textContent.includes('UTC UTC')]) : null;", 10).await;
    assert_eq!(times[0], json!([true, false]), "{times}");

    // Live preview: the title changes as it is typed, before Save.
    fill(&browser, "#title", "Bean There help").await;
    let title = poll(
        &browser,
        "const t = root.querySelector('.title'); \
        return t && t.textContent === 'Bean There help' ? t.textContent : null;",
    )
    .await;
    assert_eq!(title, "Bean There help");
    let stored = app
        .state
        .store
        .widgets_of(widget.account_id)
        .await
        .unwrap()
        .remove(0);
    assert!(
        !stored.settings.contains("Bean There help"),
        "not saved: {}",
        stored.settings
    );

    // A notice is read once: a reload does not bring it back.
    browser
        .goto(&app.url(&format!("/app/widgets/{}?notice=saved", widget.id)))
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
}

/// The widget's own words in German, French and Arabic (right to left).
#[tokio::test]
async fn the_widget_speaks_the_language_it_is_set_to_in_chromium() {
    let app = spawn_app().await;
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
    }
    browser.close().await.unwrap();
}
