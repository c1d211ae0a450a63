//! What one training run of a source did, read back from its pages: every
//! page or document a run reached carries the run (its job's id) in
//! `seen_run`, with the outcome and reason of that run.

use serde::Serialize;

use crate::domain::{JobId, PageStatus, SourceId};
use crate::{Store, StoreResult};

/// The outcomes of one run's pages or documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// (outcome, how many) for each outcome the run recorded.
    pub counts: Vec<(PageStatus, i64)>,
    /// The first failed or skipped pages, oldest first.
    pub failures: Vec<RunFailure>,
}

impl RunReport {
    /// Pages or documents of the run with `outcome`.
    pub fn count(&self, outcome: PageStatus) -> i64 {
        self.counts
            .iter()
            .filter(|(status, _)| *status == outcome)
            .map(|(_, n)| n)
            .sum()
    }
}

/// A page the run could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RunFailure {
    /// The page's URL, or the document's file name.
    pub url: String,
    /// `failed` or `skipped`.
    #[sqlx(try_from = "String")]
    pub status: PageStatus,
    pub reason: String,
}

impl Store {
    /// What run `run` of `source` recorded: counts per outcome and at most
    /// `failures` of its failed or skipped pages.
    pub async fn run_report(
        &self,
        source: SourceId,
        run: JobId,
        failures: i64,
    ) -> StoreResult<RunReport> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT outcome, COUNT(*) FROM pages WHERE source_id = $1 AND seen_run = $2 \
             GROUP BY outcome",
        )
        .bind(source.get())
        .bind(run.get())
        .fetch_all(self.pool())
        .await?;
        let counts = rows
            .into_iter()
            .filter_map(|(outcome, n)| PageStatus::try_from(outcome).ok().map(|s| (s, n)))
            .collect();
        let failures = sqlx::query_as(
            "SELECT url, outcome AS status, reason FROM pages \
             WHERE source_id = $1 AND seen_run = $2 AND outcome IN ('failed', 'skipped') \
             ORDER BY id LIMIT $3",
        )
        .bind(source.get())
        .bind(run.get())
        .bind(failures)
        .fetch_all(self.pool())
        .await?;
        Ok(RunReport { counts, failures })
    }
}
