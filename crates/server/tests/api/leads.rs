//! Leads a business works: captured from the lead form and from contact
//! details typed into the chat, each linked to its conversation; status,
//! notes, filters, search, export, delete; the owner's alert by e-mail; all
//! kept to their account. On SQLite and on PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::app::AppOptions;
use witzo_store::testing::TestDatabase;

use crate::helpers::mailbox::Mailbox;
use crate::helpers::views::Lead;
use crate::helpers::{
    Owner, SHOP, TestApp, error, error_code, no_workers, spawn_app_with, visitor,
};

const OWNER: &str = "owner@example.com";

/// An app mailing through `mailbox`, without background workers (the test
/// drains the jobs), on `database` when given.
pub async fn app_with_mail(database: Option<&TestDatabase>, mailbox: &Mailbox) -> TestApp {
    let url = database.map(|db| db.url().to_owned());
    let smtp = mailbox.url();
    spawn_app_with(
        move |c| {
            c.smtp.url = Some(smtp.into());
            c.database_url = url.map(Into::into);
            no_workers(c);
        },
        AppOptions::default(),
    )
    .await
}

async fn patch(app: &TestApp, owner: &Owner, id: i64, body: Value) -> reqwest::Response {
    app.send_as(
        owner,
        Method::PATCH,
        &format!("/api/leads/{id}"),
        Some(&body),
    )
    .await
}

async fn export(app: &TestApp, owner: &Owner, query: &str) -> (String, String) {
    let response = app
        .get_as(owner, &format!("/api/leads/export?{query}"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (kind, response.text().await.unwrap())
}

fn by_source<'a>(leads: &'a [Lead], source: &str) -> &'a Lead {
    leads.iter().find(|l| l.source == source).unwrap()
}

async fn leads_are_captured_worked_and_exported(database: Option<&TestDatabase>) {
    let mailbox = Mailbox::start().await;
    let app = app_with_mail(database, &mailbox).await;
    let owner = app.sign_in(OWNER).await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;

    // One visitor types contact details into the chat, over two messages.
    let ada = visitor();
    let first = app
        .chat(&widget, "Do you deliver on Sundays?")
        .from(SHOP)
        .visitor(&ada)
        .reply()
        .await;
    let conversation = first.conversation_id.clone();
    for message in [
        "You can reach me at Ada@Example.com tomorrow",
        "or call +44 20 7946 0958, ada@example.com again",
    ] {
        app.chat(&widget, message)
            .from(SHOP)
            .visitor(&ada)
            .conversation(&conversation)
            .reply()
            .await;
    }
    // Another leaves the form, with a name a spreadsheet would run.
    let form = json!({"visitor_id": visitor(), "name": "=HYPERLINK(\"http://evil.example\")",
        "email": "grace@example.com", "company": "+Hopper Ltd", "message": "-Call me"});
    assert_eq!(app.contact(&widget, form).from(SHOP).status().await, 201);

    let leads = app.leads(&owner).await;
    assert_eq!(leads.len(), 2, "one chat lead, updated, and one form lead");
    let chat = by_source(&leads, "chat");
    let contact = chat.contact.as_ref().unwrap();
    assert_eq!(contact.email.as_deref(), Some("ada@example.com"));
    assert_eq!(contact.phone, "+44 20 7946 0958");
    assert_eq!(chat.conversation.as_deref(), Some(conversation.as_str()));
    assert!(
        chat.summary.starts_with("Do you deliver on Sundays?\n"),
        "{}",
        chat.summary
    );
    assert_eq!(chat.status, "new");
    let form = by_source(&leads, "form");
    assert_eq!(form.conversation, None);

    // The transcript marks the details the visitor typed.
    let page = app
        .page_as(&owner, &format!("/app/conversations/{conversation}"))
        .await;
    assert!(page.contains("<mark>Ada@Example.com</mark>"), "{page}");
    assert!(page.contains("<mark>+44 20 7946 0958</mark>"));

    // The owner is told of each new lead, once.
    assert_eq!(app.drain_jobs().await, 2);
    let alert = mailbox.wait_for(OWNER, 2).await;
    assert!(
        mailbox
            .messages()
            .iter()
            .any(|m| m.contains("ada@example.com"))
    );
    assert!(alert.contains("Subject: Witzo: a new lead on"), "{alert}");
    assert_eq!(app.drain_jobs().await, 0);
    assert_eq!(mailbox.messages().len(), 2);

    // Status and notes.
    let response = patch(
        &app,
        &owner,
        chat.id,
        json!({"status": "contacted", "notes": "Called back"}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (updated["status"].as_str(), updated["notes"].as_str()),
        (Some("contacted"), Some("Called back"))
    );

    // Filters, search, sort.
    let ids =
        |page: crate::helpers::views::LeadPage| page.leads.iter().map(|l| l.id).collect::<Vec<_>>();
    assert_eq!(
        ids(app.lead_page(&owner, "status=contacted").await),
        [chat.id]
    );
    assert_eq!(ids(app.lead_page(&owner, "source=form").await), [form.id]);
    assert_eq!(ids(app.lead_page(&owner, "q=HOPPER").await), [form.id]);
    assert_eq!(
        ids(app.lead_page(&owner, "q=called%20back").await),
        [chat.id]
    );
    assert_eq!(ids(app.lead_page(&owner, "q=%25").await), Vec::<i64>::new());
    assert_eq!(
        ids(app.lead_page(&owner, "sort=oldest").await),
        [chat.id, form.id]
    );
    assert_eq!(
        ids(app
            .lead_page(&owner, &format!("widget={}", widget.id))
            .await)
        .len(),
        2
    );
    assert_eq!(
        ids(app.lead_page(&owner, "from=2999-01-01").await),
        Vec::<i64>::new()
    );
    let all = app.lead_page(&owner, "").await;
    assert_eq!(by_source(&all.leads, "chat").notes, "Called back");
    assert_eq!((all.total, all.page, all.pages), (2, 1, 1));

    // CSV of the filtered set, parsed back; formulas neutralised.
    let (kind, csv) = export(&app, &owner, "source=form&format=csv").await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let body = csv.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["id", "received", "updated"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(cell("id"), form.id.to_string());
    assert_eq!(cell("name"), "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(cell("company"), "'+Hopper Ltd");
    assert_eq!(cell("message"), "'-Call me");
    assert_eq!(cell("email"), "grace@example.com");
    assert!(cell("received").ends_with("+00:00"), "{}", cell("received"));
    // JSON of everything, the same leads as the list.
    let (kind, json) = export(&app, &owner, "format=json").await;
    assert_eq!(kind, "application/json");
    let exported: Vec<Value> = serde_json::from_str(&json).unwrap();
    let exported: Vec<i64> = exported.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(exported, ids(all));

    // Another account sees none of it.
    let bob = app.sign_in("bob@example.com").await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"notes": "x"}))),
        (Method::DELETE, None),
    ] {
        let response = app
            .send_as(
                &bob,
                method,
                &format!("/api/leads/{}", form.id),
                body.as_ref(),
            )
            .await;
        assert_eq!(error_code(response, 404).await, "not_found");
    }
    assert_eq!(app.lead_page(&bob, "").await.total, 0);
    let (_, empty) = export(&app, &bob, "").await;
    assert_eq!(empty.lines().count(), 1, "only the header: {empty}");
    let page = app.get_as(&bob, &format!("/app/leads/{}", form.id)).await;
    assert_eq!(error_code(page, 404).await, "not_found");

    // Deleting the chat lead removes its details from the transcript.
    let response = app
        .send_as(
            &owner,
            Method::DELETE,
            &format!("/api/leads/{}", chat.id),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let transcript = app.transcript(&owner, &conversation).await;
    let said: Vec<&str> = transcript
        .messages
        .iter()
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(
        said.iter().filter(|m| m.contains("[removed]")).count(),
        2,
        "{said:?}"
    );
    assert!(
        !said
            .iter()
            .any(|m| m.to_lowercase().contains("ada@example.com") || m.contains("7946"))
    );
    assert_eq!(app.leads(&owner).await.len(), 1);
}

