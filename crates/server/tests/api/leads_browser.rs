//! Leads in headless Chromium, through the real UI end to end: one visitor
//! leaves details in the embedded widget's lead form, another types an
//! e-mail address into the chat; the owner finds both leads linked to
//! their transcripts, works one (status, note), filters the list and
//! exports it as CSV, and the CSV parsed back is the list the page shows,
//! with a spreadsheet formula in a name neutralised.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use witzo_server::app::AppOptions;

use crate::helpers::chromium::{Driver, host_site, poll, wait_for_text};
use crate::helpers::dashboard::signed_in;
use crate::helpers::{no_workers, spawn_app_with};

/// A name a spreadsheet would run as a formula.
const EVIL_NAME: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";
/// The columns the leads table shows, by their CSV names (the first
/// column, received, differs in format and is left out).
const COLUMNS: [&str; 8] = [
    "id", "name", "email", "phone", "company", "status", "source", "widget",
];

/// Sends `message` in the embedded widget and waits for the assistant's
/// `nth` finished answer.
async fn say(browser: &Client, message: &str, nth: usize) {
    let send = format!(
        "const i = root.querySelector('[part=input]'); if (!i || i.disabled) return null; i.value = {}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}})); root.querySelector('button[part=send]').click(); return true;",
        json!(message)
    );
    poll(browser, &send).await;
    let done = format!(
        "const a = [...root.querySelectorAll('[data-role=assistant]')].filter(e => e.dataset.state === 'done'); \
         return a.length > {nth} ? true : null;"
    );
    poll(browser, &done).await;
}

/// The conversation the widget on the current page keeps for its visitor.
async fn widget_conversation(browser: &Client) -> String {
    let id = poll(
        browser,
        "const k = Object.keys(localStorage).find(k => k.endsWith(':conversation')); \
         const c = k && JSON.parse(localStorage.getItem(k)); return c && c.conversation_id || null;",
    )
    .await;
    id.as_str().unwrap().to_owned()
}

