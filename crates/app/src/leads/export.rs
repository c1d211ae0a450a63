//! Leads exported as CSV (RFC 4180, UTF-8 with a byte-order mark for
//! spreadsheets, formula injection neutralised) or JSON, of the filtered
//! set, streamed a batch at a time, dates in the owner's time zone.

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::domain::AccountId;
use witzo_store::leads::{LeadQuery, LeadRow};

use crate::core::Core;
use crate::error::{AppError, AppResult};
use crate::format::local_iso;
use crate::leads::LeadFilter;

/// Leads read from the database per step of the stream.
const BATCH: i64 = 500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "leads.csv",
            ExportFormat::Json => "leads.json",
        }
    }
}

/// One exported lead (a row of the CSV, an element of the JSON array),
/// times in the owner's time zone. A locked lead is exported without its
/// details.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadExport {
    id: i64,
    received: String,
    updated: String,
    status: &'static str,
    source: &'static str,
    widget: String,
    name: String,
    email: String,
    phone: String,
    company: String,
    message: String,
    summary: String,
    country: String,
    notes: String,
    conversation: String,
    locked: bool,
}

impl LeadExport {
    fn new(lead: LeadRow, zone: &str) -> Self {
        let locked = lead.locked.0;
        let detail = |value: String| if locked { String::new() } else { value };
        Self {
            id: lead.id.get(),
            received: local_iso(lead.created_at, zone),
            updated: local_iso(lead.updated_at, zone),
            status: lead.status.as_str(),
            source: lead.source.as_str(),
            widget: lead.widget_name,
            name: detail(lead.name),
            email: detail(lead.email),
            phone: detail(lead.phone),
            company: detail(lead.company),
            message: detail(lead.message),
            summary: detail(lead.summary),
            country: lead.country,
            notes: lead.notes,
            conversation: lead.conversation.unwrap_or_default(),
            locked,
        }
    }

    /// The row's cells as a spreadsheet should read them: a cell that
    /// starts like a formula is prefixed with `'`.
    fn neutralised(self) -> Self {
        let cell = |value: String| {
            if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{value}")
            } else {
                value
            }
        };
        Self {
            widget: cell(self.widget),
            name: cell(self.name),
            email: cell(self.email),
            phone: cell(self.phone),
            company: cell(self.company),
            message: cell(self.message),
            summary: cell(self.summary),
            country: cell(self.country),
            notes: cell(self.notes),
            ..self
        }
    }
}

/// Where the stream stands.
struct Cursor {
    core: Core,
    account: AccountId,
    query: LeadQuery,
    zone: String,
    format: ExportFormat,
    /// Rows written so far (0: the header is still to come).
    written: i64,
    done: bool,
}

/// The account's leads matching `query` (all pages), encoded as `format`.
pub async fn export(
    core: &Core,
    account: AccountId,
    filter: &LeadFilter,
    format: ExportFormat,
) -> AppResult<impl Stream<Item = AppResult<Bytes>> + Send + 'static> {
    let zone = core.store.account_by_id(account).await?.time_zone;
    let mut query = filter.query(&zone)?;
    query.offset = 0;
    query.limit = BATCH;
    let cursor = Cursor {
        core: core.clone(),
        account,
        query,
        zone,
        format,
        written: 0,
        done: false,
    };
    Ok(futures_util::stream::unfold(
        cursor,
        |mut cursor| async move {
            if cursor.done {
                return None;
            }
            let chunk = next_chunk(&mut cursor).await;
            if chunk.is_err() {
                cursor.done = true;
            }
            Some((chunk, cursor))
        },
    ))
}

async fn next_chunk(cursor: &mut Cursor) -> AppResult<Bytes> {
    let leads = cursor
        .core
        .store
        .find_leads(cursor.account, &cursor.query)
        .await?;
    let last = i64::try_from(leads.len()).unwrap_or(0) < BATCH;
    let first = cursor.written == 0;
    cursor.query.offset += BATCH;
    cursor.written += i64::try_from(leads.len()).unwrap_or(0);
    cursor.done = last;
    let rows = leads.into_iter().map(|l| LeadExport::new(l, &cursor.zone));
    let bytes = match cursor.format {
        ExportFormat::Csv => csv_chunk(rows, first)?,
        ExportFormat::Json => json_chunk(rows, first, last)?,
    };
    Ok(Bytes::from(bytes))
}

fn csv_chunk(rows: impl Iterator<Item = LeadExport>, first: bool) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    if first {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::WriterBuilder::new()
        .has_headers(first)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let mut any = false;
    for row in rows {
        any = true;
        writer
            .serialize(row.neutralised())
            .map_err(AppError::internal)?;
    }
    if first && !any {
        // An empty export still names its columns.
        writer
            .write_record(EMPTY_HEADER)
            .map_err(AppError::internal)?;
    }
    writer.into_inner().map_err(AppError::internal)
}

/// The CSV header, for an export without rows.
const EMPTY_HEADER: [&str; 16] = [
    "id",
    "received",
    "updated",
    "status",
    "source",
    "widget",
    "name",
    "email",
    "phone",
    "company",
    "message",
    "summary",
    "country",
    "notes",
    "conversation",
    "locked",
];

fn json_chunk(
    rows: impl Iterator<Item = LeadExport>,
    first: bool,
    last: bool,
) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut separate = !first;
    if first {
        out.push(b'[');
    }
    for row in rows {
        if separate {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &row).map_err(AppError::internal)?;
        separate = true;
    }
    if last {
        out.push(b']');
    }
    Ok(out)
}