#[tokio::test]
async fn leads_are_captured_worked_and_exported_on_sqlite() {
    leads_are_captured_worked_and_exported(None).await;
}

#[tokio::test]
async fn leads_are_captured_worked_and_exported_on_postgresql() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    leads_are_captured_worked_and_exported(Some(&db)).await;
}

#[tokio::test]
async fn bad_filters_and_edits_are_refused_with_their_codes() {
    let mailbox = Mailbox::start().await;
    let app = app_with_mail(None, &mailbox).await;
    let owner = app.sign_in(OWNER).await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let form = json!({"visitor_id": visitor(), "email": "grace@example.com"});
    assert_eq!(app.contact(&widget, form).from(SHOP).status().await, 201);
    let lead = app.leads(&owner).await[0].id;

    for (query, field) in [
        ("page=0", "page"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
    ] {
        let body = error(
            app.get_as(&owner, &format!("/api/leads?{query}")).await,
            422,
        )
        .await;
        assert_eq!(
            (body.code.as_str(), body.field.as_deref()),
            ("validation_failed", Some(field))
        );
    }
    for (query, status, code) in [
        ("status=bogus", 422, "validation_failed"),
        ("sort=random", 422, "validation_failed"),
        ("format=xml", 422, "validation_failed"),
        ("unknown=1", 422, "unknown_field"),
        ("widget=x", 400, "invalid_query"),
    ] {
        let response = app.get_as(&owner, &format!("/api/leads?{query}")).await;
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{query}: {body}"
        );
    }
    let long = "n".repeat(5001);
    let response = patch(&app, &owner, lead, json!({"notes": long})).await;
    assert_eq!(error_code(response, 422).await, "validation_failed");
    let response = patch(&app, &owner, lead, json!({"status": "won"})).await;
    assert_eq!(error_code(response, 422).await, "validation_failed");
    let response = app
        .send_as(&owner, Method::PATCH, "/api/leads/abc", Some(&json!({})))
        .await;
    assert_eq!(error_code(response, 400).await, "invalid_path");
    // Hostile text in search and notes is data: never a 500, stored as given.
    for naughty in naughty_strings::BLNS.iter().take(200) {
        let q: String = form_urlencoded::byte_serialize(naughty.as_bytes()).collect();
        let status = app
            .get_as(&owner, &format!("/api/leads?q={q}"))
            .await
            .status()
            .as_u16();
        assert!(status == 200 || status == 422, "{naughty:?}: {status}");
        let status = patch(&app, &owner, lead, json!({"notes": naughty}))
            .await
            .status()
            .as_u16();
        assert!(status == 200 || status == 422, "{naughty:?}: {status}");
    }
    assert_eq!(app.leads(&owner).await.len(), 1, "nothing stored was lost");
}
