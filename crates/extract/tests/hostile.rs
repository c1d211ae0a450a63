//! Hostile inputs: every one gives text or a clean error code, never a panic or a hang.
//! "No hang" is asserted through the limits: no result may be `Timeout` (the deadline is
//! the default 30 s), so each case ends by design well before it.

mod common;

use std::time::Duration;

use common::legacy::{DocPiece, XlsCell, compound_file, doc, record, xls_with_records};
use common::{PdfPage, document_xml, docx_with, para, pdf, zip};
use witzo_extract::{
    DocumentKind, ExtractError, Extracted, Limits, detect, extract, extract_async,
};

fn code(result: Result<Extracted, ExtractError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

fn run(kind: DocumentKind, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    extract(kind, bytes, &Limits::default())
}

#[test]
fn zip_bomb_by_declared_size_is_refused() {
    // 11 entries of 10 MiB of zeros: ~110 KiB on disk, 110 MiB expanded (> 100 MiB).
    let zeros = vec![0u8; 10 << 20];
    let document = document_xml(&para("", "hi"));
    let mut entries: Vec<(String, &[u8])> = vec![("word/document.xml".into(), document.as_bytes())];
    for i in 0..11 {
        entries.push((format!("word/media/blob{i}.bin"), &zeros));
    }
    let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let bytes = zip(&refs);
    assert!(bytes.len() < 200_000);
    let kind = detect("bomb.docx", &bytes).expect("looks like a docx");
    assert_eq!(
        run(kind, &bytes),
        Err(ExtractError::Bomb("the archive expands too large".into()))
    );
    assert_eq!(code(run(DocumentKind::Xlsx, &bytes)), "document_bomb");
}

#[test]
fn zip_with_too_many_entries_is_refused() {
    let names: Vec<String> = (0..2_001).map(|i| format!("xl/e{i}.xml")).collect();
    let mut refs: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b"x".as_slice()))
        .collect();
    refs.push(("xl/workbook.xml", b"<workbook/>"));
    let bytes = zip(&refs);
    assert_eq!(
        run(DocumentKind::Xlsx, &bytes),
        Err(ExtractError::Bomb("too many entries in the archive".into()))
    );
}

#[test]
fn zip_entry_lying_about_its_size_is_a_clean_error() {
    let document = document_xml(&para("", &"padding ".repeat(5_000)));
    let mut bytes = docx_with(&document, None);
    // Declare 100 bytes for word/document.xml in both headers; it inflates to ~40 KB.
    let name = b"word/document.xml";
    let mut at = 0;
    while let Some(pos) = bytes[at..].windows(name.len()).position(|w| w == name) {
        let pos = at + pos;
        let header = pos - 30;
        if bytes[header..header + 4] == *b"PK\x03\x04" {
            bytes[header + 22..header + 26].copy_from_slice(&100u32.to_le_bytes());
        } else if bytes[pos - 46..pos - 42] == *b"PK\x01\x02" {
            bytes[pos - 46 + 24..pos - 46 + 28].copy_from_slice(&100u32.to_le_bytes());
        }
        at = pos + 1;
    }
    assert_eq!(code(run(DocumentKind::Docx, &bytes)), "document_unreadable");
}

