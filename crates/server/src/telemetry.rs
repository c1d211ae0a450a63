//! Structured logs with `tracing`: human-readable text by default, JSON with
//! `--log-format json`. `RUST_LOG`, when set, overrides `log_level`.
//!
//! Every log line goes to standard error, whatever the command: standard
//! output carries only a command's result (a key, a table, an answer, bench
//! lines), so `KEY=$(witzo admin widget create …)` captures the key alone.
//! Colour only when standard error is a terminal and `NO_COLOR` is unset.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use witzo_app::config::LogFormat;

/// Where PostgreSQL's notices (`relation "_sqlx_migrations" already exists,
/// skipping`, raised by every start) are logged: sqlx logs them at INFO.
const NOTICES: &str = "sqlx::postgres::notice";

pub fn init(format: LogFormat, level: &str) {
    let terminal = std::io::stderr().is_terminal();
    let filter = EnvFilter::try_new(directives(std::env::var("RUST_LOG").ok(), level))
        .unwrap_or_else(|_| EnvFilter::new(directives(None, "info")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colour(terminal, std::env::var_os("NO_COLOR")))
        .with_writer(Stderr { terminal });
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// The filter: `RUST_LOG` when set (and valid), else `log_level`; database
/// notices only at WARN and above unless the filter names them itself
/// (`RUST_LOG=info,sqlx::postgres::notice=info` shows them).
fn directives(rust_log: Option<String>, level: &str) -> String {
    let base = rust_log
        .filter(|f| EnvFilter::try_new(f).is_ok())
        .unwrap_or_else(|| level.to_owned());
    if base.contains(NOTICES) {
        base
    } else if base.trim().is_empty() {
        format!("{NOTICES}=warn")
    } else {
        format!("{base},{NOTICES}=warn")
    }
}

/// ANSI colour: on a terminal, unless `NO_COLOR` is set to anything but
/// the empty string (<https://no-color.org>).
fn colour(terminal: bool, no_color: Option<OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The progress bar on standard error (`witzo ingest` on a terminal), if
/// one is drawn: a log line hides it while it is written, and it is drawn
/// again below. Global as the log subscriber it serves is.
static PROGRESS: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Registers the bar log lines must step around (`None` when it is gone).
pub fn progress_bar(bar: Option<indicatif::ProgressBar>) {
    if let Ok(mut slot) = PROGRESS.lock() {
        *slot = bar;
    }
}

/// Standard error. On a terminal each log line first clears the line the
/// cursor is on, so a progress line redrawn in place never runs into a log
/// line; a registered progress bar is hidden while the line is written.
struct Stderr {
    terminal: bool,
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine {
            clear_first: self.terminal,
        }
    }
}

/// One event's output.
struct LogLine {
    clear_first: bool,
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let clear_first = std::mem::take(&mut self.clear_first);
        let write = || {
            let mut stderr = std::io::stderr().lock();
            if clear_first {
                stderr.write_all(b"\r\x1b[2K")?;
            }
            stderr.write_all(buf).map(|()| buf.len())
        };
        let bar = PROGRESS.lock().ok().and_then(|slot| slot.clone());
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_notices_are_hidden_below_warn_unless_the_filter_names_them() {
        assert_eq!(directives(None, "info"), "info,sqlx::postgres::notice=warn");
        assert_eq!(
            directives(Some("debug".to_owned()), "info"),
            "debug,sqlx::postgres::notice=warn"
        );
        assert_eq!(
            directives(Some("info,sqlx::postgres::notice=info".to_owned()), "warn"),
            "info,sqlx::postgres::notice=info"
        );
        assert_eq!(directives(None, ""), "sqlx::postgres::notice=warn");
    }

    #[test]
    fn an_invalid_rust_log_falls_back_to_the_configured_level() {
        assert_eq!(
            directives(Some("=[".to_owned()), "warn"),
            "warn,sqlx::postgres::notice=warn"
        );
    }

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsString::new())));
        assert!(!colour(true, Some(OsString::from("1"))));
        assert!(!colour(false, None));
    }
}
