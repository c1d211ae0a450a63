//! Final clean-up shared by all formats: whitespace, control characters, length cap.

use crate::{ExtractError, Extracted};

/// How much of the source's own spacing to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spacing {
    /// Plain text and Markdown: keep indentation and inner spacing, only trim line ends.
    Keep,
    /// Text rebuilt from a structured format: collapse inner runs of whitespace to one space.
    Collapse,
}

/// Normalises `raw`, caps it at `max_chars` and wraps it up; fails with
/// [`ExtractError::NoText`] when nothing readable is left.
pub(crate) fn finish(
    raw: &str,
    spacing: Spacing,
    title: Option<String>,
    pages: Option<u32>,
    max_chars: usize,
) -> Result<Extracted, ExtractError> {
    let text = truncate(normalise(raw, spacing), max_chars);
    if text.trim().is_empty() {
        return Err(ExtractError::NoText);
    }
    let title = title
        .map(|t| normalise(&t, Spacing::Collapse).replace('\n', " "))
        .filter(|t| !t.is_empty());
    Ok(Extracted { title, text, pages })
}

/// True for characters that only render as horizontal space.
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// True for invisible characters that are dropped outright.
fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{feff}' | '\u{200b}' | '\u{00ad}' | '\u{fffd}' | '\u{fffe}' | '\u{ffff}'
        )
        || ('\u{e000}'..='\u{f8ff}').contains(&c)
}

/// Normalises newlines and whitespace, drops control characters, and keeps at most one
/// blank line between blocks.
pub(crate) fn normalise(raw: &str, spacing: Spacing) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0usize;
    for line in unified.split('\n') {
        let cleaned = clean_line(line, spacing);
        if cleaned.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&cleaned);
    }
    out
}

/// The letters of a typographic ligature (common in PDFs), so that words stay searchable.
fn ligature(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{fb00}' => "ff",
        '\u{fb01}' => "fi",
        '\u{fb02}' => "fl",
        '\u{fb03}' => "ffi",
        '\u{fb04}' => "ffl",
        '\u{fb05}' | '\u{fb06}' => "st",
        _ => return None,
    })
}

/// Cleans one line: drops invisible characters, maps exotic spaces to ' ' (or collapses
/// runs), and trims the end.
fn clean_line(line: &str, spacing: Spacing) -> String {
    let mut out = String::with_capacity(line.len());
    let mut leading = true;
    let mut pending_space = false;
    for c in line.chars() {
        if is_dropped(c) {
            continue;
        }
        if is_space(c) {
            match spacing {
                Spacing::Keep => out.push(if c == '\t' { '\t' } else { ' ' }),
                Spacing::Collapse if leading => out.push(' '),
                Spacing::Collapse => pending_space = true,
            }
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        leading = false;
        match ligature(c) {
            Some(letters) => out.push_str(letters),
            None => out.push(c),
        }
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    if out.trim_start().is_empty() {
        out.clear();
    }
    out
}

/// Caps `text` at `max_chars` characters, cutting at a paragraph, line or word boundary
/// near the limit when there is one.
pub(crate) fn truncate(mut text: String, max_chars: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    text.truncate(cut);
    let window_start = floor_char_boundary(&text, cut.saturating_sub(2_000));
    let tail = &text[window_start..];
    let boundary = tail
        .rfind("\n\n")
        .or_else(|| tail.rfind('\n'))
        .or_else(|| tail.rfind(' '));
    if let Some(pos) = boundary.map(|p| window_start + p).filter(|&p| p > 0) {
        text.truncate(pos);
    }
    let end = text.trim_end().len();
    text.truncate(end);
    text
}

/// Largest char boundary in `s` that is at most `index`.
fn floor_char_boundary(s: &str, index: usize) -> usize {
    (0..=index.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_and_drops_controls() {
        let raw = "  # Title\u{0}\r\n\r\n\r\n\r\nA\u{a0}\u{a0}b\t\tc  \n\u{7}\n- item";
        assert_eq!(
            normalise(raw, Spacing::Collapse),
            "  # Title\n\nA b c\n\n- item"
        );
        assert_eq!(normalise("a  b\tc\u{1}", Spacing::Keep), "a  b\tc");
        assert_eq!(
            normalise("speci\u{fb01}cation e\u{fb00}ort", Spacing::Collapse),
            "specification effort"
        );
    }

    #[test]
    fn truncates_at_boundaries() {
        let text = "first paragraph\n\nsecond paragraph here".to_owned();
        assert_eq!(truncate(text.clone(), 25), "first paragraph");
        assert_eq!(truncate("héllo wörld".to_owned(), 9), "héllo");
        assert_eq!(truncate("abcdef".to_owned(), 3), "abc");
        assert_eq!(truncate(text.clone(), 1000), text);
    }

    #[test]
    fn empty_is_no_text() {
        assert_eq!(
            finish(" \n\u{0}\t\n", Spacing::Keep, None, None, 10),
            Err(ExtractError::NoText)
        );
    }
}
