//! The conversations inbox as use cases: filters parsed at the edge into
//! an [`InboxFilter`], keyset pages, transcripts, deletion of one or a
//! filtered set, exports (see [`export`]), and privacy: retention settings
//! and forgetting a visitor.

pub mod export;
mod privacy;

pub use privacy::{ForgetRequest, RETENTION_DAYS, SettingsInput, forget, hourly, save_settings};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use witzo_store::audit::AuditKind;
use witzo_store::domain::{AccountId, ConversationId, WidgetId, is_public_id};
use witzo_store::inbox::{Cursor, InboxFilter, InboxMessage, InboxRow};

use crate::analytics::days;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};

/// Rows per page by default and at most.
pub const PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;
/// The longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The inbox's filters, as a query string gives them.
#[derive(Debug, Default, Clone, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// One widget's conversations.
    #[serde(default, deserialize_with = "crate::analytics::widget_param")]
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{0,17})?$")]
    pub widget: Option<i64>,
    /// Last activity on or after this day (`YYYY-MM-DD`, the account's offset).
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub from: Option<String>,
    /// Last activity on or before this day (before `from`: matches nothing).
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub to: Option<String>,
    /// Only conversations with an answer rated down.
    pub rated_down: Option<bool>,
    /// Only conversations with an "I don't know" answer.
    pub unanswered: Option<bool>,
    /// Only conversations whose visitor left a lead.
    pub with_lead: Option<bool>,
    /// Only conversations with an answer the owner corrected.
    pub corrected: Option<bool>,
    /// Words to find in messages (whole words, any case; up to 200
    /// characters, no control characters).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub q: Option<String>,
    /// One visitor's conversations (`v_…`).
    #[param(pattern = "^(v_[0-9a-f]{32})?$")]
    pub visitor: Option<String>,
    /// The `next` of the previous page.
    #[param(pattern = "^([0-9]{1,18}\\.[0-9]{1,18})?$")]
    pub cursor: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Export only: `csv` (default) or `jsonl`.
    #[param(pattern = "^(csv|jsonl)$")]
    pub format: Option<String>,
    /// Delete only: `true` to delete every conversation when no filter is set.
    pub all: Option<bool>,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

/// The words of a search, as the full-text index splits them.
pub fn search_words(raw: &str) -> Vec<String> {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(16)
        .collect()
}

impl InboxQuery {
    /// The filter, checked; `offset_minutes` places the days.
    pub fn filter(&self, offset_minutes: i64) -> AppResult<InboxFilter> {
        let widget = match self.widget {
            Some(id) if id > 0 => Some(WidgetId::from_raw(id)),
            Some(_) => return Err(invalid("widget", "widget must be a widget id")),
            None => None,
        };
        let day = |field: &str, raw: &Option<String>| -> AppResult<Option<i64>> {
            raw.as_deref()
                .filter(|r| !r.is_empty())
                .map(|r| {
                    days::parse(r).ok_or_else(|| {
                        invalid(field, format!("{field} must be a date, YYYY-MM-DD"))
                    })
                })
                .transpose()
        };
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        // Every parameter is checked whichever use reads it, so that one
        // query string means the same to the list, the export and delete.
        self.cursor()?;
        self.limit()?;
        self.format()?;
        let q = self.q.as_deref().unwrap_or_default();
        if q.chars().count() > MAX_SEARCH_CHARS {
            return Err(invalid("q", "q is at most 200 characters"));
        }
        if q.chars().any(char::is_control) {
            return Err(invalid("q", "q must not hold control characters"));
        }
        let search = Some(q.trim()).filter(|q| !q.is_empty()).map(search_words);
        let visitor = match self.visitor.as_deref().filter(|v| !v.is_empty()) {
            Some(v) if is_public_id(v, "v_") => Some(v.to_owned()),
            Some(_) => return Err(invalid("visitor", "visitor must be v_ and 32 hex digits")),
            None => None,
        };
        Ok(InboxFilter {
            widget,
            from: from.map(|d| days::start(d, offset_minutes)),
            to: to.map(|d| days::start(d + 1, offset_minutes)),
            rated_down: self.rated_down.unwrap_or(false),
            unanswered: self.unanswered.unwrap_or(false),
            with_lead: self.with_lead.unwrap_or(false),
            corrected: self.corrected.unwrap_or(false),
            search,
            visitor,
        })
    }

    pub fn cursor(&self) -> AppResult<Option<Cursor>> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| {
                Cursor::parse(c)
                    .ok_or_else(|| invalid("cursor", "cursor must be a next value of this list"))
            })
            .transpose()
    }

    pub fn format(&self) -> AppResult<export::Format> {
        match self.format.as_deref() {
            None | Some("csv") => Ok(export::Format::Csv),
            Some("jsonl") => Ok(export::Format::Jsonl),
            Some(_) => Err(invalid("format", "format must be csv or jsonl")),
        }
    }

    pub fn limit(&self) -> AppResult<i64> {
        match self.limit {
            None => Ok(PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(invalid("limit", "limit must be 1 to 200")),
        }
    }
}

