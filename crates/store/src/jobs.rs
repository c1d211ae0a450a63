//! Background jobs are rows: enqueued beside the change that needs them,
//! claimed atomically by one worker, retried with back-off, and recovered
//! when a worker dies mid-job (its lease runs out).

use serde::{Deserialize, Serialize};

pub use crate::domain::JobStatus;
use crate::domain::{DeliveryId, JobId, LeadId, PageId, SourceId};
use crate::{Backend, Store, StoreError, StoreResult};

/// What a job does, with what it needs: the only shape a job is written in
/// (`kind` and JSON `payload` columns) and read back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Crawls a website source (a re-crawl processes only changed pages).
    Crawl(SourceId),
    /// Extracts a document source's files that are not extracted yet.
    Extract(SourceId),
    /// Extracts every file of a document source again.
    Reextract(SourceId),
    /// Tells the owner of a new lead by e-mail.
    LeadAlert(LeadId),
    /// Sends the owner's follow-up e-mail to a lead.
    FollowUp(LeadId),
    /// Fetches one page of a website source again (by page id).
    CrawlPage(SourceId, PageId),
    /// Extracts one document of a document source again (by page id).
    ReextractPage(SourceId, PageId),
    /// Sends (or retries) one webhook delivery (`witzo_store::webhooks`).
    Deliver(DeliveryId),
}

/// What a training job is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    #[default]
    Crawling,
    Extracting,
    Done,
}

/// How far a training job is: stored as JSON in `jobs.progress`, read back
/// into this shape (a row written before a field existed reads it as 0 or
/// empty), shown to the owner on the dashboard, the CLI and the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    /// Known total, when there is one (documents; a crawl's addresses found).
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

    /// The total to show beside `done`: the known total, never below it.
    pub fn shown_total(&self) -> u64 {
        self.total.unwrap_or(0).max(self.done)
    }

    /// The API's form, unchanged since jobs had untyped progress: the JSON
    /// document as a string.
    pub fn serialize_as_text<S: serde::Serializer>(
        progress: &Self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&progress.to_json())
    }
}

/// A stored progress that does not parse (never written yet: `{}` or empty)
/// reads as no progress.
impl From<String> for Progress {
    fn from(stored: String) -> Self {
        serde_json::from_str(&stored).unwrap_or_default()
    }
}

/// The payload of a webhook delivery job.
#[derive(Serialize, Deserialize)]
struct DeliveryPayload {
    delivery_id: i64,
}

/// The payload of the jobs that work on one source.
#[derive(Serialize, Deserialize)]
struct SourcePayload {
    source_id: i64,
    /// The one page or document a job works on, for the per-page tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_id: Option<i64>,
}

/// The payload of the jobs about one lead.
#[derive(Serialize, Deserialize)]
struct LeadPayload {
    lead_id: i64,
}

impl Task {
    /// The `kind` column's value.
    pub fn kind(self) -> &'static str {
        match self {
            Task::Crawl(_) => "crawl",
            Task::Extract(_) => "extract",
            Task::Reextract(_) => "reextract",
            Task::LeadAlert(_) => "lead_alert",
            Task::FollowUp(_) => "follow_up",
            Task::CrawlPage(..) => "crawl_page",
            Task::ReextractPage(..) => "reextract_page",
            Task::Deliver(_) => "deliver",
        }
    }

    /// The source the job works on, if it works on one.
    pub fn source(self) -> Option<SourceId> {
        match self {
            Task::Crawl(id)
            | Task::Extract(id)
            | Task::Reextract(id)
            | Task::CrawlPage(id, _)
            | Task::ReextractPage(id, _) => Some(id),
            Task::LeadAlert(_) | Task::FollowUp(_) => None,
            Task::Deliver(_) => None,
        }
    }

    /// The `payload` column's value.
    pub(crate) fn payload(self) -> String {
        let payload = match self {
            Task::Crawl(id) | Task::Extract(id) | Task::Reextract(id) => {
                serde_json::to_string(&SourcePayload {
                    source_id: id.get(),
                    page_id: None,
                })
            }
            Task::CrawlPage(id, page) | Task::ReextractPage(id, page) => {
                serde_json::to_string(&SourcePayload {
                    source_id: id.get(),
                    page_id: Some(page.get()),
                })
            }
            Task::LeadAlert(id) | Task::FollowUp(id) => {
                serde_json::to_string(&LeadPayload { lead_id: id.get() })
            }
            Task::Deliver(id) => serde_json::to_string(&DeliveryPayload {
                delivery_id: id.get(),
            }),
        };
        payload.unwrap_or_default()
    }

    /// Reads a stored job back; `Err` names what is wrong with the row.
    fn parse(kind: &str, payload: &str) -> Result<Self, String> {
        let source = || {
            serde_json::from_str::<SourcePayload>(payload)
                .map(|p| SourceId::from_raw(p.source_id))
                .map_err(|e| format!("unreadable {kind} payload: {e}"))
        };
        let lead = || {
            serde_json::from_str::<LeadPayload>(payload)
                .map(|p| LeadId::from_raw(p.lead_id))
                .map_err(|e| format!("unreadable {kind} payload: {e}"))
        };
        let page = || {
            serde_json::from_str::<SourcePayload>(payload)
                .map_err(|e| format!("unreadable {kind} payload: {e}"))
                .and_then(|p| {
                    p.page_id
                        .map(|page| (SourceId::from_raw(p.source_id), PageId::from_raw(page)))
                        .ok_or_else(|| format!("{kind} payload without page_id"))
                })
        };
        match kind {
            "lead_alert" => lead().map(Task::LeadAlert),
            "follow_up" => lead().map(Task::FollowUp),
            "crawl" => source().map(Task::Crawl),
            "extract" => source().map(Task::Extract),
            "reextract" => source().map(Task::Reextract),
            "crawl_page" => page().map(|(s, p)| Task::CrawlPage(s, p)),
            "reextract_page" => page().map(|(s, p)| Task::ReextractPage(s, p)),
            "deliver" => serde_json::from_str::<DeliveryPayload>(payload)
                .map(|p| Task::Deliver(DeliveryId::from_raw(p.delivery_id)))
                .map_err(|e| format!("unreadable {kind} payload: {e}")),
            other => Err(format!("unknown job kind {other:?}")),
        }
    }
}

