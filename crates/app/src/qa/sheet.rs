//! Q&A pairs as CSV: a `question,answer` file with a header row, for
//! spreadsheets. Export escapes every cell a spreadsheet would run as a
//! formula; import reads the whole file or refuses it with the row at fault.

use witzo_store::domain::QaText;
use witzo_store::qa::QaPair;

use crate::error::{AppError, AppResult, ErrorCode};

/// Largest file an import reads.
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// Most rows one import adds, whatever the plan allows.
pub const MAX_IMPORT_ROWS: usize = 5000;

/// Characters that make a spreadsheet read a cell as a formula (or, for
/// tab and carriage return, that Excel strips before doing so).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a file: formula-like text gets a leading `'`, so
/// spreadsheets show it as text instead of running it (OWASP's advice).
fn escape(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Undoes [`escape`]: a file exported here and edited comes back unchanged.
fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// The pairs as a CSV file with a `question,answer` header.
pub fn export(pairs: &[QaPair]) -> AppResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |row: [&str; 2]| {
        writer
            .write_record(row.map(escape))
            .map_err(AppError::internal)
    };
    write(["question", "answer"])?;
    for pair in pairs {
        write([&pair.question, &pair.answer])?;
    }
    writer.into_inner().map_err(AppError::internal)
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(code, message).field("file")
}

/// Reads an uploaded file into cleaned pairs: UTF-8 (a byte-order mark is
/// allowed), a header naming exactly `question` and `answer` (any order,
/// any case), then one pair per row. Any fault refuses the whole file,
/// naming the row as a spreadsheet numbers it (the header is row 1).
pub fn parse(bytes: &[u8]) -> AppResult<Vec<QaText>> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(refuse(
            ErrorCode::PayloadTooLarge,
            "The file must be at most 1 MB.",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        refuse(
            ErrorCode::InvalidEncoding,
            format!(
                "The file is not UTF-8 text (byte {}). Save it as \"CSV UTF-8\" and try again.",
                e.valid_up_to() + 1
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| {
        refuse(
            ErrorCode::InvalidCsv,
            format!("The header row cannot be read: {e}"),
        )
    })?;
    let (question, answer) = columns(header)?;
    let mut pairs = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = record.map_err(|e| {
            refuse(
                ErrorCode::InvalidCsv,
                format!("Row {row} cannot be read: {e}"),
            )
        })?;
        if record.len() != 2 {
            return Err(refuse(
                ErrorCode::InvalidColumns,
                format!(
                    "Row {row} needs exactly two cells, a question and an answer (found {}).",
                    record.len()
                ),
            )
            .details(serde_json::json!({ "row": row })));
        }
        if pairs.len() == MAX_IMPORT_ROWS {
            return Err(refuse(
                ErrorCode::TooManyRows,
                format!(
                    "A file may hold at most {MAX_IMPORT_ROWS} rows; split it and import each part."
                ),
            ));
        }
        let cell = |i: usize| unescape(record.get(i).unwrap_or_default());
        let pair = QaText::parse(cell(question), cell(answer)).map_err(|e| {
            refuse(ErrorCode::InvalidCell, format!("Row {row}: {e}."))
                .details(serde_json::json!({ "row": row, "column": e.field }))
        })?;
        pairs.push(pair);
    }
    if pairs.is_empty() {
        return Err(refuse(
            ErrorCode::InvalidCell,
            "The file has a header but no rows to import.",
        ));
    }
    Ok(pairs)
}

/// Where the `question` and `answer` columns are, or why the header is wrong.
fn columns(header: &csv::StringRecord) -> AppResult<(usize, usize)> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let at = |name: &str| names.iter().position(|n| n == name);
    match (at("question"), at("answer")) {
        (Some(q), Some(a)) if names.len() == 2 => Ok((q, a)),
        _ => Err(refuse(
            ErrorCode::InvalidColumns,
            format!(
                "The first row must name two columns, question and answer (found: {}).",
                names.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(id: i64, question: &str, answer: &str) -> QaPair {
        QaPair {
            id: id.into(),
            widget_id: 1.into(),
            account_id: 1.into(),
            question: question.to_owned(),
            answer: answer.to_owned(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn code(bytes: &[u8]) -> (&'static str, String) {
        let err = parse(bytes).unwrap_err();
        (err.code().as_str(), err.message().to_owned())
    }

    #[test]
    fn formula_cells_are_escaped_on_export_and_come_back_unchanged() {
        let hostile = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ];
        let pairs: Vec<QaPair> = hostile
            .iter()
            .enumerate()
            .map(|(i, cell)| pair(i as i64, cell, "plain, with \"quotes\"\nand a line"))
            .collect();
        let file = String::from_utf8(export(&pairs).unwrap()).unwrap();
        let mut lines = file.lines();
        assert_eq!(lines.next(), Some("question,answer"));
        assert_eq!(
            lines.next(),
            Some("\"'=HYPERLINK(\"\"http://x\"\")\",\"plain, with \"\"quotes\"\"")
        );
        let mut reader = csv::Reader::from_reader(file.as_bytes());
        for (record, cell) in reader.records().zip(hostile) {
            let record = record.unwrap();
            assert_eq!(&record[0], format!("'{cell}"), "escaped in the file");
            assert!(!record[0].starts_with(FORMULA_STARTS));
        }
        let back = parse(file.as_bytes()).unwrap();
        assert_eq!(back[0].question(), "=HYPERLINK(\"http://x\")");
        assert_eq!(back[3].question(), "@SUM(A1)");
        assert_eq!(back[0].answer(), "plain, with \"quotes\"\nand a line");
    }

    #[test]
    fn imports_read_either_column_order_and_a_byte_order_mark() {
        let pairs = parse("\u{feff}Answer , QUESTION\n40 EUR,How much?\n".as_bytes()).unwrap();
        assert_eq!(
            (pairs[0].question(), pairs[0].answer()),
            ("How much?", "40 EUR")
        );
        assert_eq!(
            parse(b"question,answer\n=1+1,@x\n").unwrap()[0].question(),
            "=1+1"
        );
    }

    #[test]
    fn bad_files_are_refused_whole_with_the_row_at_fault() {
        assert_eq!(code(b"question,answer\n\xff\xfe,x\n").0, "invalid_encoding");
        assert_eq!(code(b"q,a\nx,y\n").0, "invalid_columns");
        assert_eq!(code(b"question,answer,notes\nx,y,z\n").0, "invalid_columns");
        assert_eq!(code(b"").0, "invalid_columns");
        assert_eq!(
            code(b"question,answer\nx,y\nonly one cell\n"),
            (
                "invalid_columns",
                "Row 3 needs exactly two cells, a question and an answer (found 1).".to_owned()
            )
        );
        assert_eq!(
            code(b"question,answer\nx,y\nz,\n"),
            (
                "invalid_cell",
                "Row 3: answer must not be empty.".to_owned()
            )
        );
        let long = format!("question,answer\n{},y\n", "q".repeat(501));
        assert_eq!(
            code(long.as_bytes()),
            (
                "invalid_cell",
                "Row 2: question must be at most 500 characters (got 501).".to_owned()
            )
        );
        assert_eq!(code(b"question,answer\n").0, "invalid_cell");
        let many = format!("question,answer\n{}", "q,a\n".repeat(MAX_IMPORT_ROWS + 1));
        assert_eq!(code(many.as_bytes()).0, "too_many_rows");
        assert_eq!(
            code(&vec![b'a'; MAX_IMPORT_BYTES + 1]).0,
            "payload_too_large"
        );
    }
}
