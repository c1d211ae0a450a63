//! A command's result on standard output: text for people, or JSON
//! (`--json`) for scripts. Nothing else is ever written there; logs and
//! progress go to standard error.

use std::io::Write;

use serde::Serialize;

use super::args::OutputArgs;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Text,
    /// One compact JSON document per line.
    Json,
}

impl From<OutputArgs> for Format {
    fn from(args: OutputArgs) -> Self {
        if args.json { Self::Json } else { Self::Text }
    }
}

impl Format {
    /// Prints `value` as one JSON line, or as `text(value)` (lines, each
    /// ended by `\n`).
    pub fn print<T: Serialize>(
        self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        match self {
            Self::Json => write_stdout(&format!("{}\n", serde_json::to_string(value)?)),
            Self::Text => write_stdout(&text(value)),
        }
    }
}

/// Writes `text` to standard output at once; a closed pipe is an error
/// (exit 1) rather than a panic.
pub(super) fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// A limit for people: a number, or `unlimited`.
pub(super) fn limit_text(limit: Option<i64>) -> String {
    limit.map_or_else(|| "unlimited".to_owned(), |l| l.to_string())
}
