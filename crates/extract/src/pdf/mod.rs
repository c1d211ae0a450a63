//! PDF: text from every page's content stream (and the form XObjects it draws), in stream
//! order, with lines and word gaps rebuilt from text positions. Pages are separated by
//! blank lines.
//!
//! Interpretation is done here on top of `lopdf`'s object model (rather than by a text
//! extraction crate) so that every loop is bounded: form recursion depth, total content
//! interpreted, total bytes inflated, the deadline and the output cap.

mod font;
mod interpret;
mod lexer;
mod scan;
mod state;

use lopdf::Document;

use self::font::deref;
use self::interpret::Interpreter;
use crate::limits::Budget;
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// Extracts the text of a PDF; `NoText` when it has pages but no text (a scan).
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    scan::check(bytes, limits, budget)?;
    let doc = Document::load_mem(bytes)
        .map_err(|_| ExtractError::unreadable("corrupt or truncated PDF"))?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(ExtractError::unreadable("encrypted"));
    }
    budget.check()?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::unreadable("the PDF has no pages"));
    }
    let mut interpreter = Interpreter::new(&doc, limits);
    let mut out = String::new();
    for page_id in pages.values() {
        budget.check()?;
        let text = interpreter.page(*page_id, budget)?;
        if !text.trim().is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&text);
        }
        if budget.is_full(out.len()) {
            break;
        }
    }
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    finish(
        &out,
        Spacing::Collapse,
        info_title(&doc),
        Some(page_count),
        limits.max_output_chars,
    )
}

/// The document title from the trailer's Info dictionary.
fn info_title(doc: &Document) -> Option<String> {
    let info = deref(doc, doc.trailer.get(b"Info").ok())?.as_dict().ok()?;
    let title = deref(doc, info.get(b"Title").ok())?;
    lopdf::decode_text_string(title).ok()
}