/// One page of the inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxPage {
    pub conversations: Vec<InboxRow>,
    /// The cursor of the next page; absent on the last.
    pub next: Option<String>,
}

/// The account's offset from UTC, in minutes.
pub async fn offset_of(state: &Core, account: AccountId) -> AppResult<i64> {
    Ok(state
        .store
        .report_settings(account)
        .await?
        .utc_offset_minutes)
}

/// What `query` filters, its days read at the account's report offset.
pub async fn filter_of(
    state: &Core,
    account: AccountId,
    query: &InboxQuery,
) -> AppResult<InboxFilter> {
    query.filter(offset_of(state, account).await?)
}

/// How many conversations `query` matches, on all pages.
pub async fn count(state: &Core, account: AccountId, query: &InboxQuery) -> AppResult<i64> {
    let filter = filter_of(state, account, query).await?;
    Ok(state.store.inbox_count(account, &filter).await?)
}

/// The inbox page `query` asks for.
pub async fn list(state: &Core, account: AccountId, query: &InboxQuery) -> AppResult<InboxPage> {
    let filter = filter_of(state, account, query).await?;
    let limit = query.limit()?;
    let mut rows = state
        .store
        .inbox(account, &filter, query.cursor()?, limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        rows.last().map(|r| r.cursor().encode())
    } else {
        None
    };
    Ok(InboxPage {
        conversations: rows,
        next,
    })
}

/// A source an answer quoted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SourceRef {
    pub title: String,
    pub url: Option<String>,
}

/// The stored sources of an answer (bad JSON reads as none).
pub fn sources_of(message: &InboxMessage) -> Vec<SourceRef> {
    serde_json::from_str(&message.sources).unwrap_or_default()
}

/// A transcript: the conversation and its messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transcript {
    pub conversation: InboxRow,
    pub messages: Vec<InboxMessage>,
}

pub async fn transcript(
    state: &Core,
    account: AccountId,
    id: &ConversationId,
) -> AppResult<Transcript> {
    let (conversation, messages) = state.store.inbox_conversation(account, id.as_str()).await?;
    Ok(Transcript {
        conversation,
        messages,
    })
}

pub async fn delete_one(state: &Core, account: AccountId, id: &ConversationId) -> AppResult<()> {
    Ok(state
        .store
        .delete_conversation(account, id.as_str())
        .await?)
}

/// Deletes the filtered set, logged in the security log; returns how many.
/// A query with no filter at all is refused: deleting everything is asked
/// for explicitly (`all`).
pub async fn delete_filtered(
    state: &Core,
    account: AccountId,
    query: &InboxQuery,
    ip: &str,
) -> AppResult<u64> {
    let all = query.all.unwrap_or(false);
    let filter = filter_of(state, account, query).await?;
    if filter == InboxFilter::default() && !all {
        return Err(AppError::new(
            ErrorCode::ConfirmationRequired,
            "Choose a filter, or confirm deleting every conversation (all=true).",
        )
        .field("all"));
    }
    let deleted = state.store.delete_conversations(account, &filter).await?;
    state
        .store
        .record_audit(
            Some(account),
            AuditKind::ConversationsDeleted,
            ip,
            &format!("{deleted} conversations"),
            witzo_store::now(),
        )
        .await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_at_the_edge() {
        let ok = InboxQuery {
            from: Some("2026-12-01".into()),
            to: Some("2026-12-01".into()),
            q: Some("  Opening   hours? ".into()),
            ..InboxQuery::default()
        };
        let filter = ok.filter(60).ok();
        assert_eq!(
            filter
                .as_ref()
                .and_then(|f| f.to.zip(f.from))
                .map(|(t, f)| t - f),
            Some(86_400)
        );
        assert_eq!(
            filter.and_then(|f| f.search),
            Some(vec!["opening".to_owned(), "hours".to_owned()])
        );
        for bad in [
            InboxQuery {
                widget: Some(0),
                ..InboxQuery::default()
            },
            InboxQuery {
                from: Some("yesterday".into()),
                ..InboxQuery::default()
            },
            InboxQuery {
                q: Some("x".repeat(201)),
                ..InboxQuery::default()
            },
            InboxQuery {
                visitor: Some("v_1".into()),
                ..InboxQuery::default()
            },
        ] {
            assert_eq!(
                bad.filter(0).err().map(|e| e.code()),
                Some(ErrorCode::ValidationFailed)
            );
        }
        let cursor = InboxQuery {
            cursor: Some("1.x".into()),
            ..InboxQuery::default()
        };
        assert!(cursor.cursor().is_err());
        let limit = InboxQuery {
            limit: Some(201),
            ..InboxQuery::default()
        };
        assert!(limit.limit().is_err());
    }

    #[test]
    fn settings_take_fixed_retention_and_quarter_hour_offsets() {
        let input = |retention_days, utc_offset_minutes| SettingsInput {
            retention_days,
            utc_offset_minutes,
            gap_digest: false,
        };
        assert!(input(Some(90), 330).parse().is_ok());
        assert!(input(None, -720).parse().is_ok());
        assert!(input(Some(7), 0).parse().is_err());
        assert!(input(None, 10).parse().is_err());
        assert!(input(None, 900).parse().is_err());
    }
}
