//! Throughput benchmark: generates ~5 MB PDF, DOCX and XLSX inputs and prints MB/s.
//!
//! Run with `cargo run --release -p witzo-extract --example extract_bench`.
//! Limits are raised so the output cap does not cut the runs short (the point is the
//! parsing speed); each format is measured over three runs and the best is printed.

#[path = "../tests/common/mod.rs"]
mod common;

use std::error::Error;
use std::time::{Duration, Instant};

use common::{PdfPage, Words, document_xml, docx_with, para};
use witzo_extract::{DocumentKind, Limits, extract};

const TARGET_BYTES: usize = 5_000_000;

type Built = Result<Vec<u8>, Box<dyn Error>>;

fn pdf_input(words: &mut Words) -> Built {
    let build = |pages: usize, words: &mut Words| {
        let text: Vec<Vec<String>> = (0..pages)
            .map(|_| (0..45).map(|_| words.sentence(12)).collect())
            .collect();
        let lines: Vec<Vec<&str>> = text
            .iter()
            .map(|p| p.iter().map(String::as_str).collect())
            .collect();
        let pages: Vec<PdfPage<'_>> = lines.iter().map(|l| PdfPage { lines: l }).collect();
        Ok(common::pdf("Benchmark", &pages, false))
    };
    scale(|n| build(n, words), 100)
}

fn docx_input(words: &mut Words) -> Built {
    let build = |paragraphs: usize, words: &mut Words| {
        let body: String = (0..paragraphs)
            .map(|i| match i % 10 {
                0 => para(r#"<w:pStyle w:val="Heading2"/>"#, &words.sentence(4)),
                1 | 2 => para(
                    r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>"#,
                    &words.sentence(8),
                ),
                _ => para(
                    "",
                    &format!(
                        "{} {} {}",
                        words.sentence(30),
                        i * 7919 % 100_003,
                        words.sentence(10)
                    ),
                ),
            })
            .collect();
        Ok(docx_with(&document_xml(&body), Some("Benchmark")))
    };
    scale(|n| build(n, words), 2_000)
}

fn xlsx_input(words: &mut Words) -> Built {
    use rust_xlsxwriter::Workbook;
    let build = |rows: u32, words: &mut Words| -> Built {
        let mut workbook = Workbook::new();
        for sheet in 0..2 {
            let ws = workbook.add_worksheet();
            ws.set_name(format!("Sheet {}", sheet + 1))?;
            for (col, header) in ["Item", "Description", "Price", "Stock", "Code"]
                .iter()
                .enumerate()
            {
                ws.write_string(0, col as u16, *header)?;
            }
            for row in 1..=rows / 2 {
                ws.write_string(row, 0, words.sentence(2))?;
                ws.write_string(row, 1, words.sentence(8))?;
                ws.write_number(row, 2, f64::from(row % 9_973) / 100.0)?;
                ws.write_number(row, 3, f64::from(row * 31 % 1_000))?;
                ws.write_string(row, 4, format!("SKU-{:08}", row * 7_919 % 99_999_989))?;
            }
        }
        Ok(workbook.save_to_buffer()?)
    };
    scale(|n| build(n as u32, words), 10_000)
}

/// Builds with a probe size, then scales the size linearly to reach ~5 MB.
fn scale(mut build: impl FnMut(usize) -> Built, probe: usize) -> Built {
    let sample = build(probe)?;
    let wanted = probe * TARGET_BYTES / sample.len().max(1);
    build(wanted.max(1))
}

fn main() -> Result<(), Box<dyn Error>> {
    let limits = Limits {
        max_input_bytes: 64 << 20,
        max_expanded_bytes: 2 << 30,
        max_output_chars: 200_000_000,
        timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let mut words = Words::new(42);
    let inputs = [
        ("PDF", DocumentKind::Pdf, pdf_input(&mut words)?),
        ("DOCX", DocumentKind::Docx, docx_input(&mut words)?),
        ("XLSX", DocumentKind::Xlsx, xlsx_input(&mut words)?),
    ];
    for (name, kind, bytes) in &inputs {
        let mut best = Duration::MAX;
        let mut chars = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let doc = extract(*kind, bytes, &limits)?;
            best = best.min(start.elapsed());
            chars = doc.text.chars().count();
        }
        let megabytes = bytes.len() as f64 / 1e6;
        println!(
            "{name:<5} {megabytes:6.2} MB in {:7.1} ms  {:7.1} MB/s  ({chars} chars of text)",
            best.as_secs_f64() * 1e3,
            megabytes / best.as_secs_f64()
        );
    }
    Ok(())
}