#[test]
fn billion_laughs_in_docx_does_not_expand() {
    let mut dtd = String::from(r#"<!DOCTYPE w:document [<!ENTITY lol "lol">"#);
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            r#"<!ENTITY lol{i} "{}">"#,
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let document = document_xml(&[para("", "Safe text"), para("", "&lol9;")].concat()).replacen(
        "<w:document",
        &format!("{dtd}<w:document"),
        1,
    );
    let bytes = docx_with(&document, None);
    let result = run(DocumentKind::Docx, &bytes).expect("entities are dropped, text remains");
    assert_eq!(result.text, "Safe text");
}

#[test]
fn deeply_nested_xml_is_refused() {
    let deep = format!(
        "{}{}",
        "<w:sdt><w:sdtContent>".repeat(200),
        "</w:sdtContent></w:sdt>".repeat(200)
    );
    let bytes = docx_with(&document_xml(&deep), None);
    assert_eq!(
        run(DocumentKind::Docx, &bytes),
        Err(ExtractError::Bomb("XML nesting too deep".into()))
    );
    let fine = Limits {
        max_xml_depth: 1_000,
        ..Limits::default()
    };
    assert_eq!(
        extract(DocumentKind::Docx, &bytes, &fine),
        Err(ExtractError::NoText)
    );
}

#[test]
fn malformed_xml_is_unreadable() {
    let bytes = docx_with(
        "<w:document><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p",
        None,
    );
    assert_eq!(code(run(DocumentKind::Docx, &bytes)), "document_unreadable");
    let bytes = docx_with("<w:document \"broken", None);
    assert_eq!(code(run(DocumentKind::Docx, &bytes)), "document_unreadable");
}

#[test]
fn truncated_pdf_is_unreadable() {
    let bytes = pdf(
        "Title",
        &[PdfPage { lines: &["Hello"] }, PdfPage { lines: &["World"] }],
        true,
    );
    for cut in [10, bytes.len() / 3, bytes.len() / 2] {
        assert_eq!(
            code(run(DocumentKind::Pdf, &bytes[..cut])),
            "document_unreadable",
            "cut at {cut}"
        );
    }
}

#[test]
fn random_bytes_and_wrong_containers() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    assert_eq!(
        detect("random.pdf", &random),
        Err(ExtractError::TypeMismatch)
    );
    assert_eq!(code(run(DocumentKind::Pdf, &random)), "document_unreadable");
    assert_eq!(code(run(DocumentKind::Doc, &random)), "document_unreadable");
    assert_eq!(code(run(DocumentKind::Xls, &random)), "document_unreadable");
    assert_eq!(
        code(run(DocumentKind::Docx, &random)),
        "document_unreadable"
    );
    let a_zip = zip(&[("hello.txt", b"hello")]);
    assert_eq!(
        detect("invoice.pdf", &a_zip),
        Err(ExtractError::TypeMismatch)
    );
    assert_eq!(
        detect("invoice.docx", &a_zip),
        Err(ExtractError::TypeMismatch)
    );
    let html = b"<!DOCTYPE html><html><body><p>Hi</p></body></html>";
    assert_eq!(detect("page.docx", html), Err(ExtractError::TypeMismatch));
    assert_eq!(detect("page.xlsx", html), Err(ExtractError::TypeMismatch));
    let a_pdf = pdf("", &[PdfPage { lines: &["x"] }], true);
    assert_eq!(detect("data.csv", &a_pdf), Err(ExtractError::TypeMismatch));
    assert_eq!(
        detect("sheet.xls", &doc(&[DocPiece::Compressed(b"x\r")])),
        Err(ExtractError::TypeMismatch)
    );
    assert_eq!(
        detect("photo.jpg", b"\xff\xd8\xff\xe0"),
        Err(ExtractError::UnsupportedType)
    );
}

#[test]
fn empty_and_oversized_files() {
    for name in [
        "a.pdf", "a.docx", "a.csv", "a.txt", "a.md", "a.doc", "a.xls", "a.xlsx",
    ] {
        assert_eq!(
            detect(name, b""),
            Err(ExtractError::Unreadable("the file is empty".into())),
            "{name}"
        );
    }
    assert_eq!(code(run(DocumentKind::Txt, b"")), "document_unreadable");
    assert_eq!(
        run(DocumentKind::Txt, b" \n\t\n"),
        Err(ExtractError::NoText)
    );
    let big = vec![b'a'; 11 << 20];
    assert_eq!(run(DocumentKind::Txt, &big), Err(ExtractError::TooLarge));
}

#[test]
fn pdf_flate_bomb_is_refused() {
    let bytes = pdf_bomb();
    assert!(bytes.len() < 300_000);
    assert_eq!(
        run(DocumentKind::Pdf, &bytes),
        Err(ExtractError::Bomb(
            "the PDF's streams expand too large".into()
        ))
    );
}

fn pdf_bomb() -> Vec<u8> {
    common::pdf_flate_bomb(120 << 20)
}

#[test]
fn pdf_recursion_and_fan_out_are_bounded() {
    let looped = run(DocumentKind::Pdf, &common::pdf_recursive_form()).expect("depth-limited");
    assert_eq!(looped.text, "loop".repeat(12));
    assert_eq!(
        run(DocumentKind::Pdf, &common::pdf_form_bomb()),
        Err(ExtractError::Bomb("the PDF draws too much content".into()))
    );
}

#[test]
fn encrypted_pdf_is_unreadable() {
    let bytes = common::pdf_encrypted();
    assert_eq!(
        run(DocumentKind::Pdf, &bytes),
        Err(ExtractError::Unreadable("encrypted".into()))
    );
}

