//! Documents through the real app: uploaded, checked against their
//! contents, extracted by the background worker, and held to the plan's
//! limits.

use witzo_server::app::AppOptions;

use crate::helpers::{error, error_code, spawn_app_with};

#[tokio::test]
async fn documents_are_uploaded_checked_and_extracted_in_the_background() {
    let app = spawn_app_with(|c| c.jobs.poll_millis = 50, AppOptions::default()).await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await.id;
    let files = vec![
        (
            "faq.txt",
            b"Opening hours\n\nWe open at nine every weekday.".to_vec(),
        ),
        (
            "prices.csv",
            b"Product,Price\nGreen tea,4 EUR\nBlack tea,5 EUR\n".to_vec(),
        ),
    ];
    let uploaded = app.upload_documents(&owner, widget, files).await;
    assert_eq!(uploaded.files, ["faq.txt", "prices.csv"]);
    assert_eq!(
        app.wait_job(&owner, uploaded.job_id).await.status,
        "succeeded"
    );
    let knowledge = app.knowledge(widget).await;
    let csv = knowledge.iter().find(|k| k.url == "prices.csv").unwrap();
    assert!(csv.text.contains("Product: Green tea"), "{}", csv.text);
    assert!(
        knowledge
            .iter()
            .any(|k| k.url == "faq.txt" && k.text.contains("We open at nine"))
    );

    let mismatch = app
        .upload(
            &owner,
            widget,
            vec![("report.pdf", b"PK\x03\x04 not a pdf".to_vec())],
        )
        .await;
    assert_eq!(mismatch.status().as_u16(), 415);
    let eleven: Vec<(&'static str, Vec<u8>)> = (0..11).map(|_| ("a.txt", b"x".to_vec())).collect();
    assert_eq!(
        error_code(app.upload(&owner, widget, eleven).await, 422).await,
        "too_many_files"
    );
    let three: Vec<(&'static str, Vec<u8>)> = vec![
        ("c.txt", b"c".to_vec()),
        ("d.txt", b"d".to_vec()),
        ("e.txt", b"e".to_vec()),
    ];
    let over = error(app.upload(&owner, widget, three).await, 403).await;
    assert_eq!(
        (over.code.as_str(), over.used, over.limit),
        ("plan_limit_documents", Some(2), Some(4))
    );
}
