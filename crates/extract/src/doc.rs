//! DOC (Word 97-2003, an OLE compound file): text from the piece table.
//!
//! Reads the FIB at the start of the `WordDocument` stream, finds the CLX in the table
//! stream (`0Table` or `1Table`), and reads each piece of the main document as
//! UTF-16LE or as compressed 8-bit cp1252. Field instructions are dropped (their results
//! kept), cell marks become ` | ` and row ends newlines, paragraph marks blank lines.

use std::io::{Cursor, Read};

use encoding_rs::{UTF_16LE, WINDOWS_1252};

use crate::limits::Budget;
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// `wIdent` of a Word 97+ FIB.
const WORD_IDENT: u16 = 0xA5EC;
/// Oldest `nFib` with the Word 97 layout (Word 6/95 use another one).
const MIN_NFIB: u16 = 0x00C0;
/// Index of the fcClx/lcbClx pair in FibRgFcLcb97.
const CLX_PAIR: usize = 33;

/// Extracts a legacy Word document.
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|_| ExtractError::unreadable("not a valid Word file"))?;
    let word = read_stream(&mut file, "/WordDocument", limits)?;
    let fib = Fib::parse(&word)?;
    let table_name = if fib.table_one { "/1Table" } else { "/0Table" };
    let table = read_stream(&mut file, table_name, limits)?;
    let clx = table.get(fib.clx.clone()).ok_or_else(corrupt)?;
    let pieces = parse_clx(clx)?;
    let raw = piece_text(&word, &pieces, fib.ccp_text, budget)?;
    finish(
        &clean(&raw),
        Spacing::Collapse,
        None,
        None,
        limits.max_output_chars,
    )
}

fn corrupt() -> ExtractError {
    ExtractError::unreadable("corrupt Word file")
}

/// Reads a whole stream, refusing streams larger than the expansion limit.
fn read_stream(
    file: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    path: &str,
    limits: &Limits,
) -> Result<Vec<u8>, ExtractError> {
    let stream = file
        .open_stream(path)
        .map_err(|_| ExtractError::unreadable("not a Word document"))?;
    if stream.len() > limits.max_expanded_bytes {
        return Err(ExtractError::bomb("a stream is too large"));
    }
    let mut data = Vec::new();
    stream
        .take(limits.max_expanded_bytes)
        .read_to_end(&mut data)
        .map_err(|_| corrupt())?;
    Ok(data)
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        data.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The parts of the File Information Block that text extraction needs.
#[derive(Debug, PartialEq, Eq)]
struct Fib {
    table_one: bool,
    ccp_text: u32,
    clx: std::ops::Range<usize>,
}

impl Fib {
    fn parse(word: &[u8]) -> Result<Self, ExtractError> {
        if u16_at(word, 0) != Some(WORD_IDENT) {
            return Err(ExtractError::unreadable("not a Word 97 or later document"));
        }
        let n_fib = u16_at(word, 2).ok_or_else(corrupt)?;
        if n_fib < MIN_NFIB {
            return Err(ExtractError::unreadable(
                "Word 95 and older files are not supported",
            ));
        }
        let flags = u16_at(word, 0x0A).ok_or_else(corrupt)?;
        if flags & 0x0100 != 0 {
            return Err(ExtractError::unreadable("encrypted"));
        }
        let csw = usize::from(u16_at(word, 32).ok_or_else(corrupt)?);
        let lw_start = 34 + csw * 2 + 2;
        let cslw = usize::from(u16_at(word, lw_start - 2).ok_or_else(corrupt)?);
        let ccp_text = if cslw > 3 {
            u32_at(word, lw_start + 12).ok_or_else(corrupt)?
        } else {
            0
        };
        let fclcb_start = lw_start + cslw * 4 + 2;
        let pairs = usize::from(u16_at(word, fclcb_start - 2).ok_or_else(corrupt)?);
        if pairs <= CLX_PAIR {
            return Err(corrupt());
        }
        let fc_clx = u32_at(word, fclcb_start + CLX_PAIR * 8).ok_or_else(corrupt)? as usize;
        let lcb_clx = u32_at(word, fclcb_start + CLX_PAIR * 8 + 4).ok_or_else(corrupt)? as usize;
        if lcb_clx == 0 {
            return Err(corrupt());
        }
        let clx = fc_clx..fc_clx.checked_add(lcb_clx).ok_or_else(corrupt)?;
        Ok(Self {
            table_one: flags & 0x0200 != 0,
            ccp_text,
            clx,
        })
    }
}

/// One piece of text: a character-position range and where its text is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    cp_start: u32,
    cp_end: u32,
    offset: usize,
    compressed: bool,
}

