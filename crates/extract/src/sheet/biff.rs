//! Pre-checks of an XLS workbook stream (BIFF records) before calamine parses it.
//!
//! calamine reads every sheet eagerly into dense grids, reserves room from DIMENSIONS
//! records and copies shared strings into every cell that uses them. This module walks
//! the same records the same way and estimates the memory that will take, so hostile
//! values are refused ([`ExtractError::Bomb`]) instead of exhausting memory.

use std::mem::size_of;

use calamine::{Cell, Data};

use crate::ExtractError;
use crate::limits::Budget;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const DIMENSIONS: u16 = 0x0200;
/// Bytes a formula's text may take per byte of its parsed tokens (sheet names repeat).
const FORMULA_TEXT_FACTOR: u64 = 16;
/// UTF-8 bytes one stored character may become.
const UTF8_FACTOR: u64 = 3;

/// One record: its type, its data and the data of the CONTINUE records that follow it.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    continues: Vec<&'a [u8]>,
}

/// Iterates over records the way calamine does (CONTINUE records folded into their owner).
struct Records<'a> {
    stream: &'a [u8],
    consumed: usize,
}

impl<'a> Records<'a> {
    fn new(stream: &'a [u8]) -> Self {
        Self {
            stream,
            consumed: 0,
        }
    }