#[test]
fn xls_with_huge_dimensions_is_refused() {
    // DIMENSIONS claiming 1,048,576 rows × 256 columns: calamine would reserve ~10 GB.
    let mut dims = Vec::new();
    dims.extend_from_slice(&0u32.to_le_bytes());
    dims.extend_from_slice(&1_048_576u32.to_le_bytes());
    dims.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
    let rows: &[&[XlsCell<'_>]] = &[&[XlsCell::Text("A")], &[XlsCell::Text("B")]];
    let bytes = xls_with_records(&[("S", rows)], &record(0x0200, &dims));
    assert_eq!(
        run(DocumentKind::Xls, &bytes),
        Err(ExtractError::Bomb(
            "the workbook's sheets are too large".into()
        ))
    );
}

#[test]
fn xls_cells_far_apart_are_refused() {
    // Two numbers at A1 and IV65535: a dense grid of 16.7 M cells.
    let mut far = Vec::new();
    for (row, col) in [(0u16, 0u16), (65_535, 255)] {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&col.to_le_bytes());
        data.extend_from_slice(&[0, 0]);
        data.extend_from_slice(&1.0f64.to_le_bytes());
        far.extend(record(0x0203, &data));
    }
    let bytes = xls_with_records(&[("S", &[])], &far);
    assert_eq!(code(run(DocumentKind::Xls, &bytes)), "document_bomb");
}

#[test]
fn broken_legacy_files_are_unreadable() {
    let good = doc(&[DocPiece::Compressed(b"Hello\r")]);
    assert_eq!(
        run(DocumentKind::Doc, &good).map(|d| d.text),
        Ok("Hello".into())
    );
    for cut in [600, good.len() / 2] {
        assert_eq!(
            code(run(DocumentKind::Doc, &good[..cut])),
            "document_unreadable",
            "cut at {cut}"
        );
    }
    // A CFB with a WordDocument stream that is not a FIB, and one pointing past its end.
    let not_fib = compound_file(&[("/WordDocument", &[0u8; 2048]), ("/1Table", &[0u8; 64])]);
    assert_eq!(
        code(run(DocumentKind::Doc, &not_fib)),
        "document_unreadable"
    );
    let mut ole_garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    ole_garbage.extend(std::iter::repeat_n(0xab, 4000));
    assert_eq!(
        code(run(DocumentKind::Doc, &ole_garbage)),
        "document_unreadable"
    );
    assert_eq!(
        code(run(DocumentKind::Xls, &ole_garbage)),
        "document_unreadable"
    );
}

#[test]
fn timeouts_are_reported() {
    let csv = "a,b\n".to_owned() + &"1,2\n".repeat(5_000);
    let limits = Limits {
        timeout: Duration::ZERO,
        ..Limits::default()
    };
    assert_eq!(
        extract(DocumentKind::Csv, csv.as_bytes(), &limits),
        Err(ExtractError::Timeout)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = runtime.block_on(extract_async(DocumentKind::Csv, csv.into_bytes(), limits));
    assert_eq!(result, Err(ExtractError::Timeout));
}

/// Truncations and byte flips of every fixture: each gives text or a clean error.
#[test]
fn mutated_fixtures_never_panic_or_hang() {
    let fixtures: Vec<(DocumentKind, Vec<u8>)> = vec![
        (
            DocumentKind::Pdf,
            pdf(
                "T",
                &[PdfPage {
                    lines: &["Hello", "World"],
                }],
                true,
            ),
        ),
        (
            DocumentKind::Docx,
            docx_with(&document_xml(&para("", "Hello")), Some("T")),
        ),
        (DocumentKind::Xlsx, common::xlsx()),
        (
            DocumentKind::Xls,
            common::legacy::xls(&[("S", &[&[XlsCell::Text("A"), XlsCell::Number(1.0)]])]),
        ),
        (DocumentKind::Doc, doc(&[DocPiece::Unicode("Hello\r")])),
        (DocumentKind::Csv, b"a;b\n1;\"2\n".to_vec()),
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (kind, bytes) in &fixtures {
        for round in 0..60 {
            let mut mutated = bytes.clone();
            if round % 3 == 0 {
                mutated.truncate((next() as usize) % bytes.len().max(1));
            } else {
                for _ in 0..1 + round % 8 {
                    let at = (next() as usize) % mutated.len();
                    mutated[at] = next() as u8;
                }
            }
            let result = run(*kind, &mutated);
            assert_ne!(result, Err(ExtractError::Timeout), "{kind:?} round {round}");
        }
    }
}