/// A claimed job, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub task: Task,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A claimed row, before its task is read.
#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobState {
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
}

/// Rung whenever a job row is written, so idle workers look for it at once
/// instead of at their next poll: those of this process directly, those
/// of other instances through Redis (the app forwards `queued` and calls
/// `wake` for what other instances queued). One per process.
pub struct JobBell {
    queued: tokio::sync::Notify,
    wake: tokio::sync::Notify,
}

static BELL: JobBell = JobBell {
    queued: tokio::sync::Notify::const_new(),
    wake: tokio::sync::Notify::const_new(),
};

/// The process's job bell.
pub fn bell() -> &'static JobBell {
    &BELL
}

impl JobBell {
    fn ring(&self) {
        self.queued.notify_waiters();
        self.wake.notify_waiters();
    }

    /// Wakes this process's idle workers (a job was queued elsewhere).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Resolves when this process writes a job.
    pub async fn queued(&self) {
        self.queued.notified().await;
    }

    /// Resolves when an idle worker should look for work.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// Writes a job row; the one place `kind` and `payload` are written. Rings
/// the [`JobBell`]: the row may still be in an open transaction, so a woken
/// worker looks again for a moment (see the worker).
pub(crate) async fn insert_job<'c>(
    executor: impl sqlx::Executor<'c, Database = sqlx::Any>,
    task: Task,
    max_attempts: i64,
    run_at: i64,
    now: i64,
) -> StoreResult<JobId> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO jobs (kind, payload, max_attempts, run_at, created_at, updated_at, source_id) \
         VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
    )
    .bind(task.kind())
    .bind(task.payload())
    .bind(max_attempts.max(1))
    .bind(run_at)
    .bind(now)
    .bind(task.source().map(SourceId::get))
    .fetch_one(executor)
    .await?;
    BELL.ring();
    Ok(JobId::from_raw(id))
}

/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

/// Wait before the next attempt: 10 s, 20 s, 40 s … capped at an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    (10_i64 << exp).min(MAX_BACKOFF_SECS)
}

// One job at a time per source: a queued job waits while another job of its
// source runs (a full crawl and a one-page crawl would otherwise each make
// their run live and drop the other's chunks).
const CLAIM_SQLITE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
     locked_until = $1 + $2, updated_at = $1 \
     WHERE id = (SELECT j.id FROM jobs j WHERE (j.status = 'queued' AND j.run_at <= $1 AND NOT EXISTS ( \
          SELECT 1 FROM jobs r WHERE r.source_id = j.source_id AND r.status = 'running' AND r.locked_until >= $1)) \
        OR (j.status = 'running' AND j.locked_until < $1) ORDER BY j.run_at, j.id LIMIT 1) \
     RETURNING id, kind, payload, attempts, max_attempts";

