//! TXT and Markdown: decode, normalise newlines, keep the text (and Markdown) as is.

use crate::decode::decode_text;
use crate::text::{Spacing, finish};
use crate::{ExtractError, Extracted, Limits};

/// Extracts a plain-text or Markdown file; Markdown's first `# ` heading becomes the title.
pub(crate) fn extract(
    bytes: &[u8],
    markdown: bool,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let text = decode_text(bytes);
    let title = if markdown {
        markdown_title(&text)
    } else {
        None
    };
    finish(&text, Spacing::Keep, title, None, limits.max_output_chars)
}

/// The text of the first level-one ATX heading outside fenced code blocks.
fn markdown_title(text: &str) -> Option<String> {
    let mut in_fence = false;
    for line in text.lines().take(10_000) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.len() - trimmed.len() > 3 {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("# ") {
            let title = rest.trim().trim_end_matches('#').trim();
            if !title.is_empty() {
                return Some(title.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_title_skips_code() {
        assert_eq!(
            markdown_title("```\n# not\n```\n## Sub\n# Real #\n"),
            Some("Real".to_owned())
        );
        assert_eq!(markdown_title("no heading"), None);
    }
}
