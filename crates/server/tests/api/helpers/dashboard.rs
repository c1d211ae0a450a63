//! Driving dashboard pages in Chromium: signing in, filling and clicking, waiting on
//! page JavaScript, and checking a page's layout at a width.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{Owner, TestApp};

/// Puts `owner`'s session cookie into `browser`, on the app's host (a page
/// of it is opened first, as browsers set cookies only for the open site).
pub async fn signed_in(browser: &Client, app: &TestApp, owner: &Owner) {
    browser.goto(&app.url("/app/sign-in")).await.unwrap();
    let (name, token) = owner.cookie.split_once('=').unwrap();
    let cookie = format!(
        "{name}={token}; Domain={}; Path=/; SameSite=Lax",
        app.addr.ip()
    );
    browser
        .add_cookie(fantoccini::cookies::Cookie::parse(cookie).unwrap())
        .await
        .unwrap();
}

pub async fn fill(browser: &Client, css: &str, value: &str) {
    let field = browser.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub async fn click(browser: &Client, css: &str) {
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
pub async fn until(browser: &Client, script: &str, secs: u64) -> Value {
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

/// Opens `url` and waits until the page (and app.js) has loaded.
pub async fn open(browser: &Client, url: &str) {
    browser.goto(url).await.unwrap();
    until(
        browser,
        "return document.readyState === 'complete' && document.querySelector('main') ? true : null;",
        10,
    )
    .await;
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
const unwrapped = tables.filter((t) => !t.parentElement.classList.contains('table-scroll')
  && !t.parentElement.classList.contains('scroll'))
  .map((t) => t.querySelector('caption') ? t.querySelector('caption').textContent : t.outerHTML.slice(0, 80));
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
return { snippetsCut, scrolling, spill, wide, unwrapped, width: window.innerWidth, overflow: doc.scrollWidth - doc.clientWidth,
  tables: tables.length, stuck, hidden, menuRows, menuItems: document.querySelectorAll('nav.side li').length,
  utcTwice: document.body.textContent.includes('UTC UTC') };
"#;

/// Checks the page's layout at the current width and keeps a screenshot
/// (target/tmp/{name}-{width}px.png): no sideways overflow, every table
/// whole or in its scrolling box (and on a desktop, fitting without
/// scrolling), no hidden cells, the menu in one row on a phone, dates
/// once, snippets whole. Returns the page's tables.
pub async fn check_layout(browser: &Client, name: &str, width: u64) -> u64 {
    let layout = browser.execute(LAYOUT, vec![]).await.unwrap();
    assert_eq!(layout["width"], width, "{name}: {layout}");
    assert_eq!(layout["overflow"], 0, "{name} overflows sideways: {layout}");
    assert_eq!(
        layout["wide"],
        json!([]),
        "{name}: wider than the page: {layout}"
    );
    assert_eq!(
        layout["stuck"],
        json!([]),
        "{name}: tables cut off: {layout}"
    );
    assert_eq!(
        layout["unwrapped"],
        json!([]),
        "{name}: tables outside a scrolling box: {layout}"
    );
    assert_eq!(layout["hidden"], 0, "{name}: hidden table cells: {layout}");
    if width >= 1280 {
        // On a desktop every table fits its card: nothing to scroll.
        assert_eq!(layout["scrolling"], json!([]), "{name}: {layout}");
    }
    let menu = layout["menuItems"].as_u64().unwrap();
    let rows = if width < 720 { menu.min(1) } else { menu };
    assert_eq!(layout["menuRows"], rows, "{name}: menu rows: {layout}");
    assert_eq!(layout["utcTwice"], false, "{name}");
    assert_eq!(
        layout["snippetsCut"], 0,
        "{name}: a snippet is cut: {layout}"
    );
    let png = browser.screenshot().await.unwrap();
    let file = format!("{name}-{width}px.png");
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(file), png).unwrap();
    layout["tables"].as_u64().unwrap()
}
