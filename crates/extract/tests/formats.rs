//! Each supported format, generated as a real file, extracts to the expected text.

mod common;

use common::legacy::{DocPiece, XlsCell, doc, xls};
use common::{PdfPage, document_xml, docx_with, para, pdf, table, xlsx};
use witzo_extract::{
    DocumentKind, ExtractError, Extracted, Limits, detect, extract, extract_async,
};

fn run(name: &str, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let kind = detect(name, bytes)?;
    extract(kind, bytes, &Limits::default())
}

#[test]
fn pdf_pages_lines_title_and_forms() {
    let bytes = pdf(
        "Café Aurora",
        &[
            PdfPage {
                lines: &["Welcome to Café Aurora", "Open daily from 8 to 18"],
            },
            PdfPage {
                lines: &["Menu", "Espresso 2.50 EUR"],
            },
        ],
        true,
    );
    let doc = run("aurora.pdf", &bytes).expect("pdf extracts");
    assert_eq!(doc.title.as_deref(), Some("Café Aurora"));
    assert_eq!(doc.pages, Some(2));
    assert_eq!(
        doc.text,
        "Welcome to Café Aurora\nOpen daily from 8 to 18\n\nDrawn by a form\n\nMenu\nEspresso 2.50 EUR"
    );
}

#[test]
fn pdf_uncompressed_works_too() {
    let bytes = pdf(
        "",
        &[PdfPage {
            lines: &["Plain stream"],
        }],
        false,
    );
    let doc = run("plain.pdf", &bytes).expect("pdf extracts");
    assert_eq!(doc.title, None);
    assert_eq!(doc.text, "Plain stream\n\nDrawn by a form");
}

#[test]
fn pdf_without_text_is_no_text() {
    let bytes = common::pdf_without_text();
    let err = run("scan.pdf", &bytes).unwrap_err();
    assert_eq!(err, ExtractError::NoText);
    assert_eq!(err.code(), "document_no_text");
    assert!(err.message().contains("scanned PDF? OCR is not supported"));
}