/// Parses the CLX: skips the Prc entries, then reads the PlcPcd piece table.
fn parse_clx(clx: &[u8]) -> Result<Vec<Piece>, ExtractError> {
    let mut pos = 0;
    loop {
        match clx.get(pos) {
            Some(0x01) => {
                let size = u16_at(clx, pos + 1).ok_or_else(corrupt)?;
                pos += 3 + usize::from(size & 0x7fff);
            }
            Some(0x02) => {
                let lcb = u32_at(clx, pos + 1).ok_or_else(corrupt)? as usize;
                let plc = clx.get(pos + 5..pos + 5 + lcb).ok_or_else(corrupt)?;
                return parse_plc_pcd(plc);
            }
            _ => return Err(corrupt()),
        }
    }
}

/// PlcPcd: n+1 character positions followed by n 8-byte piece descriptors.
fn parse_plc_pcd(plc: &[u8]) -> Result<Vec<Piece>, ExtractError> {
    if plc.len() < 16 || !(plc.len() - 4).is_multiple_of(12) {
        return Err(corrupt());
    }
    let count = (plc.len() - 4) / 12;
    let descriptors = 4 * (count + 1);
    (0..count)
        .map(|i| {
            let cp_start = u32_at(plc, 4 * i).ok_or_else(corrupt)?;
            let cp_end = u32_at(plc, 4 * (i + 1)).ok_or_else(corrupt)?;
            let fc = u32_at(plc, descriptors + 8 * i + 2).ok_or_else(corrupt)?;
            let compressed = fc & 0x4000_0000 != 0;
            let fc = (fc & 0x3fff_ffff) as usize;
            let offset = if compressed { fc / 2 } else { fc };
            Ok(Piece {
                cp_start,
                cp_end,
                offset,
                compressed,
            })
        })
        .collect()
}

/// Concatenates the main document's pieces (character positions below `ccp_text`).
fn piece_text(
    word: &[u8],
    pieces: &[Piece],
    ccp_text: u32,
    budget: &mut Budget,
) -> Result<String, ExtractError> {
    let limit = if ccp_text == 0 { u32::MAX } else { ccp_text };
    let mut out = String::new();
    for piece in pieces {
        budget.tick()?;
        if piece.cp_start >= limit || piece.cp_end <= piece.cp_start {
            continue;
        }
        let chars = (piece.cp_end.min(limit) - piece.cp_start) as usize;
        let width = if piece.compressed { 1 } else { 2 };
        let end = piece
            .offset
            .checked_add(chars.checked_mul(width).ok_or_else(corrupt)?)
            .ok_or_else(corrupt)?;
        let data = word.get(piece.offset..end).ok_or_else(corrupt)?;
        let encoding = if piece.compressed {
            WINDOWS_1252
        } else {
            UTF_16LE
        };
        out.push_str(&encoding.decode_without_bom_handling(data).0);
        if budget.is_full(out.len()) {
            break;
        }
    }
    Ok(out)
}

/// Turns Word's special characters into plain text: fields, cells, rows, paragraphs.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // One entry per open field: true while its instructions (hidden) are being read.
    let mut fields: Vec<bool> = Vec::new();
    let mut hidden = 0usize;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{13}' => {
                fields.push(true);
                hidden += 1;
            }
            '\u{14}' => {
                if let Some(top) = fields.last_mut().filter(|top| **top) {
                    *top = false;
                    hidden -= 1;
                }
            }
            '\u{15}' => {
                if fields.pop() == Some(true) {
                    hidden -= 1;
                }
            }
            _ if hidden > 0 => {}
            '\u{7}' => {
                if chars.peek() == Some(&'\u{7}') {
                    chars.next();
                    out.push('\n');
                } else {
                    out.push_str(" | ");
                }
            }
            '\r' | '\u{c}' => out.push_str("\n\n"),
            '\u{b}' => out.push('\n'),
            '\u{1e}' => out.push('-'),
            '\t' => out.push('\t'),
            c if u32::from(c) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_fields_tables_and_marks() {
        let raw = "Intro\r\u{13} HYPERLINK \"x\" \u{14}Link\u{15} and \u{13}PAGE\u{15}.\rA\u{7}B\u{7}\u{7}C\u{7}D\u{7}\u{7}End\u{1e}x\u{1}\r";
        assert_eq!(clean(raw), "Intro\n\nLink and .\n\nA | B\nC | D\nEnd-x\n\n");
    }

    #[test]
    fn rejects_bad_fibs_and_clx() {
        assert!(Fib::parse(b"short").is_err());
        assert!(parse_clx(&[0x02, 0xff, 0xff, 0, 0]).is_err());
        assert!(parse_clx(&[0x01, 0x05]).is_err());
        assert!(parse_clx(&[]).is_err());
        assert_eq!(parse_plc_pcd(&[0; 15]), Err(corrupt()));
    }
}
