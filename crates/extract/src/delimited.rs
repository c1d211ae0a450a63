//! CSV (and TSV, semicolon- or pipe-separated): encoding and delimiter detection, then each
//! row as `Column: value` lines.

use crate::decode::decode_text;
use crate::limits::Budget;
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// Delimiters tried, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// How many non-empty lines the delimiter sniffer looks at.
const SNIFF_LINES: usize = 20;

/// Extracts a delimited file: the first row names the columns, every further row becomes
/// `Column: value` lines (empty cells omitted), rows separated by blank lines.
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    let text = decode_text(bytes);
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut out = String::new();
    let mut record = csv::StringRecord::new();
    loop {
        budget.tick()?;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(ExtractError::unreadable("the CSV file is malformed")),
        }
        let fields: Vec<String> = record.iter().map(clean_field).collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        match &header {
            None => header = Some(column_names(&fields)),
            Some(names) => write_row(&mut out, names, &fields),
        }
        if budget.is_full(out.len()) {
            break;
        }
    }
    if out.is_empty()
        && let Some(names) = header
    {
        // A header-only file: its cells are the only text there is.
        out = names.join(" | ");
    }
    finish(&out, Spacing::Collapse, None, None, limits.max_output_chars)
}

/// Trims a field and folds embedded line breaks into spaces.
fn clean_field(field: &str) -> String {
    field.trim().replace(['\r', '\n'], " ")
}

/// Column names from the header row; unnamed columns become `Column N`.
fn column_names(fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if f.is_empty() {
                format!("Column {}", i + 1)
            } else {
                f.clone()
            }
        })
        .collect()
}

/// Appends one row as `Name: value` lines followed by a blank line.
fn write_row(out: &mut String, names: &[String], fields: &[String]) {
    for (i, value) in fields.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
        match names.get(i) {
            Some(name) => out.push_str(name),
            None => out.push_str(&format!("Column {}", i + 1)),
        }
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
}

/// Picks the delimiter whose per-line count (outside quotes) is most consistent over the
/// first lines; `,` when none appears.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let mut best = (0usize, b',');
    for candidate in CANDIDATES {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| count_outside_quotes(line, candidate))
            .collect();
        let Some(mode) = mode(&counts).filter(|&m| m > 0) else {
            continue;
        };
        let score = counts.iter().filter(|&&c| c == mode).count();
        if score > best.0 {
            best = (score, candidate);
        }
    }
    best.1
}

/// Occurrences of `delimiter` in `line` outside double-quoted sections.
fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut count = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delimiter && !in_quotes {
            count += 1;
        }
    }
    count
}

/// Most frequent value (the largest on a tie).
fn mode(values: &[usize]) -> Option<usize> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut best: Option<(usize, usize)> = None;
    for chunk in sorted.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, n)| chunk.len() >= n) {
            best = Some((chunk[0], chunk.len()));
        }
    }
    best.map(|(value, _)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("Name;Price\nApple;1,50\nPear;2,30\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n\"x|y\"|2|3\n"), b'|');
        assert_eq!(sniff_delimiter("just one column\nsecond\n"), b',');
    }
}