    fn split(&mut self) -> Option<(u16, &'a [u8])> {
        let typ = u16::from_le_bytes(self.stream.get(..2)?.try_into().ok()?);
        let len = usize::from(u16::from_le_bytes(self.stream.get(2..4)?.try_into().ok()?));
        let data = self.stream.get(4..4 + len)?;
        self.stream = &self.stream[4 + len..];
        self.consumed += 4 + len;
        Some((typ, data))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let (typ, data) = self.split()?;
        let mut continues = Vec::new();
        while self.stream.len() > 4 && self.stream.starts_with(&CONTINUE.to_le_bytes()) {
            let Some((_, more)) = self.split() else { break };
            continues.push(more);
        }
        Some(Record {
            typ,
            data,
            continues,
        })
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        data.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Refuses encrypted workbooks and workbooks whose parsed form would exceed `max_bytes`.
pub(super) fn check(
    stream: &[u8],
    max_bytes: u64,
    budget: &mut Budget,
) -> Result<(), ExtractError> {
    let mut sheet_positions = Vec::new();
    let mut string_chars: Vec<u32> = Vec::new();
    for record in Records::new(stream) {
        budget.tick()?;
        match record.typ {
            FILEPASS => return Err(ExtractError::unreadable("encrypted")),
            BOUNDSHEET => sheet_positions.extend(u32_at(record.data, 0)),
            SST => string_chars = sst_lengths(record.data, &record.continues),
            EOF => break,
            _ => {}
        }
    }
    let max_scanned = (stream.len() as u64)
        .saturating_mul(16)
        .saturating_add(1 << 20);
    let (mut estimate, mut scanned) = (0u64, 0u64);
    for position in sheet_positions {
        // calamine slices the stream at this position without checking it.
        let Some(sheet) = stream.get(position as usize..) else {
            return Err(ExtractError::unreadable("corrupt Excel file"));
        };
        let (cost, consumed) = sheet_cost(sheet, &string_chars, budget)?;
        estimate = estimate.saturating_add(cost);
        scanned = scanned.saturating_add(consumed);
        if estimate > max_bytes {
            return Err(ExtractError::bomb("the workbook's sheets are too large"));
        }
        if scanned > max_scanned {
            return Err(ExtractError::bomb("the workbook's structure is abnormal"));
        }
    }
    Ok(())
}

/// The bounding box of cell positions.
#[derive(Debug, Default)]
struct BoundingBox(Option<(u32, u32, u32, u32)>);

impl BoundingBox {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// Estimated bytes calamine allocates for one sheet, and the bytes scanned to estimate it.
fn sheet_cost(
    sheet: &[u8],
    string_chars: &[u32],
    budget: &mut Budget,
) -> Result<(u64, u64), ExtractError> {
    let cell = size_of::<Cell<Data>>() as u64;
    let mut values = BoundingBox::default();
    let mut formulas = BoundingBox::default();
    let mut cost = 0u64;
    let (mut seen_bof, mut nested) = (false, 0usize);
    let mut records = Records::new(sheet);
    for record in records.by_ref() {
        budget.tick()?;
        let data = record.data;
        if nested > 0 {
            match record.typ {
                BOF => nested += 1,
                EOF => nested -= 1,
                _ => {}
            }
            continue;
        }
        let position = u16_at(data, 0).zip(u16_at(data, 2));
        let mut add_cell = |extra: u64| {
            if let Some((row, col)) = position {
                values.add(row, col);
                cost = cost.saturating_add(cell + extra);
            }
        };
        match record.typ {
            BOF if seen_bof => nested += 1,
            BOF => seen_bof = true,
            DIMENSIONS => cost = cost.saturating_add(reserved_cells(data).saturating_mul(cell)),
            // Number, RK, BoolErr
            0x0203 | 0x027E | 0x0205 => add_cell(0),
            // Label, RString, String (formula result)
            0x0204 | 0x00D6 | 0x0207 => add_cell(UTF8_FACTOR * data.len() as u64),
            // LabelSst: the shared string is copied into the cell
            0x00FD => {
                let chars = u32_at(data, 6)
                    .and_then(|i| string_chars.get(i as usize))
                    .copied()
                    .unwrap_or(0);
                add_cell(UTF8_FACTOR * u64::from(chars));
            }
            // MulRk: one record, many cells
            0x00BD => {
                let last = data.len().checked_sub(2).and_then(|at| u16_at(data, at));
                if let (Some((row, first)), Some(last)) = (position, last)
                    && first <= last
                {
                    values.add(row, first);
                    values.add(row, last);
                    cost = cost.saturating_add(u64::from(last - first + 1) * cell);
                }
            }
            // Formula: a value cell and a formula-text cell
            0x0006 => {
                if let Some((row, col)) = position {
                    formulas.add(row, col);
                }
                add_cell(cell + FORMULA_TEXT_FACTOR * data.len() as u64);
            }
            EOF => break,
            _ => {}
        }
    }
    let grids =
        values.cells() * size_of::<Data>() as u64 + formulas.cells() * size_of::<String>() as u64;
    Ok((cost.saturating_add(grids), records.consumed as u64))
}

/// Cells calamine reserves for a DIMENSIONS record (same arithmetic, wrapping as it would).
fn reserved_cells(data: &[u8]) -> u64 {
    let fields = match data.len() {
        10 => u16_at(data, 0)
            .zip(u16_at(data, 2))
            .zip(u16_at(data, 4).zip(u16_at(data, 6))),
        14 | 16 => u32_at(data, 0)
            .zip(u32_at(data, 4))
            .zip(u16_at(data, 8).zip(u16_at(data, 10))),
        _ => None,
    };
    let Some(((first_row, last_row), (mut first_col, last_col))) = fields else {
        return 0;
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    let (end_row, end_col) = if last_row >= 1 && last_col >= 1 {
        (last_row - 1, last_col - 1)
    } else {
        (first_row, first_col)
    };
    let rows = u64::from(end_row.wrapping_sub(first_row).wrapping_add(1));
    let cols = u64::from(end_col.wrapping_sub(first_col).wrapping_add(1));
    rows.saturating_mul(cols)
}

/// Character counts of the shared strings, walking the SST as calamine does.
fn sst_lengths(data: &[u8], continues: &[&[u8]]) -> Vec<u32> {
    let mut lengths = Vec::new();
    let Some(first) = data.get(8..) else {
        return lengths;
    };
    let mut segments = Segments {
        data: first,
        rest: continues,
    };
    loop {
        if segments.data.is_empty() && !segments.advance() {
            break;
        }
        match read_string_length(&mut segments) {
            Some(chars) => lengths.push(chars),
            None => break,
        }
    }
    lengths
}

/// A record's data split over CONTINUE records.
struct Segments<'a, 'b> {
    data: &'a [u8],
    rest: &'b [&'a [u8]],
}

impl Segments<'_, '_> {
    fn advance(&mut self) -> bool {
        match self.rest.split_first() {
            Some((next, rest)) => {
                self.data = next;
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn take(&mut self, len: usize) -> Option<&[u8]> {
        let (head, tail) = (self.data.get(..len)?, self.data.get(len..)?);
        self.data = tail;
        Some(head)
    }

    fn skip(&mut self, mut len: usize) -> Option<()> {
        while len > 0 {
            if self.data.is_empty() && !self.advance() {
                return None;
            }
            let step = len.min(self.data.len());
            self.data = &self.data[step..];
            len -= step;
        }
        Some(())
    }
}

/// Reads one XLUnicodeRichExtendedString and returns its character count.
fn read_string_length(segments: &mut Segments<'_, '_>) -> Option<u32> {
    if segments.data.is_empty() {
        return Some(0);
    }
    let header = segments.take(3)?;
    let chars = u16::from_le_bytes([header[0], header[1]]);
    let flags = header[2];
    let runs = if flags & 0x8 != 0 {
        usize::from(u16::from_le_bytes(segments.take(2)?.try_into().ok()?))
    } else {
        0
    };
    let ext = if flags & 0x4 != 0 {
        usize::try_from(i32::from_le_bytes(segments.take(4)?.try_into().ok()?)).ok()?
    } else {
        0
    };
    let mut remaining = usize::from(chars);
    let mut wide = flags & 0x1 != 0;
    loop {
        let width = if wide { 2 } else { 1 };
        let step = remaining.min(segments.data.len() / width);
        segments.take(step * width)?;
        remaining -= step;
        if remaining == 0 {
            break;
        }
        if !segments.advance() {
            return None;
        }
        wide = segments.take(1)?[0] & 0x1 != 0;
    }
    segments.skip(runs * 4 + ext)?;
    Some(u32::from(chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn dimensions_are_estimated_like_calamine() {
        let mut dims = Vec::new();
        for v in [0u32, 1_048_576] {
            dims.extend_from_slice(&v.to_le_bytes());
        }
        dims.extend_from_slice(&[0, 0, 0, 0x40, 0, 0]);
        assert_eq!(reserved_cells(&dims), 1_048_576 * 16_384);
        let backwards = [5u8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0];
        assert!(reserved_cells(&backwards) > 1 << 31);
    }

    #[test]
    fn huge_dimensions_are_refused() {
        let mut stream = record(BOF, &[0; 16]);
        stream.extend(record(BOUNDSHEET, &[37, 0, 0, 0, 0, 0, 1, 0, b'S']));
        stream.extend(record(EOF, &[]));
        let mut dims = Vec::new();
        for v in [0u32, 60_000] {
            dims.extend_from_slice(&v.to_le_bytes());
        }
        dims.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
        stream.extend(record(BOF, &[0; 16]));
        stream.extend(record(DIMENSIONS, &dims));
        stream.extend(record(EOF, &[]));
        let mut budget = Budget::new(&crate::Limits::default());
        assert_eq!(
            check(&stream, 100 << 20, &mut budget).unwrap_err().code(),
            "document_bomb"
        );
    }

    #[test]
    fn sst_walk_crosses_continue_records() {
        // Two strings: "ab" (8-bit) and "xyz" split over a CONTINUE, switching to UTF-16.
        let mut data = vec![2, 0, 0, 0, 2, 0, 0, 0];
        data.extend_from_slice(&[2, 0, 0, b'a', b'b', 3, 0, 0, b'x']);
        let cont = [1u8, b'y', 0, b'z', 0];
        assert_eq!(sst_lengths(&data, &[&cont]), vec![2, 3]);
    }
}
