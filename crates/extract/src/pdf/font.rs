//! What text extraction needs from a PDF font: how to decode its codes to Unicode and how
//! far each glyph advances (for word-gap detection).

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Encoding, Object};

/// Width assumed for glyphs whose font declares none (in 1/1000 text-space units).
const FALLBACK_WIDTH: f64 = 500.0;
/// Cap on `W` array entries read from a CID font.
const MAX_CID_WIDTHS: usize = 65_536;

/// A font's decoding and metrics.
pub(super) struct FontInfo<'a> {
    encoding: Option<Encoding<'a>>,
    two_byte: bool,
    first_char: u32,
    widths: Vec<f64>,
    cid_widths: HashMap<u32, f64>,
    default_width: f64,
}

impl<'a> FontInfo<'a> {
    /// Reads a font dictionary. Fonts whose codes cannot be mapped to Unicode (a CID font
    /// without `ToUnicode`) decode to nothing rather than to garbage.
    pub(super) fn load(doc: &'a Document, font: &'a Dictionary) -> Self {
        let is_type0 = font
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|s| s == b"Type0");
        let has_to_unicode = font.get(b"ToUnicode").is_ok();
        let encoding = if is_type0 && !has_to_unicode {
            None
        } else {
            font.get_font_encoding(doc).ok()
        };
        let mut info = Self {
            encoding,
            two_byte: is_type0,
            first_char: 0,
            widths: Vec::new(),
            cid_widths: HashMap::new(),
            default_width: FALLBACK_WIDTH,
        };
        if is_type0 {
            info.load_cid_widths(doc, font);
        } else {
            info.load_simple_widths(doc, font);
        }
        info
    }

    fn load_simple_widths(&mut self, doc: &'a Document, font: &'a Dictionary) {
        self.first_char =
            number(doc, font.get(b"FirstChar").ok()).map_or(0, |n| n.clamp(0.0, 255.0) as u32);
        if let Some(widths) = deref(doc, font.get(b"Widths").ok()).and_then(|o| o.as_array().ok()) {
            self.widths = widths
                .iter()
                .take(256)
                .map(|w| number(doc, Some(w)).unwrap_or(0.0))
                .collect();
        }
        let missing = deref(doc, font.get(b"FontDescriptor").ok())
            .and_then(|d| d.as_dict().ok())
            .and_then(|d| number(doc, d.get(b"MissingWidth").ok()));
        if let Some(missing) = missing.filter(|&w| w > 0.0) {
            self.default_width = missing;
        }
    }

    fn load_cid_widths(&mut self, doc: &'a Document, font: &'a Dictionary) {
        let descendant = deref(doc, font.get(b"DescendantFonts").ok())
            .and_then(|o| o.as_array().ok())
            .and_then(|a| deref(doc, a.first()))
            .and_then(|o| o.as_dict().ok());
        let Some(descendant) = descendant else { return };
        self.default_width = number(doc, descendant.get(b"DW").ok()).unwrap_or(1000.0);
        let Some(w) = deref(doc, descendant.get(b"W").ok()).and_then(|o| o.as_array().ok()) else {
            return;
        };
        let mut i = 0;
        while i < w.len() && self.cid_widths.len() < MAX_CID_WIDTHS {
            let Some(first) = number(doc, w.get(i)) else {
                break;
            };
            let first = first.max(0.0) as u32;
            match deref(doc, w.get(i + 1)) {
                Some(Object::Array(list)) => {
                    for (offset, width) in list.iter().enumerate().take(MAX_CID_WIDTHS) {
                        let width = number(doc, Some(width)).unwrap_or(self.default_width);
                        self.cid_widths
                            .insert(first.saturating_add(offset as u32), width);
                    }
                    i += 2;
                }
                Some(_) => {
                    let last = number(doc, w.get(i + 1)).unwrap_or(0.0).max(0.0) as u32;
                    let width = number(doc, w.get(i + 2)).unwrap_or(self.default_width);
                    let span = last.saturating_sub(first).min(MAX_CID_WIDTHS as u32);
                    for code in first..=first.saturating_add(span) {
                        self.cid_widths.insert(code, width);
                    }
                    i += 3;
                }
                None => break,
            }
        }
    }

    /// Decodes a shown string to Unicode, or `None` when this font cannot be decoded.
    pub(super) fn decode(&self, bytes: &[u8]) -> Option<String> {
        self.encoding
            .as_ref()
            .and_then(|e| Document::decode_text(e, bytes).ok())
    }

    /// The horizontal advance of `bytes` in text space, before horizontal scaling:
    /// glyph widths plus character spacing, and word spacing after single-byte spaces.
    pub(super) fn advance(
        &self,
        bytes: &[u8],
        size: f64,
        char_spacing: f64,
        word_spacing: f64,
    ) -> f64 {
        let mut total = 0.0;
        if self.two_byte {
            for pair in bytes.chunks(2) {
                let code = pair.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                let width = self
                    .cid_widths
                    .get(&code)
                    .copied()
                    .unwrap_or(self.default_width);
                total += width / 1000.0 * size + char_spacing;
            }
        } else {
            for &b in bytes {
                let index = u32::from(b)
                    .checked_sub(self.first_char)
                    .map(|i| i as usize);
                let width = index
                    .and_then(|i| self.widths.get(i))
                    .copied()
                    .filter(|&w| w > 0.0);
                total += width.unwrap_or(self.default_width) / 1000.0 * size + char_spacing;
                if b == b' ' {
                    total += word_spacing;
                }
            }
        }
        total
    }
}

/// Follows a reference (if any) to the object it names.
pub(super) fn deref<'a>(doc: &'a Document, object: Option<&'a Object>) -> Option<&'a Object> {
    doc.dereference(object?).ok().map(|(_, o)| o)
}

/// Reads a number (integer or real), following a reference.
pub(super) fn number(doc: &Document, object: Option<&Object>) -> Option<f64> {
    match deref(doc, object)? {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)).filter(|r| r.is_finite()),
        _ => None,
    }
}
