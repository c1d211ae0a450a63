//! Raw-byte pre-checks run before `lopdf` touches a PDF: encryption, and the total size
//! that every stream would inflate to (lopdf inflates without a limit).

use std::io::{self, Read, Write};

use flate2::read::{DeflateDecoder, ZlibDecoder};
use memchr::memmem;

use crate::detect::find;
use crate::limits::Budget;
use crate::{ExtractError, Limits};

/// How far back from a `stream` keyword the stream's dictionary is looked for.
const DICT_WINDOW: usize = 2048;
/// How many filter layers (a stream inflating to another zlib stream) are followed.
const MAX_LAYERS: usize = 4;

/// Refuses encrypted PDFs and PDFs whose streams would inflate beyond `max_expanded_bytes`.
pub(super) fn check(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), ExtractError> {
    if is_encrypted(bytes) {
        return Err(ExtractError::unreadable("encrypted"));
    }
    let mut sink = CountingSink {
        written: 0,
        cap: limits.max_expanded_bytes,
    };
    for keyword in memmem::find_iter(bytes, b"stream") {
        budget.tick()?;
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let Some(start) = data_start(bytes, keyword + b"stream".len()) else {
            continue;
        };
        let data = &bytes[start..];
        let dict = &bytes[keyword.saturating_sub(DICT_WINDOW)..keyword];
        let dict = match memmem::rfind(dict, b"obj") {
            Some(pos) => &dict[pos..],
            None => dict,
        };
        let flate = find(dict, b"/Fl").is_some();
        if flate || is_zlib_header(data) {
            measure_flate(data, &mut sink, 0, flate)?;
        }
        if find(dict, b"LZW").is_some() {
            measure_lzw(data, &mut sink)?;
        }
    }
    budget.check()
}

/// The `/Encrypt` key lives in the trailer (or xref stream dictionary), never compressed.
fn is_encrypted(bytes: &[u8]) -> bool {
    memmem::find_iter(bytes, b"/Encrypt").any(|at| {
        bytes
            .get(at + b"/Encrypt".len())
            .is_none_or(|&next| !next.is_ascii_alphanumeric())
    })
}

/// Where a stream's data starts: after the end-of-line that follows the keyword.
fn data_start(bytes: &[u8], after_keyword: usize) -> Option<usize> {
    match bytes.get(after_keyword..after_keyword + 2)? {
        [b'\r', b'\n'] => Some(after_keyword + 2),
        [b'\n' | b'\r', _] => Some(after_keyword + 1),
        _ => None,
    }
}

/// Counts bytes written and fails once `cap` is exceeded.
struct CountingSink {
    written: u64,
    cap: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written = self.written.saturating_add(buf.len() as u64);
        if self.written > self.cap {
            return Err(io::Error::other("expansion limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// True when `head` starts with a plausible zlib header.
fn is_zlib_header(head: &[u8]) -> bool {
    matches!(head, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0)
}

/// Inflates `data` the way lopdf would (zlib, else raw deflate after the 2-byte header
/// when `raw_fallback`), counting the output; nested zlib layers are followed too.
fn measure_flate(
    data: &[u8],
    sink: &mut CountingSink,
    layer: usize,
    raw_fallback: bool,
) -> Result<(), ExtractError> {
    if layer >= MAX_LAYERS {
        return Ok(());
    }
    if is_zlib_header(data) && copy_layer(&mut ZlibDecoder::new(data), sink, layer)? {
        return Ok(());
    }
    if raw_fallback && data.len() > 2 {
        copy_layer(&mut DeflateDecoder::new(&data[2..]), sink, layer)?;
    }
    Ok(())
}

/// Copies one decoded layer into `sink`; when its output is itself zlib data, measures
/// that too. Returns whether any output was produced.
fn copy_layer(
    decoder: &mut impl Read,
    sink: &mut CountingSink,
    layer: usize,
) -> Result<bool, ExtractError> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match decoder.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    write_counted(sink, &head[..got])?;
    if got == 2 && is_zlib_header(&head) {
        // Buffer the (already bounded) layer to measure what it inflates to.
        let mut inner = head.to_vec();
        let remaining = sink.cap.saturating_sub(sink.written);
        let mut limited = decoder.take(remaining.saturating_add(1));
        let _ = limited.read_to_end(&mut inner);
        write_counted(sink, &inner[2..])?;
        measure_flate(&inner, sink, layer + 1, false)?;
        return Ok(true);
    }
    let before = sink.written;
    match io::copy(decoder, sink) {
        Err(_) if sink.written > sink.cap => Err(too_large()),
        _ => Ok(got > 0 || sink.written > before),
    }
}

fn write_counted(sink: &mut CountingSink, data: &[u8]) -> Result<(), ExtractError> {
    sink.write(data).map(|_| ()).map_err(|_| too_large())
}

/// Decodes LZW data (early change, as lopdf does) into the counting sink.
fn measure_lzw(data: &[u8], sink: &mut CountingSink) -> Result<(), ExtractError> {
    let mut decoder = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let result = decoder.into_stream(&mut *sink).decode_all(data);
    match result.status {
        Err(_) if sink.written > sink.cap => Err(too_large()),
        _ => Ok(()),
    }
}

fn too_large() -> ExtractError {
    ExtractError::bomb("the PDF's streams expand too large")
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn pdf_with_stream(data: &[u8]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        pdf
    }

    #[test]
    fn counts_single_and_nested_layers() {
        let limits = Limits {
            max_expanded_bytes: 1_000_000,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        let small = pdf_with_stream(&zlib(&vec![b'a'; 500_000]));
        assert_eq!(check(&small, &limits, &mut budget), Ok(()));
        let big = pdf_with_stream(&zlib(&vec![b'a'; 2_000_000]));
        assert_eq!(
            check(&big, &limits, &mut budget).unwrap_err().code(),
            "document_bomb"
        );
        let nested = pdf_with_stream(&zlib(&zlib(&vec![b'a'; 2_000_000])));
        assert_eq!(
            check(&nested, &limits, &mut budget).unwrap_err().code(),
            "document_bomb"
        );
    }

    #[test]
    fn refuses_encryption() {
        let mut budget = Budget::new(&Limits::default());
        let pdf = b"%PDF-1.4\ntrailer << /Encrypt 5 0 R >>";
        assert_eq!(
            check(pdf, &Limits::default(), &mut budget),
            Err(ExtractError::unreadable("encrypted"))
        );
        let not = b"%PDF-1.4\n<< /EncryptMetadata false >>";
        assert_eq!(check(not, &Limits::default(), &mut budget), Ok(()));
    }
}
