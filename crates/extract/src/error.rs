//! The error type shared by every extractor, with stable codes and owner-readable messages.

/// Why a document could not be turned into text.
///
/// Every variant maps to a stable snake_case [`code`](ExtractError::code) and a short,
/// owner-readable [`message`](ExtractError::message) that reveals no internals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The file name's extension is not a supported document type.
    #[error("unsupported document type")]
    UnsupportedType,
    /// The file's content does not match the type its name claims.
    #[error("document content does not match its file name")]
    TypeMismatch,
    /// The file is larger than [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    #[error("document too large")]
    TooLarge,
    /// The document was read but holds no text (for example a scanned PDF).
    #[error("document has no text")]
    NoText,
    /// The document is corrupt, truncated, encrypted or otherwise unreadable.
    #[error("document unreadable: {0}")]
    Unreadable(String),
    /// The document exceeds a safety limit (too many entries, expands too large, nests too deep).
    #[error("document refused: {0}")]
    Bomb(String),
    /// Extraction did not finish within [`Limits::timeout`](crate::Limits::timeout).
    #[error("document extraction timed out")]
    Timeout,
}

impl ExtractError {
    /// Stable snake_case code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedType => "unsupported_document_type",
            Self::TypeMismatch => "document_type_mismatch",
            Self::TooLarge => "document_too_large",
            Self::NoText => "document_no_text",
            Self::Unreadable(_) => "document_unreadable",
            Self::Bomb(_) => "document_bomb",
            Self::Timeout => "document_timeout",
        }
    }

    /// Short message for the business owner who uploaded the file.
    pub fn message(&self) -> String {
        match self {
            Self::UnsupportedType => "This file type is not supported. Upload a PDF, Word (.doc, .docx), \
                Excel (.xls, .xlsx), CSV, TXT or Markdown file."
                .to_owned(),
            Self::TypeMismatch => {
                "The file's content does not match its extension. Save it in the right format and upload it again."
                    .to_owned()
            }
            Self::TooLarge => "The file is too large. Split it into smaller files and upload them.".to_owned(),
            Self::NoText => "No text was found in this document (scanned PDF? OCR is not supported).".to_owned(),
            Self::Unreadable(why) => format!("The document could not be read ({why})."),
            Self::Bomb(why) => format!("The document was refused for safety ({why})."),
            Self::Timeout => "Reading the document took too long. Try a smaller or simpler file.".to_owned(),
        }
    }

    /// Shorthand for an [`ExtractError::Unreadable`] with a curated reason.
    pub(crate) fn unreadable(why: &str) -> Self {
        Self::Unreadable(why.to_owned())
    }

    /// Shorthand for an [`ExtractError::Bomb`] with a curated reason.
    pub(crate) fn bomb(why: &str) -> Self {
        Self::Bomb(why.to_owned())
    }
}
