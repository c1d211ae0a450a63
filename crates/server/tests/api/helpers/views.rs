//! The app's JSON answers as a client reads them. Each struct names only
//! the fields tests look at; the rest of a body is ignored (the OpenAPI
//! tests pin the full shapes).

use serde::Deserialize;
use serde_json::Value;

/// A widget, as `/api/widgets` answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Widget {
    pub id: i64,
    pub name: String,
    /// `wk_…`: the public key in the embed snippet.
    pub key: String,
    pub allowed_domains: Vec<String>,
    pub settings: Value,
    pub embed_snippet: String,
}

/// Every error body: `{code, message, field?, …figures}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// Plan limits: what is used, the limit, the plan, the plan that lifts it.
    pub used: Option<i64>,
    pub limit: Option<i64>,
    pub plan: Option<String>,
    pub upgrade_to: Option<String>,
    /// CSV imports: the row and column at fault.
    pub row: Option<i64>,
    pub column: Option<String>,
}

/// A visitor's answer from `POST /v1/chat`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatReply {
    pub conversation_id: String,
    pub message_id: String,
    pub answer: String,
    pub sources: Vec<Cited>,
    pub offer_lead_form: bool,
    pub usage: Usage,
}

impl ChatReply {
    /// The cited URLs (a Q&A answer cites none).
    pub fn urls(&self) -> Vec<&str> {
        self.sources
            .iter()
            .filter_map(|s| s.url.as_deref())
            .collect()
    }
}

/// A source an answer cites; nothing more is sent to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cited {
    pub title: String,
    pub url: Option<String>,
}

/// The owner's allowance after an answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Usage {
    /// Absent when unlimited.
    pub remaining: Option<i64>,
}

/// `202` for a new source or a retrain: the job that does the work.
#[derive(Debug, Clone, Deserialize)]
pub struct Queued {
    pub source: Option<Source>,
    pub job_id: i64,
}

/// `202` for a retrain of every source of a widget.
#[derive(Debug, Clone, Deserialize)]
pub struct QueuedMany {
    pub job_ids: Vec<i64>,
}

/// `202` for uploaded documents.
#[derive(Debug, Clone, Deserialize)]
pub struct Uploaded {
    pub job_id: i64,
    pub files: Vec<String>,
}

/// A job as the owner follows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    progress: String,
}

impl Job {
    /// The progress (`stage`, `indexed`, `total`…), stored as JSON text.
    pub fn progress(&self) -> Value {
        serde_json::from_str(&self.progress).unwrap()
    }

    pub fn ended(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

/// A website or the widget's documents.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub id: i64,
    pub last_error: String,
}

/// An entry of `GET /api/widgets/{id}/sources`.
#[derive(Debug, Clone, Deserialize)]
pub struct Listed {
    pub source: Source,
}

/// `GET /api/sources/{id}`: the source and its pages with their outcomes.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceDetail {
    pub source: Source,
    pub pages: Vec<Page>,
}

impl SourceDetail {
    /// The page whose URL ends with `suffix`.
    pub fn page(&self, suffix: &str) -> &Page {
        self.pages
            .iter()
            .find(|p| p.url.ends_with(suffix))
            .unwrap_or_else(|| panic!("no page ending {suffix}: {:?}", self.pages))
    }
}

/// A page or document with its outcome in the last run.
#[derive(Debug, Clone, Deserialize)]
pub struct Page {
    pub id: i64,
    pub url: String,
    /// `indexed`, `unchanged`, `skipped` or `failed`.
    pub outcome: String,
    pub reason: String,
    pub over_limit: bool,
}

/// `GET /api/conversations/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Transcript {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// A conversation as the owner lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Conversation {
    pub public_id: String,
    pub origin: String,
    pub page_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub public_id: String,
    /// `visitor` or `assistant`.
    pub role: String,
    pub body: String,
    /// JSON text: the cited sources with their retrieval scores.
    pub sources: String,
    pub latency_ms: Option<i64>,
}

/// A lead as `/api/leads` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Lead {
    pub id: i64,
    pub source: String,
    pub status: String,
    pub notes: String,
    pub summary: String,
    pub country: String,
    pub conversation: Option<String>,
    pub follow_up_sent_at: Option<i64>,
    pub locked: bool,
    /// `null` while locked.
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: String,
    pub message: String,
}

/// One page of `GET /api/leads`.
#[derive(Debug, Clone, Deserialize)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Where a widget was embedded, and whether it was allowed there.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbedOrigin {
    pub origin: String,
    pub allowed: i64,
    pub hits: i64,
}
