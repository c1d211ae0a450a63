//! Witzo's document extractors: turn an uploaded PDF, DOC, DOCX, XLS, XLSX, CSV, TXT or
//! Markdown file into clean, Markdown-like text for indexing.
//!
//! Every extractor treats its input as hostile: sizes, entry counts, expansion, XML
//! nesting, output length and wall-clock time are bounded by [`Limits`], and panics in
//! parsing dependencies are caught and reported as [`ExtractError::Unreadable`].
//!
//! ```
//! use witzo_extract::{detect, extract, Limits};
//!
//! let bytes = b"# Opening hours\n\nMonday to Friday, 9:00 to 17:00.";
//! let kind = detect("hours.md", bytes).unwrap();
//! let doc = extract(kind, bytes, &Limits::default()).unwrap();
//! assert_eq!(doc.title.as_deref(), Some("Opening hours"));
//! ```

mod decode;
mod delimited;
mod detect;
mod doc;
mod docx;
mod error;
mod limits;
mod ooxml;
mod pdf;
mod plain;
mod sheet;
mod text;
mod xml;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use detect::{DocumentKind, detect};
pub use error::ExtractError;
pub use limits::Limits;

use limits::Budget;

/// Text extracted from one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The document's title, when it declares one (PDF Info, Office core properties,
    /// Markdown's first `# ` heading).
    pub title: Option<String>,
    /// Markdown-like text: headings `# `, list items `- `, paragraphs separated by blank lines.
    pub text: String,
    /// Number of pages, for paged formats (PDF).
    pub pages: Option<u32>,
}

/// Synchronous extraction (pure; callers run it on a blocking thread).
///
/// `limits.timeout` is enforced cooperatively inside the extractors; use
/// [`extract_async`] to also bound the wait from async code.
pub fn extract(
    kind: DocumentKind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractError::TooLarge);
    }
    if bytes.is_empty() {
        return Err(ExtractError::unreadable("the file is empty"));
    }
    let mut budget = Budget::new(limits);
    let outcome = catch_unwind(AssertUnwindSafe(|| match kind {
        DocumentKind::Pdf => pdf::extract(bytes, limits, &mut budget),
        DocumentKind::Doc => doc::extract(bytes, limits, &mut budget),
        DocumentKind::Docx => docx::extract(bytes, limits, &mut budget),
        DocumentKind::Xls => sheet::extract_xls(bytes, limits, &mut budget),
        DocumentKind::Xlsx => sheet::extract_xlsx(bytes, limits, &mut budget),
        DocumentKind::Csv => delimited::extract(bytes, limits, &mut budget),
        DocumentKind::Txt => plain::extract(bytes, false, limits),
        DocumentKind::Md => plain::extract(bytes, true, limits),
    }));
    outcome.unwrap_or_else(|_| Err(ExtractError::unreadable("the file is corrupt")))
}

/// Async wrapper: runs [`extract`] on tokio's blocking pool with `limits.timeout`.
///
/// Fails with [`ExtractError::Timeout`] when the extraction does not finish in time.
pub async fn extract_async(
    kind: DocumentKind,
    bytes: Vec<u8>,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    let timeout = limits.timeout;
    let task = tokio::task::spawn_blocking(move || extract(kind, &bytes, &limits));
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(_join_error)) => Err(ExtractError::unreadable("the file is corrupt")),
        Err(_elapsed) => Err(ExtractError::Timeout),
    }
}
