//! Training: owners add websites and documents to a widget; background
//! jobs crawl and extract them into clean text per page or document (the
//! knowledge the answering side reads, versioned per widget).

pub mod crawl;
pub mod documents;
pub mod service;
pub mod worker;

use serde::Serialize;

/// How far a job is, as stored in `jobs.progress` and shown to the owner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// `crawling`, `extracting` or `done`.
    pub stage: &'static str,
    pub done: u64,
    /// Known total, when there is one (documents).
    pub total: Option<u64>,
    pub indexed: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The page or document being worked on.
    pub current: String,
}

impl Progress {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
