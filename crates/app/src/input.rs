//! Checks of free-text and id fields as visitors and owners send them,
//! answering `422 validation_failed` naming the field.

use witzo_store::domain::{CleanText, TextRules, is_public_id};

use crate::error::{AppError, AppResult, ErrorCode};

/// `raw` (absent: empty) as clean text under `rules`.
pub fn text(field: &str, raw: Option<&str>, rules: TextRules) -> AppResult<String> {
    CleanText::parse(raw.unwrap_or_default(), rules)
        .map(CleanText::into_string)
        .map_err(|e| {
            AppError::new(ErrorCode::ValidationFailed, format!("{field} {e}")).field(field)
        })
}

/// One line of at most `max` characters, optional.
pub fn line(max: usize) -> TextRules {
    TextRules {
        max_chars: max,
        multiline: false,
        required: false,
    }
}

/// Paragraphs of at most `max` characters, optional.
pub fn paragraphs(max: usize) -> TextRules {
    TextRules {
        max_chars: max,
        multiline: true,
        required: false,
    }
}

/// A public id (`{prefix}` + 32 hex digits) named `field`.
pub fn public_id<'a>(field: &str, raw: &'a str, prefix: &str) -> AppResult<&'a str> {
    if is_public_id(raw, prefix) {
        Ok(raw)
    } else {
        Err(AppError::new(
            ErrorCode::ValidationFailed,
            format!("{field} must be {prefix} and 32 hex digits"),
        )
        .field(field))
    }
}
