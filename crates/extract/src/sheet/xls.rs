//! XLS (Excel 97-2003): the workbook stream is checked (see [`super::biff`]), then calamine
//! reads each sheet.

use std::io::{Cursor, Read};

use calamine::{Reader, Xls};

use super::{SheetCells, biff, data_text};
use crate::limits::Budget;
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// Extracts an XLS workbook.
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    let stream = workbook_stream(bytes, limits)?;
    biff::check(&stream, limits.max_expanded_bytes, budget)?;
    drop(stream);
    let mut workbook = Xls::new(Cursor::new(bytes))
        .map_err(|_| ExtractError::unreadable("not a valid Excel workbook"))?;
    budget.check()?;
    let mut out = String::new();
    let mut collected = 0usize;
    for name in workbook.sheet_names() {
        let Ok(range) = workbook.worksheet_range(&name) else {
            continue;
        };
        let Some((first_row, first_col)) = range.start() else {
            continue;
        };
        let mut cells = SheetCells::default();
        'rows: for (i, row) in range.rows().enumerate() {
            for (j, value) in row.iter().enumerate() {
                budget.tick()?;
                if let Some(text) = data_text(value) {
                    cells.push(first_row + i as u32, first_col + j as u32, text);
                    if budget.is_full(collected + cells.bytes) {
                        break 'rows;
                    }
                }
            }
        }
        collected += cells.bytes;
        cells.render(&name, &mut out);
        if budget.is_full(collected) {
            break;
        }
    }
    finish(&out, Spacing::Collapse, None, None, limits.max_output_chars)
}

/// Reads the `Workbook` (BIFF8) or `Book` (BIFF5) stream with the `cfb` crate, which
/// validates the compound file's structure.
fn workbook_stream(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, ExtractError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|_| ExtractError::unreadable("not a valid Excel file"))?;
    let stream = file
        .open_stream("/Workbook")
        .or_else(|_| file.open_stream("/Book"))
        .map_err(|_| ExtractError::unreadable("not an Excel workbook"))?;
    if stream.len() > limits.max_expanded_bytes {
        return Err(ExtractError::bomb("the workbook stream is too large"));
    }
    let mut data = Vec::new();
    stream
        .take(limits.max_expanded_bytes)
        .read_to_end(&mut data)
        .map_err(|_| ExtractError::unreadable("corrupt Excel file"))?;
    Ok(data)
}
