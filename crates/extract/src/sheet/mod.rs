//! Spreadsheets (XLSX, XLS) via calamine: each sheet becomes `# Sheet name` followed by one
//! block of `Column: value` lines per data row, column names taken from the first row.

mod biff;
mod xls;
mod xlsx;

use std::collections::BTreeMap;

use calamine::{Data, DataRef, ExcelDateTime};

pub(crate) use xls::extract as extract_xls;
pub(crate) use xlsx::extract as extract_xlsx;

/// The non-empty cells of one sheet: row → (column, text), in reading order.
#[derive(Debug, Default)]
pub(super) struct SheetCells {
    rows: BTreeMap<u32, Vec<(u32, String)>>,
    /// Bytes of cell text collected, for the output budget.
    pub(super) bytes: usize,
}

impl SheetCells {
    /// Records a cell's text at an absolute position.
    pub(super) fn push(&mut self, row: u32, col: u32, text: String) {
        self.bytes += text.len();
        self.rows.entry(row).or_default().push((col, text));
    }

    /// Appends the sheet to `out`: heading, then rows as `Column: value` lines. Empty
    /// sheets add nothing; a header-only sheet adds its header cells on one line.
    pub(super) fn render(mut self, name: &str, out: &mut String) {
        let mut rows = std::mem::take(&mut self.rows)
            .into_values()
            .filter(|r| !r.is_empty());
        let Some(mut header) = rows.next() else {
            return;
        };
        header.sort_by_key(|(col, _)| *col);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("# ");
        out.push_str(name);
        out.push_str("\n\n");
        let names: BTreeMap<u32, &str> = header
            .iter()
            .map(|(col, text)| (*col, text.as_str()))
            .collect();
        let mut data_rows = 0;
        for mut row in rows {
            row.sort_by_key(|(col, _)| *col);
            for (col, value) in &row {
                match names.get(col) {
                    Some(name) => out.push_str(name),
                    None => out.push_str(&format!("Column {}", column_letters(*col))),
                }
                out.push_str(": ");
                out.push_str(value);
                out.push('\n');
            }
            out.push('\n');
            data_rows += 1;
        }
        if data_rows == 0 {
            out.push_str(
                &header
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
    }
}

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Cell text from calamine's owned cell type (XLS); `None` for empty cells.
pub(super) fn data_text(data: &Data) -> Option<String> {
    let text = match data {
        Data::Empty => return None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => bool_text(*b),
        Data::DateTime(dt) => datetime_text(dt),
        Data::Error(e) => e.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// Cell text from calamine's borrowed cell type (XLSX); `None` for empty cells.
pub(super) fn data_ref_text(data: &DataRef<'_>) -> Option<String> {
    let text = match data {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => clean(s),
        DataRef::SharedString(s) => clean(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::Bool(b) => bool_text(*b),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::Error(e) => e.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_owned()
}

/// Numbers as a person would type them: no `.0`, no binary noise (`0.30000000000000004`).
fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e-6 && f.abs() < 1e15 {
        let fixed = format!("{f:.10}");
        return fixed.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    f.to_string()
}

/// Dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM[:SS]`, times and durations as `HH:MM[:SS]`.
fn datetime_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        let total_seconds = (dt.as_f64() * 86_400.0).round() as i64;
        let (h, m, s) = (
            total_seconds / 3600,
            (total_seconds / 60) % 60,
            total_seconds % 60,
        );
        return format!("{h:02}:{m:02}:{s:02}");
    }
    let (year, month, day, hour, minute, second, _) = dt.to_ymd_hms_milli();
    let time = if second == 0 {
        format!("{hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    if dt.as_f64().abs() < 1.0 {
        time
    } else if hour == 0 && minute == 0 && second == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

#[cfg(test)]
mod tests {
    use calamine::ExcelDateTimeType;

    use super::*;

    #[test]
    fn formats_values() {
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(-2.5), "-2.5");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(27), "AB");
        let date = ExcelDateTime::new(45943.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&date), "2025-10-13");
        let stamp = ExcelDateTime::new(45943.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&stamp), "2025-10-13 12:00");
        let time = ExcelDateTime::new(0.75, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&time), "18:00");
        let span = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(datetime_text(&span), "36:00:00");
    }

    #[test]
    fn renders_rows_under_headers() {
        let mut cells = SheetCells::default();
        cells.push(0, 1, "Price".into());
        cells.push(0, 0, "Name".into());
        cells.push(1, 0, "Tea".into());
        cells.push(1, 1, "3".into());
        cells.push(2, 0, "Cake".into());
        cells.push(2, 3, "new".into());
        let mut out = String::new();
        cells.render("Menu", &mut out);
        assert_eq!(
            out,
            "# Menu\n\nName: Tea\nPrice: 3\n\nName: Cake\nColumn D: new\n\n"
        );
    }
}
