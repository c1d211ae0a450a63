//! The first hour without a browser: setup refusing a site the crawler
//! would refuse (and naming `crawler.allow` for a local one), and the
//! progress page saying plainly why a site could not be read; the help
//! for a local test page, the time zone dates are written in, and the
//! widget's languages as offered and as written in widget.js.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::helpers::site::{coffee_shop, start_site};
use crate::helpers::spawn_app_with_mail;

#[tokio::test]
async fn setup_with_a_site_the_crawler_refuses_says_why_and_names_crawler_allow() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let setup = client
        .get(app.url("/app/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::pages::hidden_csrf(&setup);
    let refused = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", "http://127.0.0.1:8000/"),
            ("domain", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"data-code="url_not_allowed""#), "{page}");
    assert!(
        page.contains(
            "To crawl a local test site, allow its address with crawler.allow \
             (WITZO_CRAWLER__ALLOW=&#39;[&#34;127.0.0.1:8000&#34;]&#39;)."
        ),
        "{page}"
    );
    // Nothing was made: the owner is still at the setup.
    let account = app.state.store.list_accounts().await.unwrap().remove(0);
    assert!(
        app.state
            .store
            .widgets_of(account.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A public name that does not resolve is accepted, and its failure is
    // said plainly on the progress page once the crawl ends.
    let started = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", "https://shop.invalid/"),
            ("domain", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status().as_u16(), 303);
    let location = crate::helpers::header(&started, "location")
        .unwrap()
        .to_owned();
    assert!(location.ends_with("/training"), "{location}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = client
            .get(app.url(&location))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("data-problem") {
            break page;
        }
        assert!(Instant::now() < deadline, "the crawl never ended: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        page.contains("Witzo could not find https://shop.invalid/: its name does not resolve (DNS lookup failed). Check the address for typos."),
        "{page}"
    );
    assert!(
        page.contains("data-ready hidden"),
        "no preview before pages are in: {page}"
    );
    assert!(
        page.contains("<span data-elapsed> — 0:"),
        "elapsed once ended: {page}"
    );
}

/// A website whose name leads to this machine passes the setup (a name is
/// resolved only when crawled) and is refused by the crawler: the progress
/// page says so and, in development, names the setting that allows it.
#[tokio::test]
async fn a_site_on_this_machine_is_refused_by_the_crawl_and_the_progress_page_names_crawler_allow()
{
    let site = start_site(coffee_shop()).await;
    let (app, mailbox) = spawn_app_with_mail(|c| c.jobs.poll_millis = 50).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let setup = client
        .get(app.url("/app/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::pages::hidden_csrf(&setup);
    // Another port than 80 or 443 is refused at setup (with the same hint).
    let other_port = format!("http://localhost:{}/", site.port());
    let refused = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", other_port.as_str()),
            ("domain", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains(&format!(
            "This address cannot be crawled: only ports 80 and 443 are crawled. To crawl a local test site, \
             allow its address with crawler.allow (WITZO_CRAWLER__ALLOW=&#39;[&#34;127.0.0.1:{}&#34;]&#39;).",
            site.port()
        )),
        "{refused}"
    );
    let website = "http://localhost/".to_owned();
    let started = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", website.as_str()),
            ("domain", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status().as_u16(), 303);
    let location = crate::helpers::header(&started, "location")
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = client
            .get(app.url(&location))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("data-problem") {
            break page;
        }
        assert!(Instant::now() < deadline, "the crawl never ended: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let port = 80;
    assert!(
        page.contains(&format!(
            "Witzo refused to read {website}: it leads to a local or private network address (loopback), \
             which the crawler never visits. For a local test site, allow its address with crawler.allow, \
             e.g. WITZO_CRAWLER__ALLOW=&#39;[&#34;127.0.0.1:{port}&#34;]&#39;, and restart the server."
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "{website}</span> — failed: refused address (loopback)</li>"
        )),
        "{page}"
    );
    assert!(page.contains("data-ready hidden"), "{page}");
}

/// The widget page lists the languages the widget speaks; a tag it does not
/// list stays selected, saying which language its texts are in.
#[tokio::test]
async fn the_language_list_names_the_widgets_languages_and_keeps_another_tag() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let path = format!("/app/widgets/{}", widget.id);
    let page = app.page_as(&owner, &path).await;
    assert!(
        page.contains(r#"<option value="en" selected>English (en)</option>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="ar">العربية (ar)</option>"#),
        "{page}"
    );
    // Two positions and the twelve languages.
    assert_eq!(page.matches("<option value=").count(), 14, "{page}");
    for (tag, label) in [
        ("de-AT", "de-AT (texts in Deutsch)"),
        ("eo", "eo (texts in English)"),
    ] {
        let settings = serde_json::json!({"name": "Shop chat", "allowed_domains": ["shop.example.com"], "settings": {"language": tag}});
        assert_eq!(
            app.update_widget(&owner, widget.id, &settings)
                .await
                .status()
                .as_u16(),
            200
        );
        let page = app.page_as(&owner, &path).await;
        assert!(
            page.contains(&format!(
                r#"<option value="{tag}" selected>{label}</option>"#
            )),
            "{page}"
        );
        assert_eq!(page.matches("<option value=").count(), 15, "{page}");
    }
}

/// The setup and the widget's settings say that a test page on the
/// owner's own machine is allowed as `localhost` or `127.0.0.1`.
#[tokio::test]
async fn the_setup_and_widget_pages_say_localhost_and_127_0_0_1_work_for_a_local_test_page() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let setup = app.page_as(&owner, "/app/setup").await;
    assert!(
        setup.contains(
            "Trying it on a test page on your own computer (development)? <code>localhost</code> and \
             <code>127.0.0.1</code> work as allowed domains, on any scheme and port.</p>"
        ),
        "{setup}"
    );
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let page = app
        .page_as(&owner, &format!("/app/widgets/{}", widget.id))
        .await;
    assert!(
        page.contains(
            "<p id=\"domains-help\" class=\"muted\">Trying it on a test page on your own computer (development)? \
             <code>localhost</code> and <code>127.0.0.1</code> work as allowed domains, on any scheme and port.</p>"
        ),
        "{page}"
    );
}

/// Signed-in pages name the account's time zone for app.js, which writes
/// their dates in it; signed-out pages name none (the browser's is used).
#[tokio::test]
async fn signed_in_pages_name_the_accounts_time_zone_for_their_dates() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    app.create_widget(&owner, &["shop.example.com"]).await;
    let body = |page: &str| {
        page.lines()
            .find(|l| l.starts_with("<body"))
            .map(str::to_owned)
    };
    let account = app.page_as(&owner, "/app/account").await;
    assert_eq!(
        body(&account).as_deref(),
        Some("<body data-time-zone=\"UTC\">")
    );
    let mut profile = crate::helpers::valid_profile();
    profile["time_zone"] = serde_json::json!("Asia/Tokyo");
    assert_eq!(
        app.put_profile(&owner, &profile).await.status().as_u16(),
        200
    );
    for path in ["/app", "/app/leads", "/app/account"] {
        let page = app.page_as(&owner, path).await;
        assert_eq!(
            body(&page).as_deref(),
            Some("<body data-time-zone=\"Asia/Tokyo\">"),
            "{path}"
        );
    }
    let home = app.get("/").await.text().await.unwrap();
    assert_eq!(body(&home).as_deref(), Some("<body>"));
}

/// The languages of widget.js's `STRINGS` and the keys of each: names
/// before a `:` outside string literals and comments, at depth one
/// (languages) and two (keys).
fn widget_strings(js: &str) -> BTreeMap<String, BTreeSet<String>> {
    let start = js.find("const STRINGS = {").expect("STRINGS in widget.js");
    let mut chars = js[start + "const STRINGS = ".len()..].chars().peekable();
    let (mut languages, mut language, mut word) = (BTreeMap::new(), String::new(), String::new());
    let mut depth = 0;
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
                word.clear();
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                word.clear();
            }
            '{' => {
                depth += 1;
                word.clear();
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                word.clear();
            }
            ':' => {
                match depth {
                    1 => {
                        language = word.clone();
                        languages.insert(word.clone(), BTreeSet::new());
                    }
                    2 => {
                        languages
                            .get_mut(&language)
                            .expect("keys inside a language")
                            .insert(word.clone());
                    }
                    _ => {}
                }
                word.clear();
            }
            c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
            _ => word.clear(),
        }
    }
    languages
}

/// The settings page offers exactly the languages the widget has words
/// for, and every language has the same words as English.
#[test]
fn the_offered_languages_are_the_languages_the_widget_has_every_string_in() {
    let strings = widget_strings(include_str!("../../assets/widget.js"));
    let offered: BTreeSet<&str> = witzo_server::routes::dashboard::widgets::WIDGET_LANGUAGES
        .iter()
        .map(|(tag, _)| *tag)
        .collect();
    let written: BTreeSet<&str> = strings.keys().map(String::as_str).collect();
    assert_eq!(written, offered);
    assert_eq!(offered.len(), 12);
    let english = &strings["en"];
    assert_eq!(english.len(), 35, "{english:?}");
    for key in ["helpful", "notHelpful", "limitReached", "leadThanks"] {
        assert!(english.contains(key), "{key}: {english:?}");
    }
    for (language, keys) in &strings {
        let missing: Vec<_> = english.difference(keys).collect();
        let extra: Vec<_> = keys.difference(english).collect();
        assert_eq!((language, missing, extra), (language, vec![], vec![]));
    }
}
