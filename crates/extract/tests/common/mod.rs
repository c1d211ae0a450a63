//! Fixture builders shared by the integration tests and the benchmark example: real
//! documents generated with lopdf, zip, rust_xlsxwriter and cfb.
// Each test binary uses a different subset of these builders, and a fixture that cannot
// be built is a test failure, so `expect` is the right tool here.
#![allow(dead_code, clippy::expect_used)]

pub mod legacy;

use std::io::{Cursor, Write};

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// One PDF page: lines of text drawn top-down with Helvetica 12 pt.
pub struct PdfPage<'a> {
    pub lines: &'a [&'a str],
}

/// Builds a PDF with one page per entry, an Info title and FlateDecode-compressed streams.
/// The first page also draws a form XObject saying "Drawn by a form".
pub fn pdf(title: &str, pages: &[PdfPage<'_>], compress: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let form_content = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![72.into(), 100.into()]),
            Operation::new("Tj", vec![Object::string_literal("Drawn by a form")]),
            Operation::new("ET", vec![]),
        ],
    };
    let form_id = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 612.into(), 792.into()] },
        form_content.encode().expect("encode form"),
    ));
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
        "XObject" => dictionary! { "X1" => form_id },
    });
    let mut kids = Vec::new();
    for (index, page) in pages.iter().enumerate() {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("TL", vec![16.into()]),
            Operation::new("Td", vec![72.into(), 720.into()]),
        ];
        for line in page.lines {
            operations.push(Operation::new("Tj", vec![win_ansi(line)]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        if index == 0 {
            operations.push(Operation::new("Do", vec!["X1".into()]));
        }
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            Content { operations }.encode().expect("encode"),
        ));
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    finish_pdf(doc, pages_id, title, compress)
}

/// A one-page PDF that only draws a filled rectangle: a "scan" without text.
pub fn pdf_without_text() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content = Content {
        operations: vec![
            Operation::new("re", vec![10.into(), 10.into(), 200.into(), 300.into()]),
            Operation::new("f", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("encode"),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    finish_pdf(doc, pages_id, "", true)
}

/// A PDF whose only page draws a form XObject that draws itself (an endless recursion).
pub fn pdf_recursive_form() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let form_id = doc.new_object_id();
    let resources = dictionary! { "Font" => dictionary! { "F1" => font_id }, "XObject" => dictionary! { "X1" => form_id } };
    let form = Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => resources.clone() },
        b"BT /F1 12 Tf 72 700 Td (loop) Tj ET /X1 Do".to_vec(),
    );
    doc.objects.insert(form_id, Object::Stream(form));
    let content_id = doc.add_object(Stream::new(dictionary! {}, b"/X1 Do".to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    finish_pdf(doc, pages_id, "", false)
}

/// A PDF string in WinAnsiEncoding (cp1252), as the fixtures' Helvetica font declares.
fn win_ansi(text: &str) -> Object {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    Object::String(bytes.into_owned(), lopdf::StringFormat::Literal)
}

fn finish_pdf(
    mut doc: Document,
    pages_id: lopdf::ObjectId,
    title: &str,
    compress: bool,
) -> Vec<u8> {
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    if !title.is_empty() {
        let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string(title) });
        doc.trailer.set("Info", info_id);
    }
    if compress {
        doc.compress();
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

/// Zips `(name, bytes)` entries with deflate.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(data).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Kop1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style><w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style></w:styles>"#;

/// Wraps WordprocessingML body XML into a `word/document.xml` part.
pub fn document_xml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    )
}

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// A DOCX package around `document` (a full `word/document.xml`), with styles and a title.
pub fn docx_with(document: &str, title: Option<&str>) -> Vec<u8> {
    let core = title.map(|t| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{t}</dc:title></cp:coreProperties>"#
        )
    });
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
    ];
    if let Some(core) = &core {
        entries.push(("docProps/core.xml", core.as_bytes()));
    }
    zip(&entries)
}

