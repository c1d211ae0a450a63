//! Exports of the filtered inbox, streamed a page of conversations at a
//! time: CSV (one row per message, UTF-8 with a byte-order mark so
//! spreadsheets read it as such; cells that a spreadsheet would run as a
//! formula are prefixed with `'`) or JSON Lines (one conversation per line).

use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use witzo_store::domain::AccountId;
use witzo_store::inbox::{Cursor, InboxFilter, InboxMessage, InboxRow};

use super::{SourceRef, sources_of};
use crate::core::Core;
use crate::error::AppError;

/// Conversations read per page.
const BATCH: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

/// The CSV header.
pub const COLUMNS: [&str; 13] = [
    "conversation_id",
    "widget",
    "visitor_id",
    "origin",
    "page_url",
    "message_id",
    "role",
    "sent_at",
    "text",
    "sources",
    "rating",
    "rating_reason",
    "unanswered",
];

/// A cell a spreadsheet would read as a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// `2026-12-05T10:04:05Z`.
pub fn rfc3339(unix: i64) -> String {
    let day = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = crate::analytics::days::civil_from_days(day);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// One exported conversation (a JSON line).
#[derive(Serialize)]
struct JsonConversation<'a> {
    conversation_id: &'a str,
    widget: &'a str,
    visitor_id: &'a str,
    origin: &'a str,
    page_url: &'a str,
    started_at: String,
    messages: Vec<JsonMessage<'a>>,
}

#[derive(Serialize)]
struct JsonMessage<'a> {
    message_id: &'a str,
    role: &'a str,
    sent_at: String,
    text: &'a str,
    sources: Vec<SourceRef>,
    rating: Option<i64>,
    rating_reason: &'a str,
    unanswered: bool,
}

fn encode(
    format: Format,
    rows: &[InboxRow],
    messages: &[InboxMessage],
) -> Result<Vec<u8>, AppError> {
    let of = |id: i64| messages.iter().filter(move |m| m.conversation_id == id);
    match format {
        Format::Jsonl => {
            let mut out = Vec::new();
            for row in rows {
                let line = JsonConversation {
                    conversation_id: &row.public_id,
                    widget: &row.widget_name,
                    visitor_id: &row.visitor_id,
                    origin: &row.origin,
                    page_url: &row.page_url,
                    started_at: rfc3339(row.created_at),
                    messages: of(row.id)
                        .map(|m| JsonMessage {
                            message_id: &m.public_id,
                            role: m.role.as_str(),
                            sent_at: rfc3339(m.created_at),
                            text: &m.body,
                            sources: sources_of(m),
                            rating: m.rating,
                            rating_reason: &m.rating_reason,
                            unanswered: m.refused == 1,
                        })
                        .collect(),
                };
                serde_json::to_writer(&mut out, &line).map_err(AppError::internal)?;
                out.push(b'\n');
            }
            Ok(out)
        }
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            for row in rows {
                for m in of(row.id) {
                    let sources = sources_of(m)
                        .into_iter()
                        .map(|s| s.url.unwrap_or(s.title))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let rating = m
                        .rating
                        .map(|r| if r > 0 { "up" } else { "down" })
                        .unwrap_or("");
                    let cells = [
                        row.public_id.as_str(),
                        &row.widget_name,
                        &row.visitor_id,
                        &row.origin,
                        &row.page_url,
                        &m.public_id,
                        m.role.as_str(),
                        &rfc3339(m.created_at),
                        &m.body,
                        &sources,
                        rating,
                        &m.rating_reason,
                        if m.refused == 1 { "yes" } else { "no" },
                    ];
                    out.write_record(cells.iter().map(|c| neutralise(c).into_owned()))
                        .map_err(AppError::internal)?;
                }
            }
            out.into_inner().map_err(AppError::internal)
        }
    }
}

/// The export of `filter`'s conversations, newest activity first, as a
/// stream of chunks (the header first).
pub fn stream(
    state: Core,
    account: AccountId,
    filter: InboxFilter,
    format: Format,
) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
    enum Step {
        Header,
        Page(Option<Cursor>),
        Done,
    }
    futures_util::stream::unfold(Step::Header, move |step| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            match step {
                Step::Header => {
                    let header = match format {
                        Format::Csv => {
                            let mut head = "\u{feff}".to_owned();
                            head.push_str(&COLUMNS.join(","));
                            head.push('\n');
                            head.into_bytes()
                        }
                        Format::Jsonl => Vec::new(),
                    };
                    Some((Ok(Bytes::from(header)), Step::Page(None)))
                }
                Step::Page(after) => {
                    let page = async {
                        let rows = state.store.inbox(account, &filter, after, BATCH).await?;
                        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                        let messages = state.store.inbox_messages(&ids).await?;
                        let chunk = encode(format, &rows, &messages)?;
                        let next = (rows.len() as i64 == BATCH)
                            .then(|| rows.last().map(InboxRow::cursor))
                            .flatten();
                        Ok::<_, AppError>((chunk, next))
                    };
                    match page.await {
                        Ok((chunk, Some(next))) => {
                            Some((Ok(Bytes::from(chunk)), Step::Page(Some(next))))
                        }
                        Ok((chunk, None)) => Some((Ok(Bytes::from(chunk)), Step::Done)),
                        Err(err) => Some((Err(err), Step::Done)),
                    }
                }
                Step::Done => None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Hello = world"), "Hello = world");
        assert_eq!(neutralise(""), "");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
