//! XLSX: the ZIP is checked first, then calamine streams each worksheet's cells (no dense
//! grid is ever allocated, so a far-away cell cannot blow up memory).

use std::io::Cursor;

use calamine::{Reader, Xlsx};

use super::{SheetCells, data_ref_text};
use crate::limits::Budget;
use crate::ooxml::{SafeZip, core_title};
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// Extracts an XLSX workbook; the title comes from `docProps/core.xml`.
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    let mut zip = SafeZip::open(bytes, limits)?;
    let title = core_title(&mut zip, limits)?;
    let bytes = zip.into_bytes();
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| ExtractError::unreadable("not a valid Excel workbook"))?;
    budget.check()?;
    let mut out = String::new();
    let mut collected = 0usize;
    for name in workbook.sheet_names() {
        // Chart sheets and broken sheets have no cells to read.
        let Ok(mut reader) = workbook.worksheet_cells_reader(&name) else {
            continue;
        };
        let mut cells = SheetCells::default();
        loop {
            budget.tick()?;
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(_) => return Err(ExtractError::unreadable("corrupt worksheet")),
            };
            let (row, col) = cell.get_position();
            if let Some(text) = data_ref_text(cell.get_value()) {
                cells.push(row, col, text);
            }
            if budget.is_full(collected + cells.bytes) {
                break;
            }
        }
        collected += cells.bytes;
        cells.render(&name, &mut out);
        if budget.is_full(collected) {
            break;
        }
    }
    finish(
        &out,
        Spacing::Collapse,
        title,
        None,
        limits.max_output_chars,
    )
}
