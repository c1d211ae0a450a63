//! The first hour without a browser: setup refusing a site the crawler
//! would refuse (and naming `crawler.allow` for a local one), and the
//! progress page saying plainly why a site could not be read.

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