#[test]
fn docx_headings_lists_tables_and_title() {
    let body = [
        para(r#"<w:pStyle w:val="Title"/>"#, "Aurora Handbook"),
        para(r#"<w:pStyle w:val="Kop1"/>"#, "Opening hours"),
        para("", "We are open &amp; happy to see you."),
        para(r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>"#, "Monday: closed"),
        para(r#"<w:pStyle w:val="ListBullet"/>"#, "Tuesday: 8-18"),
        para(r#"<w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr>"#, "Kitchen until 17"),
        para(r#"<w:pStyle w:val="Heading2"/>"#, "Prices"),
        table(&[&["Dish", "Price"], &["Soup", "6.50"], &["", ""]]),
        r#"<w:p><w:r><w:t>Line</w:t><w:br/><w:t>break</w:t><w:tab/><w:t>tab</w:t></w:r><w:r><w:instrText>PAGE</w:instrText></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>"#.to_owned(),
        r#"<w:p><mc:AlternateContent><mc:Choice Requires="wps"><w:r><w:t>Box text</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t>Box text</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>"#.to_owned(),
    ]
    .concat();
    let bytes = docx_with(&document_xml(&body), Some("Staff handbook"));
    let doc = run("handbook.docx", &bytes).expect("docx extracts");
    assert_eq!(doc.title.as_deref(), Some("Staff handbook"));
    assert_eq!(doc.pages, None);
    assert_eq!(
        doc.text,
        "# Aurora Handbook\n\n# Opening hours\n\nWe are open & happy to see you.\n\n- Monday: closed\n- Tuesday: 8-18\n  - Kitchen until 17\n\n## Prices\n\nDish | Price\nSoup | 6.50\n\nLine\nbreak tab\n\nBox text"
    );
}

#[test]
fn docx_main_part_follows_relationships() {
    let rels = r#"<Relationships><Relationship Type="http://x/relationships/officeDocument" Target="/word/document2.xml"/></Relationships>"#;
    let document = document_xml(&para("", "From document2"));
    let bytes = common::zip(&[
        ("_rels/.rels", rels.as_bytes()),
        ("word/document2.xml", document.as_bytes()),
    ]);
    let doc = run("moved.docx", &bytes).expect("docx extracts");
    assert_eq!(doc.text, "From document2");
    assert_eq!(doc.title, None);
}

#[test]
fn doc_word97_pieces_fields_and_tables() {
    let bytes = doc(&[
        DocPiece::Compressed(
            b"Caf\xe9 menu\r\x13 HYPERLINK \"https://example.com\" \x14Our site\x15\r",
        ),
        DocPiece::Unicode("Prices: 5 €\rSoup\x07Tea\x07\x07Cake\x07Pie\x07\x07"),
    ]);
    let doc = run("menu.doc", &bytes).expect("doc extracts");
    assert_eq!(
        doc.text,
        "Café menu\n\nOur site\n\nPrices: 5 €\n\nSoup | Tea\nCake | Pie"
    );
    assert_eq!(doc.title, None);
}

#[test]
fn xlsx_two_sheets_as_column_value_lines() {
    let doc = run("prices.xlsx", &xlsx()).expect("xlsx extracts");
    assert_eq!(doc.title.as_deref(), Some("Price list"));
    assert_eq!(
        doc.text,
        "# Menu\n\nDish: Tomato soup\nPrice: 6.5\nVegan: TRUE\n\nDish: Steak\nPrice: 24\n\n# Staff\n\nName: Ana\nRole: Chef"
    );
}

#[test]
fn xls_biff8_sheets() {
    let menu: &[&[XlsCell<'_>]] = &[
        &[XlsCell::Text("Dish"), XlsCell::Text("Price")],
        &[XlsCell::Text("Crème brûlée"), XlsCell::Number(7.25)],
        &[XlsCell::Text("Tea"), XlsCell::Number(3.0)],
    ];
    let staff: &[&[XlsCell<'_>]] = &[&[XlsCell::Text("Name")], &[XlsCell::Text("Ana")]];
    let bytes = xls(&[("Menu", menu), ("Staff", staff)]);
    let doc = run("menu.xls", &bytes).expect("xls extracts");
    assert_eq!(
        doc.text,
        "# Menu\n\nDish: Crème brûlée\nPrice: 7.25\n\nDish: Tea\nPrice: 3\n\n# Staff\n\nName: Ana"
    );
}

#[test]
fn csv_comma_utf8() {
    let doc = run(
        "hours.csv",
        b"Day,Opens,Closes\nMonday,,\nTuesday,08:00,18:00\n",
    )
    .expect("csv");
    assert_eq!(
        doc.text,
        "Day: Monday\n\nDay: Tuesday\nOpens: 08:00\nCloses: 18:00"
    );
}

#[test]
fn csv_semicolon_windows_1252_with_quotes() {
    let bytes = b"Produit;Prix;Note\r\nCr\xe8me br\xfbl\xe9e;6,50;\"Maison; fra\xeeche\"\r\nCaf\xe9;2,00;\r\n";
    let doc = run("prix.csv", bytes).expect("csv");
    assert_eq!(
        doc.text,
        "Produit: Crème brûlée\nPrix: 6,50\nNote: Maison; fraîche\n\nProduit: Café\nPrix: 2,00"
    );
}

#[test]
fn csv_tab_and_pipe_with_bom() {
    let doc = run("a.tsv", "\u{feff}Name\tRole\nAna\tChef\n".as_bytes()).expect("tsv");
    assert_eq!(doc.text, "Name: Ana\nRole: Chef");
    let doc = run("b.csv", b"Name|Role|Extra\nBo|Waiter|x|y\n").expect("pipe");
    assert_eq!(doc.text, "Name: Bo\nRole: Waiter\nExtra: x\nColumn 4: y");
}

#[test]
fn txt_utf16_with_bom() {
    let text = "Hello\r\nWorld — ünïcode\r\n\r\n\r\nBye\u{0}";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let doc = run("notes.txt", &bytes).expect("txt");
    assert_eq!(doc.text, "Hello\nWorld — ünïcode\n\nBye");
    assert_eq!(doc.title, None);
}

#[test]
fn markdown_kept_as_is() {
    let md = "# Aurora\n\nSome *emphasis*.\n\n```\n  code   block\n```\n- item\n";
    let doc = run("readme.md", md.as_bytes()).expect("md");
    assert_eq!(doc.title.as_deref(), Some("Aurora"));
    assert_eq!(
        doc.text,
        "# Aurora\n\nSome *emphasis*.\n\n```\n  code   block\n```\n- item"
    );
}

#[test]
fn output_is_capped_cleanly() {
    let text = "word ".repeat(10_000);
    let limits = Limits {
        max_output_chars: 1_000,
        ..Limits::default()
    };
    let doc = extract(DocumentKind::Txt, text.as_bytes(), &limits).expect("txt");
    assert!(doc.text.chars().count() <= 1_000);
    assert!(doc.text.ends_with("word"));
}

#[tokio::test]
async fn async_wrapper_extracts() {
    let bytes = xlsx();
    let doc = extract_async(DocumentKind::Xlsx, bytes, Limits::default())
        .await
        .expect("xlsx");
    assert!(doc.text.starts_with("# Menu"));
}

#[test]
fn error_codes_and_messages_are_stable() {
    let all = [
        (ExtractError::UnsupportedType, "unsupported_document_type"),
        (ExtractError::TypeMismatch, "document_type_mismatch"),
        (ExtractError::TooLarge, "document_too_large"),
        (ExtractError::NoText, "document_no_text"),
        (
            ExtractError::Unreadable("encrypted".into()),
            "document_unreadable",
        ),
        (ExtractError::Bomb("too deep".into()), "document_bomb"),
        (ExtractError::Timeout, "document_timeout"),
    ];
    for (error, code) in all {
        assert_eq!(error.code(), code);
        assert!(!error.message().is_empty());
    }
    assert_eq!(
        ExtractError::Unreadable("encrypted".into()).message(),
        "The document could not be read (encrypted)."
    );
}
