//! Q&A pairs as CSV files through the real app: hostile cells kept as text
//! and escaped on export, and bad files refused whole.

use serde_json::{Value, json};

use crate::helpers::{ErrorBody, app_with_widget, error_code, header};

#[tokio::test]
async fn csv_import_keeps_formula_cells_as_text_and_export_escapes_them() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    let file = "question,answer\n\
        =HYPERLINK(\"http://evil.example\"),+1 call us\n\
        -2 discount?,@SUM(A1)\n\
        \"Multi-line, quoted?\",\"Yes,\nit works\"\n";
    let imported = app
        .import_qa(&ada, w, file.as_bytes().to_vec(), false)
        .await;
    assert_eq!(imported.status().as_u16(), 200);
    assert_eq!(
        imported.json::<Value>().await.unwrap(),
        json!({"imported": 3, "total": 3})
    );
    let stored: Vec<(String, String)> = app
        .pairs(&ada, w)
        .await
        .iter()
        .map(|p| {
            (
                p["question"].as_str().unwrap().to_owned(),
                p["answer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stored[0],
        (
            "=HYPERLINK(\"http://evil.example\")".to_owned(),
            "+1 call us".to_owned()
        )
    );
    assert_eq!(
        stored[1],
        ("-2 discount?".to_owned(), "@SUM(A1)".to_owned())
    );
    assert_eq!(
        stored[2],
        (
            "Multi-line, quoted?".to_owned(),
            "Yes,\nit works".to_owned()
        )
    );

    let export = app
        .get_as(&ada, &format!("/api/widgets/{w}/qa/export.csv"))
        .await;
    assert_eq!(export.status().as_u16(), 200);
    assert_eq!(
        header(&export, "content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        header(&export, "content-disposition"),
        Some(format!("attachment; filename=\"qa-{w}.csv\"").as_str())
    );
    let text = export.text().await.unwrap();
    assert_eq!(
        text,
        "question,answer\n\
         \"'=HYPERLINK(\"\"http://evil.example\"\")\",'+1 call us\n\
         '-2 discount?,'@SUM(A1)\n\
         \"Multi-line, quoted?\",\"Yes,\nit works\"\n"
    );
    // The exported file imports back to the same pairs.
    let again = app.import_qa(&ada, w, text.into_bytes(), true).await;
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        json!({"imported": 3, "total": 3})
    );
    let round: Vec<String> = app
        .pairs(&ada, w)
        .await
        .iter()
        .map(|p| p["question"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        round,
        stored.iter().map(|(q, _)| q.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_bad_import_is_refused_whole_and_imports_nothing() {
    let (app, ada, widget) = app_with_widget(&["shop.example.com"]).await;
    let w = widget.id;
    app.add_pair(&ada, w, "Kept?", "Kept.").await;
    let (app, ada) = (&app, &ada);
    let refused = |file: Vec<u8>, replace: bool| async move {
        let response = app.import_qa(ada, w, file, replace).await;
        let status = response.status().as_u16();
        let body: ErrorBody = response.json().await.unwrap();
        (status, body)
    };

    let mut huge = b"question,answer\n".to_vec();
    while huge.len() < 10 * 1024 * 1024 {
        huge.extend_from_slice(b"How much is it?,Ten euros.\n");
    }
    let (status, body) = refused(huge, true).await;
    assert_eq!(
        (status, body.code.as_str()),
        (413, "payload_too_large"),
        "{body:?}"
    );

    let (status, body) = refused(b"question,answer\nfine,fine\ncaf\xe9,bad\n".to_vec(), true).await;
    assert_eq!(
        (status, body.code.as_str()),
        (422, "invalid_encoding"),
        "{body:?}"
    );

    for wrong in [
        "q,a\nx,y\n",
        "question\nx\n",
        "question,answer,notes\nx,y,z\n",
        "answer,answer\nx,y\n",
    ] {
        let (status, body) = refused(wrong.as_bytes().to_vec(), true).await;
        assert_eq!(
            (status, body.code.as_str()),
            (422, "invalid_columns"),
            "{wrong}: {body:?}"
        );
    }
    let (status, body) = refused(b"question,answer\nfine,fine\nshort row\n".to_vec(), true).await;
    assert_eq!(
        (status, body.code.as_str(), body.row),
        (422, "invalid_columns", Some(3))
    );

    let (status, body) = refused(b"question,answer\nfine,fine\nempty,\n".to_vec(), true).await;
    assert_eq!(
        (status, body.code.as_str(), body.row, body.column.as_deref()),
        (422, "invalid_cell", Some(3), Some("answer"))
    );
    assert_eq!(body.message, "Row 3: answer must not be empty.");
    let long = format!(
        "question,answer\nfine,fine\nfine,fine\n{},a\n",
        "q".repeat(501)
    );
    let (status, body) = refused(long.into_bytes(), false).await;
    assert_eq!(
        (status, body.code.as_str(), body.row, body.column.as_deref()),
        (422, "invalid_cell", Some(4), Some("question"))
    );
    let missing = app
        .post_multipart(
            ada,
            &format!("/api/widgets/{w}/qa/import"),
            reqwest::multipart::Form::new().text("replace", "true"),
        )
        .await;
    assert_eq!(error_code(missing, 422).await, "missing_field");

    let left = app.pairs(ada, w).await;
    assert_eq!(
        (left.len(), left[0]["question"].as_str()),
        (1, Some("Kept?")),
        "nothing imported, nothing replaced"
    );
}