const CLAIM_POSTGRES: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
     locked_until = $1 + $2, updated_at = $1 \
     WHERE id = (SELECT j.id FROM jobs j WHERE (j.status = 'queued' AND j.run_at <= $1 AND NOT EXISTS ( \
          SELECT 1 FROM jobs r WHERE r.source_id = j.source_id AND r.status = 'running' AND r.locked_until >= $1)) \
        OR (j.status = 'running' AND j.locked_until < $1) ORDER BY j.run_at, j.id LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, max_attempts";

impl Store {
    /// Queues `task` to run at `run_at` or later.
    pub async fn enqueue_job(
        &self,
        task: Task,
        run_at: i64,
        max_attempts: i64,
        now: i64,
    ) -> StoreResult<JobId> {
        insert_job(self.pool(), task, max_attempts, run_at, now).await
    }

    /// Takes the next due job for `lease_secs`, or `None`. At most one caller
    /// gets any given job. A running job whose lease ran out is taken again
    /// while it has attempts left, and marked failed once it has none.
    pub async fn claim_job(&self, lease_secs: i64, now: i64) -> StoreResult<Option<Job>> {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', last_error = 'worker lease expired', updated_at = $1 \
             WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        let sql = match self.backend() {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        };
        loop {
            let row: Option<JobRow> = sqlx::query_as(sql)
                .bind(now)
                .bind(lease_secs)
                .fetch_optional(self.pool())
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let id = JobId::from_raw(row.id);
            match Task::parse(&row.kind, &row.payload) {
                Ok(task) => {
                    return Ok(Some(Job {
                        id,
                        task,
                        attempts: row.attempts,
                        max_attempts: row.max_attempts,
                    }));
                }
                // A row no worker can run (written by a newer version, or
                // damaged) fails at once instead of blocking the queue.
                Err(why) => {
                    tracing::warn!(job.id = %id, %why, "unreadable job failed");
                    self.finish(id, JobStatus::Failed, Some(&why), now, now)
                        .await?;
                }
            }
        }
    }

    /// Marks a claimed job done.
    pub async fn complete_job(&self, id: JobId, now: i64) -> StoreResult<()> {
        self.finish(id, JobStatus::Succeeded, None, now, now).await
    }

    /// Records a failed attempt: the job is queued again after a back-off,
    /// or marked failed once its attempts are used up. Returns the new state.
    pub async fn fail_job(&self, job: &Job, error: &str, now: i64) -> StoreResult<JobState> {
        let status = if job.attempts >= job.max_attempts {
            JobStatus::Failed
        } else {
            JobStatus::Queued
        };
        let run_at = now + backoff_secs(job.attempts);
        self.finish(job.id, status, Some(error), run_at, now)
            .await?;
        self.job_state(job.id).await
    }

    /// Ends a claimed job's run without counting it as failed: the job is
    /// queued again to run at `run_at` (a task that keeps its own schedule,
    /// such as a webhook delivery's back-off).
    pub async fn requeue_job(&self, id: JobId, run_at: i64, now: i64) -> StoreResult<()> {
        self.finish(id, JobStatus::Queued, None, run_at, now).await
    }

    pub async fn job_state(&self, id: JobId) -> StoreResult<JobState> {
        let state: Option<JobState> =
            sqlx::query_as("SELECT status, attempts, run_at, last_error FROM jobs WHERE id = $1")
                .bind(id.get())
                .fetch_optional(self.pool())
                .await?;
        state.ok_or(StoreError::NotFound)
    }

    /// Whether another job of `job`'s source is running under a live lease.
    /// Two workers claiming at the same instant on PostgreSQL can both get a
    /// job of one source; the one that finds the other puts its job back.
    pub async fn source_busy(&self, job: &Job, now: i64) -> StoreResult<bool> {
        let Some(source) = job.task.source() else {
            return Ok(false);
        };
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE source_id = $1 AND id <> $2 AND status = 'running' AND locked_until >= $3",
        )
        .bind(source.get())
        .bind(job.id.get())
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Puts a claimed job back in the queue, due at `run_at`, without
    /// counting the attempt.
    pub async fn release_job(&self, job: &Job, run_at: i64, now: i64) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = $1, locked_until = NULL, updated_at = $2 \
             WHERE id = $3 AND status = 'running'",
        )
        .bind(run_at)
        .bind(now)
        .bind(job.id.get())
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    async fn finish(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
        run_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, last_error = $2, run_at = $3, locked_until = NULL, updated_at = $4 \
             WHERE id = $5 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(run_at)
        .bind(now)
        .bind(id.get())
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour() {
        assert_eq!(
            [1, 2, 3, 4, 9, 50].map(backoff_secs),
            [10, 20, 40, 80, 2560, 3600]
        );
    }
}
