//! The widget pages of the dashboard, driven as a browser without
//! JavaScript would: setup on first sign-in, the widget page, key
//! regeneration, logo upload and deletion through forms.

use crate::helpers::pages::hidden_csrf;
use crate::helpers::{header, spawn_app_with_mail};

#[tokio::test]
async fn the_first_sign_in_sets_up_a_widget_and_its_page_embeds_a_preview() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let overview = client.get(app.url("/app")).send().await.unwrap();
    assert_eq!(header(&overview, "location"), Some("/app/setup"));
    let setup = client
        .get(app.url("/app/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&setup);
    let bad = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", ""),
            ("domain", "https://nope/x"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains(r#"data-code="validation_failed""#)
    );
    let created = client
        .post(app.url("/app/setup"))
        .form(&[
            ("name", "Shop"),
            ("website", "https://Shop.Example.com/about"),
            ("domain", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 303);
    // The website's crawl started: setup leads to its progress.
    let location = header(&created, "location").unwrap().to_owned();
    assert_eq!(location, "/app/widgets/1/training");
    let training = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(training.contains("Reading your website"), "{training}");
    assert!(
        training.contains(">https://shop.example.com/about</a>"),
        "{training}"
    );
    let page = client
        .get(app.url("/app/widgets/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("shop.example.com"),
        "domain taken from the website"
    );
    let widget = app
        .state
        .store
        .widgets_of(app.state.store.list_accounts().await.unwrap()[0].id)
        .await
        .unwrap()
        .remove(0);
    let snippet = format!(
        "&#60;script src=&#34;{}/embed/{}.js&#34; async&#62;&#60;/script&#62;",
        app.url(""),
        widget.public_key
    );
    assert!(
        page.contains(&snippet)
            || page.contains(
                &snippet
                    .replace("&#60;", "&lt;")
                    .replace("&#62;", "&gt;")
                    .replace("&#34;", "&quot;")
            ),
        "{page}"
    );
    assert!(page.contains(&format!(r#"data-witzo-key="{}""#, widget.public_key)));
    assert!(
        page.contains("data-witzo-preview=\""),
        "live preview with a token"
    );
    // The overview now lists it instead of the setup.
    let overview = client.get(app.url("/app")).send().await.unwrap();
    assert_eq!(overview.status().as_u16(), 200);
}

#[tokio::test]
async fn forms_regenerate_the_key_upload_a_logo_and_delete_the_widget() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let csrf = app.csrf(&client).await;
    let created = client
        .post(app.url("/app/widgets"))
        .form(&[
            ("name", "Shop"),
            ("allowed_domains", "shop.example.com\n*.example.org"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 303);
    let page_url = header(&created, "location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let account = app.state.store.list_accounts().await.unwrap()[0].id;
    let before = app.state.store.widgets_of(account).await.unwrap().remove(0);

    let regenerated = client
        .post(app.url(&format!("{page_url}/regenerate-key")))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&regenerated, "location"),
        Some(format!("{page_url}?notice=key_regenerated").as_str())
    );
    let after = app.state.store.widgets_of(account).await.unwrap().remove(0);
    assert_ne!(after.public_key, before.public_key);

    let png =
        reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n0000".to_vec()).file_name("logo.png");
    let no_token = client
        .post(app.url(&format!("{page_url}/logo")))
        .multipart(reqwest::multipart::Form::new().part("logo", png))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::helpers::error_code(no_token, 403).await,
        "csrf_token_missing"
    );
    let png =
        reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n0000".to_vec()).file_name("logo.png");
    let uploaded = client
        .post(app.url(&format!("{page_url}/logo?csrf_token={csrf}")))
        .multipart(reqwest::multipart::Form::new().part("logo", png))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&uploaded, "location"),
        Some(format!("{page_url}?notice=logo_saved").as_str())
    );

    let deleted = client
        .post(app.url(&format!("{page_url}/delete")))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&deleted, "location"),
        Some("/app/widgets?notice=deleted")
    );
    assert!(
        app.state
            .store
            .widgets_of(account)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A settings form the widget refuses comes back as the widget page with
/// what the owner typed still in it and the reason, and nothing is saved;
/// a form that cannot be read at all shows the stored settings.
#[tokio::test]
async fn a_refused_settings_form_keeps_the_draft_and_saves_nothing() {
    let (app, mailbox) = spawn_app_with_mail(|_| {}).await;
    let client = crate::helpers::browser();
    app.sign_in_by_email(&client, &mailbox, "ada@example.com")
        .await;
    let csrf = app.csrf(&client).await;
    let created = client
        .post(app.url("/app/widgets"))
        .form(&[
            ("name", "Shop"),
            ("allowed_domains", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let page_url = header(&created, "location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let form = |title: &str, color: &str, auto_open: &str| {
        [
            ("name", "Shop".to_owned()),
            ("allowed_domains", String::new()),
            ("title", title.to_owned()),
            ("welcome_message", String::new()),
            ("placeholder", String::new()),
            ("primary_color", color.to_owned()),
            ("position", "right".to_owned()),
            ("auto_open_secs", auto_open.to_owned()),
            ("suggested_questions", String::new()),
            ("language", "en".to_owned()),
            ("instructions", String::new()),
            ("lead_after", "3".to_owned()),
            ("csrf_token", csrf.clone()),
        ]
    };
    let refused = client
        .post(app.url(&page_url))
        .form(&form("Draft title", "red", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"data-code="validation_failed""#), "{page}");
    assert!(
        page.contains(r#"value="Draft title""#),
        "the draft stays: {page}"
    );

    let unreadable = client
        .post(app.url(&page_url))
        .form(&form("Other title", "#112233", "soon"))
        .send()
        .await
        .unwrap();
    assert_eq!(unreadable.status().as_u16(), 422);
    let page = unreadable.text().await.unwrap();
    assert!(page.contains(r#"data-code="validation_failed""#), "{page}");
    assert!(!page.contains("Other title"), "{page}");

    let account = app.state.store.list_accounts().await.unwrap()[0].id;
    let stored = app.state.store.widgets_of(account).await.unwrap().remove(0);
    assert!(
        !stored.settings.contains("Draft title") && !stored.settings.contains("Other title"),
        "{}",
        stored.settings
    );
}