/// A paragraph with optional properties XML and one run of text.
pub fn para(props: &str, text: &str) -> String {
    format!(r#"<w:p><w:pPr>{props}</w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

/// A table whose rows are lists of cell texts.
pub fn table(rows: &[&[&str]]) -> String {
    let rows: String = rows
        .iter()
        .map(|cells| {
            let cells: String = cells
                .iter()
                .map(|c| format!("<w:tc>{}</w:tc>", para("", c)))
                .collect();
            format!("<w:tr>{cells}</w:tr>")
        })
        .collect();
    format!("<w:tbl><w:tblPr/>{rows}</w:tbl>")
}

/// An XLSX workbook with two sheets ("Menu" and "Staff") and a title.
pub fn xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{DocProperties, Workbook};
    let mut workbook = Workbook::new();
    workbook.set_properties(&DocProperties::new().set_title("Price list"));
    let menu = workbook.add_worksheet();
    menu.set_name("Menu").expect("name");
    for (col, header) in ["Dish", "Price", "Vegan"].iter().enumerate() {
        menu.write_string(0, col as u16, *header).expect("write");
    }
    menu.write_string(1, 0, "Tomato soup").expect("write");
    menu.write_number(1, 1, 6.5).expect("write");
    menu.write_boolean(1, 2, true).expect("write");
    menu.write_string(2, 0, "Steak").expect("write");
    menu.write_number(2, 1, 24.0).expect("write");
    let staff = workbook.add_worksheet();
    staff.set_name("Staff").expect("name");
    staff.write_string(0, 0, "Name").expect("write");
    staff.write_string(0, 1, "Role").expect("write");
    staff.write_string(1, 0, "Ana").expect("write");
    staff.write_string(1, 1, "Chef").expect("write");
    workbook.save_to_buffer().expect("save xlsx")
}

/// A tiny deterministic pseudo-random generator for reproducible bulk text.
pub struct Words(u64);

impl Words {
    pub fn new(seed: u64) -> Self {
        Words(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A sentence of `n` words drawn from a small vocabulary.
    pub fn sentence(&mut self, n: usize) -> String {
        const VOCABULARY: &[&str] = &[
            "opening",
            "hours",
            "delivery",
            "order",
            "menu",
            "price",
            "table",
            "booking",
            "garden",
            "coffee",
            "fresh",
            "bread",
            "service",
            "parking",
            "weekend",
            "holiday",
            "gift",
            "voucher",
            "allergens",
            "team",
            "reservation",
            "terrace",
            "kitchen",
            "seasonal",
            "local",
            "wine",
            "dessert",
            "breakfast",
            "lunch",
            "dinner",
        ];
        (0..n)
            .map(|_| VOCABULARY[(self.next() % VOCABULARY.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A PDF whose form XObjects fan out ten-fold over ten levels ("billion laughs" drawing).
pub fn pdf_form_bomb() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let mut next: Option<lopdf::ObjectId> = None;
    for level in (0..10).rev() {
        let (content, resources) = match next {
            None => (
                b"BT /F1 12 Tf (lol) Tj ET".to_vec(),
                dictionary! { "Font" => dictionary! { "F1" => font_id } },
            ),
            Some(child) => (
                b"/X Do ".repeat(10),
                dictionary! { "XObject" => dictionary! { "X" => child } },
            ),
        };
        let _ = level;
        next = Some(doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => resources },
            content,
        )));
    }
    let top = next.expect("forms built");
    let content_id = doc.add_object(Stream::new(dictionary! {}, b"/X Do".to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => dictionary! { "XObject" => dictionary! { "X" => top } },
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    finish_pdf(doc, pages_id, "", false)
}

/// A PDF whose page content is a FlateDecode stream inflating to `inflated` spaces.
pub fn pdf_flate_bomb(inflated: usize) -> Vec<u8> {
    use flate2::{Compression, write::ZlibEncoder};
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![b' '; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(chunk.len());
        encoder.write_all(&chunk[..n]).expect("deflate");
        left -= n;
    }
    let data = encoder.finish().expect("deflate");
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, data).with_compression(false),
    );
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    finish_pdf(doc, pages_id, "", false)
}

/// A PDF whose trailer (an xref stream dictionary) declares an encryption dictionary.
pub fn pdf_encrypted() -> Vec<u8> {
    let bytes = pdf("", &[PdfPage { lines: &["secret"] }], false);
    let marker = b"<</Root";
    let at = bytes
        .windows(marker.len())
        .rposition(|w| w == marker)
        .expect("xref stream dictionary");
    let mut out = bytes[..at + 2].to_vec();
    out.extend_from_slice(b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >> ");
    out.extend_from_slice(&bytes[at + 2..]);
    out
}
