//! Builders for minimal but faithful legacy Office files (OLE compound files written with
//! the `cfb` crate): a Word 97 document and a BIFF8 Excel workbook.

use std::io::{Cursor, Write};

/// A piece of Word text: 8-bit (cp1252, "compressed") or UTF-16LE.
pub enum DocPiece<'a> {
    Compressed(&'a [u8]),
    Unicode(&'a str),
}

/// Offset in the WordDocument stream where piece text starts (after the FIB).
const TEXT_START: usize = 1024;

/// Writes a Word 97 `.doc`: a WordDocument stream with a FIB (nFib 0x00C1, 1Table) and
/// the piece text, plus a 1Table stream whose CLX holds one piece descriptor per piece.
pub fn doc(pieces: &[DocPiece<'_>]) -> Vec<u8> {
    let mut word = vec![0u8; TEXT_START];
    let mut cps = vec![0u32];
    let mut fcs = Vec::new();
    for piece in pieces {
        let offset = word.len();
        let chars = match piece {
            DocPiece::Compressed(bytes) => {
                word.extend_from_slice(bytes);
                fcs.push((offset as u32 * 2) | 0x4000_0000);
                bytes.len()
            }
            DocPiece::Unicode(text) => {
                let units: Vec<u16> = text.encode_utf16().collect();
                word.extend(units.iter().flat_map(|u| u.to_le_bytes()));
                fcs.push(offset as u32);
                units.len()
            }
        };
        cps.push(cps.last().copied().unwrap_or(0) + chars as u32);
    }
    let ccp_text = *cps.last().unwrap_or(&0);
    // FibBase
    word[0..2].copy_from_slice(&0xA5ECu16.to_le_bytes());
    word[2..4].copy_from_slice(&0x00C1u16.to_le_bytes());
    word[0x0A..0x0C].copy_from_slice(&0x0200u16.to_le_bytes()); // fWhichTblStm: 1Table
    // csw = 14 (fibRgW: 28 bytes), cslw = 22 (fibRgLw: 88 bytes), cbRgFcLcb = 93 pairs
    word[32..34].copy_from_slice(&14u16.to_le_bytes());
    word[62..64].copy_from_slice(&22u16.to_le_bytes());
    word[64 + 12..64 + 16].copy_from_slice(&ccp_text.to_le_bytes()); // ccpText
    word[152..154].copy_from_slice(&93u16.to_le_bytes());
    let mut plc = Vec::new();
    for cp in &cps {
        plc.extend_from_slice(&cp.to_le_bytes());
    }
    for fc in &fcs {
        plc.extend_from_slice(&[0, 0]);
        plc.extend_from_slice(&fc.to_le_bytes());
        plc.extend_from_slice(&[0, 0]);
    }
    let mut clx = vec![0x02];
    clx.extend_from_slice(&(plc.len() as u32).to_le_bytes());
    clx.extend_from_slice(&plc);
    let mut table = vec![0u8; 16];
    let fc_clx = table.len() as u32;
    table.extend_from_slice(&clx);
    let pair = 154 + 33 * 8;
    word[pair..pair + 4].copy_from_slice(&fc_clx.to_le_bytes());
    word[pair + 4..pair + 8].copy_from_slice(&(clx.len() as u32).to_le_bytes());
    compound_file(&[("/WordDocument", &word), ("/1Table", &table)])
}

/// One BIFF record: type, length, data.
pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn bof(kind: u16) -> Vec<u8> {
    let mut data = vec![0u8; 16];
    data[0..2].copy_from_slice(&0x0600u16.to_le_bytes());
    data[2..4].copy_from_slice(&kind.to_le_bytes());
    record(0x0809, &data)
}

/// A sheet cell for [`xls`].
pub enum XlsCell<'a> {
    Text(&'a str),
    Number(f64),
}

/// Writes a BIFF8 `.xls` with the given sheets (name, rows of cells). Text cells go
/// through the shared string table (LABELSST), numbers are NUMBER records.
pub fn xls(sheets: &[(&str, &[&[XlsCell<'_>]])]) -> Vec<u8> {
    xls_with_records(sheets, &[])
}

/// Like [`xls`], with raw `extra` records placed at the start of every sheet.
pub fn xls_with_records(sheets: &[(&str, &[&[XlsCell<'_>]])], extra: &[u8]) -> Vec<u8> {
    let mut strings: Vec<&str> = Vec::new();
    let mut bodies = Vec::new();
    for (_, rows) in sheets {
        let mut body = bof(0x0010);
        body.extend_from_slice(extra);
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let mut data = (r as u16).to_le_bytes().to_vec();
                data.extend_from_slice(&(c as u16).to_le_bytes());
                data.extend_from_slice(&0u16.to_le_bytes());
                match cell {
                    XlsCell::Text(text) => {
                        let index = strings.iter().position(|s| s == text).unwrap_or_else(|| {
                            strings.push(text);
                            strings.len() - 1
                        });
                        data.extend_from_slice(&(index as u32).to_le_bytes());
                        body.extend(record(0x00FD, &data));
                    }
                    XlsCell::Number(n) => {
                        data.extend_from_slice(&n.to_le_bytes());
                        body.extend(record(0x0203, &data));
                    }
                }
            }
        }
        body.extend(record(0x000A, &[]));
        bodies.push(body);
    }
    let mut sst = Vec::new();
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in &strings {
        let units: Vec<u16> = s.encode_utf16().collect();
        sst.extend_from_slice(&(units.len() as u16).to_le_bytes());
        sst.push(0x01); // UTF-16 characters
        sst.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }
    let bound_sheet = |position: u32, name: &str| {
        let mut data = position.to_le_bytes().to_vec();
        data.extend_from_slice(&[0, 0, name.len() as u8, 0]);
        data.extend_from_slice(name.as_bytes());
        record(0x0085, &data)
    };
    // The globals' size does not depend on the sheet positions, so measure it first.
    let globals_len = |positions: &[u32]| {
        let mut globals = bof(0x0005);
        globals.extend(record(0x0042, &1200u16.to_le_bytes()));
        for ((name, _), position) in sheets.iter().zip(positions) {
            globals.extend(bound_sheet(*position, name));
        }
        globals.extend(record(0x00FC, &sst));
        globals.extend(record(0x000A, &[]));
        globals
    };
    let mut positions = Vec::new();
    let mut next = globals_len(&vec![0; sheets.len()]).len() as u32;
    for body in &bodies {
        positions.push(next);
        next += body.len() as u32;
    }
    let mut stream = globals_len(&positions);
    for body in bodies {
        stream.extend(body);
    }
    // Pad past 4 KiB so the stream lives in regular sectors, as Excel's do.
    while stream.len() < 4096 {
        stream.extend(record(0x0000, &[0; 64]));
    }
    compound_file(&[("/Workbook", &stream)])
}

/// Writes streams into a new version 3 (512-byte sector) compound file, as Office does.
pub fn compound_file(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .expect("create cfb");
    for (path, data) in streams {
        let mut stream = file.create_stream(path).expect("create stream");
        stream.write_all(data).expect("write stream");
    }
    file.flush().expect("flush cfb");
    file.into_inner().into_inner()
}