/// Clicks `css` (a submit button or a link) and waits until the next
/// document has loaded at a URL containing `expected`.
async fn click_and_load(browser: &Client, css: &str, expected: &str) {
    browser
        .execute("window.__old_document = true; return true;", vec![])
        .await
        .unwrap();
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let loaded = browser
            .execute(
                "return window.__old_document !== true && document.readyState === 'complete';",
                vec![],
            )
            .await
            .unwrap_or(Value::Bool(false));
        let url = browser.current_url().await.unwrap();
        if loaded == json!(true) && url.as_str().contains(expected) {
            return;
        }
        if Instant::now() > deadline {
            let page = browser.source().await.unwrap();
            panic!("{css} did not lead to {expected:?}: at {url}: {page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page's notice (`?notice=…`, which the address drops once shown).
async fn notice(browser: &Client) -> String {
    let notice = browser
        .find(Locator::Css("p.notice[role=status]"))
        .await
        .unwrap();
    notice.text().await.unwrap()
}

/// The leads table as the page shows it: per row the `data-lead` id, then
/// the name, e-mail, phone, company, status, source and widget cells.
async fn table(browser: &Client) -> Vec<Vec<String>> {
    let rows = browser
        .execute(
            "return [...document.querySelectorAll('tbody tr[data-lead]')].map(tr => \
             [tr.dataset.lead, ...[...tr.cells].slice(1).map(td => td.textContent)]);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

/// How the CSV export writes a cell: one that starts like a formula gets a
/// leading apostrophe (issue 16's rule, restated here).
fn as_exported(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Fetches the page's CSV export link from within the page (the owner's
/// session cookie, as a click would send it) and parses it: the header and
/// the rows.
async fn export_csv(browser: &Client) -> (String, Vec<csv::StringRecord>, csv::StringRecord) {
    let fetched = browser
        .execute(
            "const a = [...document.querySelectorAll('a[download]')].find(a => a.textContent === 'CSV'); \
             return fetch(a.href, {credentials: 'same-origin'}).then(async r => \
             ({href: a.getAttribute('href'), status: r.status, type: r.headers.get('content-type'), body: new TextDecoder('utf-8', {ignoreBOM: true}).decode(await r.arrayBuffer())}));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fetched["status"], 200, "{fetched}");
    assert_eq!(fetched["type"], "text/csv; charset=utf-8", "{fetched}");
    let body = fetched["body"].as_str().unwrap();
    let body = body.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows = reader.records().map(Result::unwrap).collect();
    (fetched["href"].as_str().unwrap().to_owned(), rows, header)
}

/// `rows`' cells in `columns`, by the header's names.
fn cells(
    header: &csv::StringRecord,
    rows: &[csv::StringRecord],
    columns: &[&str],
) -> Vec<Vec<String>> {
    let at: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == *c).expect(c))
        .collect();
    rows.iter()
        .map(|r| at.iter().map(|&i| r[i].to_owned()).collect())
        .collect()
}

/// Exports the list on the page as CSV and asserts that the parsed rows
/// are exactly the table's, in its order; returns the rows' conversations
/// and notes.
async fn export_equals_table(browser: &Client, query: &str) -> Vec<Vec<String>> {
    let shown = table(browser).await;
    let (href, rows, header) = export_csv(browser).await;
    assert_eq!(href, format!("/api/leads/export?{query}&format=csv"));
    let exported = cells(&header, &rows, &COLUMNS);
    let expected: Vec<Vec<String>> = shown
        .iter()
        .map(|row| row.iter().map(|c| as_exported(c)).collect())
        .collect();
    assert_eq!(exported, expected, "the CSV is the list on the page");
    cells(&header, &rows, &["conversation", "notes"])
}

#[tokio::test]
async fn leads_from_the_form_and_the_chat_are_worked_filtered_and_exported_in_the_dashboard() {
    let app = spawn_app_with(no_workers, AppOptions::default()).await;
    let ada = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&ada, &["localhost"]).await;
    // The lead form opens after the visitor's first message.
    let settings = json!({"name": "Shop chat", "allowed_domains": ["localhost"],
        "settings": {"lead_form": {"enabled": true, "fields": ["name", "email"], "after_messages": 1}}});
    let updated = app.update_widget(&ada, widget.id, &settings).await;
    assert_eq!(updated.status().as_u16(), 200);
    let port = host_site(widget.embed_snippet.clone()).await;
    let shop = format!("http://localhost:{port}/");
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    // A visitor asks, and leaves their details in the lead form.
    browser.goto(&shop).await.unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; b.click(); return true;").await;
    say(&browser, "Do you deliver on Sundays?", 0).await;
    let fields = poll(
        &browser,
        "const f = root.querySelector('form[part=lead-form]'); \
         return f ? [...f.elements].map(e => e.name).filter(Boolean) : null;",
    )
    .await;
    assert_eq!(fields, json!(["name", "email"]));
    let fill = format!(
        "const f = root.querySelector('form[part=lead-form]'); \
         f.querySelector('input[name=name]').value = {}; \
         f.querySelector('input[name=email]').value = 'grace@example.com'; \
         f.querySelector('button[type=submit]').click(); return true;",
        json!(EVIL_NAME)
    );
    poll(&browser, &fill).await;
    let thanks = poll(
        &browser,
        "const t = root.querySelector('[part=lead-thanks]'); return t ? t.textContent : null;",
    )
    .await;
    assert_eq!(
        thanks,
        "Thank you! We have received your details and will be in touch."
    );
    let form_conversation = widget_conversation(&browser).await;

    // Another visitor, in another conversation, types an address instead.
    browser
        .execute(
            "localStorage.clear(); sessionStorage.clear(); return true;",
            vec![],
        )
        .await
        .unwrap();
    browser.goto(&shop).await.unwrap();
    poll(&browser, "const b = root.querySelector('button[part=launcher]'); if (!b) return null; \
        if (root.querySelectorAll('[data-role=visitor]').length) return null; b.click(); return true;").await;
    say(
        &browser,
        "Please write to me at bob@example.com about prices",
        0,
    )
    .await;
    let chat_conversation = widget_conversation(&browser).await;
    assert_ne!(chat_conversation, form_conversation);

    // The owner signs in in the same browser and finds exactly two leads.
    signed_in(&browser, &app, &ada).await;
    browser.set_window_size(1280, 900).await.unwrap();
    browser.goto(&app.url("/app/leads")).await.unwrap();
    wait_for_text(&browser, "2 lead(s)").await;
    let listed = table(&browser).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    // Newest first: the chat lead, then the form lead.
    let chat_id = listed[0][0].clone();
    let form_id = listed[1][0].clone();
    assert_eq!(
        listed,
        [
            [
                chat_id.as_str(),
                "",
                "bob@example.com",
                "",
                "",
                "new",
                "chat",
                "Shop chat"
            ],
            [
                form_id.as_str(),
                EVIL_NAME,
                "grace@example.com",
                "",
                "",
                "new",
                "form",
                "Shop chat"
            ],
        ]
    );

    // Each lead links to its own transcript; the chat lead's address is
    // marked in it.
    for (id, conversation) in [
        (&form_id, &form_conversation),
        (&chat_id, &chat_conversation),
    ] {
        browser.goto(&app.url("/app/leads")).await.unwrap();
        click_and_load(
            &browser,
            &format!("tr[data-lead=\"{id}\"] a"),
            &format!("/app/leads/{id}"),
        )
        .await;
        let link = browser
            .find(Locator::LinkText("Read the transcript"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap();
        assert_eq!(
            link.as_deref(),
            Some(format!("/app/conversations/{conversation}").as_str())
        );
        click_and_load(
            &browser,
            &format!("a[href=\"/app/conversations/{conversation}\"]"),
            &format!("/app/conversations/{conversation}"),
        )
        .await;
        let marked = browser
            .execute(
                "return [...document.querySelectorAll('.transcript .visitor mark')].map(m => m.textContent);",
                vec![],
            )
            .await
            .unwrap();
        let visitor = browser
            .find(Locator::Css(".transcript .visitor .body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if *id == chat_id {
            assert_eq!(marked, json!(["bob@example.com"]));
            assert_eq!(
                visitor,
                "Please write to me at bob@example.com about prices"
            );
        } else {
            assert_eq!(marked, json!([]));
            assert_eq!(visitor, "Do you deliver on Sundays?");
        }
    }

    // The owner works the form lead: a new status, then a note.
    browser.goto(&app.url("/app/leads")).await.unwrap();
    click_and_load(
        &browser,
        &format!("tr[data-lead=\"{form_id}\"] a"),
        &format!("/app/leads/{form_id}"),
    )
    .await;
    browser
        .find(Locator::Css("select#status"))
        .await
        .unwrap()
        .select_by_value("qualified")
        .await
        .unwrap();
    click_and_load(
        &browser,
        &format!("form[action$=\"/app/leads/{form_id}\"] button[type=submit]"),
        &format!("/app/leads/{form_id}"),
    )
    .await;
    assert_eq!(notice(&browser).await, "Saved.");
    let status = browser
        .execute(
            "return [document.querySelector('#status').value, document.querySelector('#notes').value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(["qualified", ""]));
    browser
        .find(Locator::Css("textarea#notes"))
        .await
        .unwrap()
        .send_keys("Called back; wants a Sunday delivery")
        .await
        .unwrap();
    click_and_load(
        &browser,
        &format!("form[action$=\"/app/leads/{form_id}\"] button[type=submit]"),
        &format!("/app/leads/{form_id}"),
    )
    .await;
    assert_eq!(notice(&browser).await, "Saved.");
    let worked = browser
        .execute(
            "return [document.querySelector('#status').value, document.querySelector('#notes').value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        worked,
        json!(["qualified", "Called back; wants a Sunday delivery"])
    );

    // Back on the list: everything exports as shown.
    click_and_load(&browser, "a[href=\"/app/leads\"]", "/app/leads").await;
    let listed = table(&browser).await;
    assert_eq!(
        listed.iter().map(|r| r[5].as_str()).collect::<Vec<_>>(),
        ["new", "qualified"]
    );
    let extra = export_equals_table(&browser, "").await;
    assert_eq!(
        extra,
        [
            [chat_conversation.as_str(), ""],
            [
                form_conversation.as_str(),
                "Called back; wants a Sunday delivery"
            ],
        ]
    );

    // Filtered with the filter form: the qualified form leads only.
    browser
        .find(Locator::Css("form.filters select#status"))
        .await
        .unwrap()
        .select_by_value("qualified")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.filters select#source"))
        .await
        .unwrap()
        .select_by_value("form")
        .await
        .unwrap();
    click_and_load(
        &browser,
        "form.filters button[type=submit]",
        "status=qualified",
    )
    .await;
    wait_for_text(&browser, "1 lead(s)").await;
    let filtered = table(&browser).await;
    assert_eq!(
        filtered,
        [[
            form_id.as_str(),
            EVIL_NAME,
            "grace@example.com",
            "",
            "",
            "qualified",
            "form",
            "Shop chat"
        ]]
    );
    let extra = export_equals_table(&browser, "status=qualified&source=form&sort=newest").await;
    assert_eq!(
        extra,
        [[
            form_conversation.as_str(),
            "Called back; wants a Sunday delivery"
        ]]
    );
    let (_, rows, header) = export_csv(&browser).await;
    assert_eq!(
        cells(&header, &rows, &["id", "name"]),
        [[
            form_id.as_str(),
            "'=HYPERLINK(\"http://evil.example\",\"x\")"
        ]],
        "the formula is neutralised"
    );

    // The JSON API agrees: two leads, the form lead worked.
    let leads = app.leads(&ada).await;
    let ids: Vec<String> = leads.iter().map(|l| l.id.to_string()).collect();
    assert_eq!(ids, [chat_id.clone(), form_id.clone()]);
    assert_eq!(
        (leads[1].status.as_str(), leads[1].notes.as_str()),
        ("qualified", "Called back; wants a Sunday delivery")
    );

    // Kept for people to look at: target/tmp/leads-1280.png.
    browser.goto(&app.url("/app/leads")).await.unwrap();
    wait_for_text(&browser, "2 lead(s)").await;
    // On a desktop every column is in view: a visitor's long name or
    // address wraps rather than pushing the table into a sideways scroll.
    let layout = browser
        .execute(
            "const s = document.querySelector('.table-scroll'); const d = document.documentElement; \
             return {table: s.scrollWidth - s.clientWidth, page: d.scrollWidth - d.clientWidth};",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout, json!({"table": 0, "page": 0}));
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("leads-1280.png"),
        png,
    )
    .unwrap();
    browser.close().await.unwrap();
}
