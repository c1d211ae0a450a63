//! Background workers: claim a job, run it, record the result. Jobs are
//! rows (see `witzo_store::jobs`): a worker that dies mid-job loses its
//! lease and another picks the job up; every job is idempotent.

use std::time::Duration;

use tracing::Instrument;
use witzo_store::domain::{JobStatus, PageKind};
use witzo_store::jobs::{Job, Task};
use witzo_store::{StoreError, StoreResult};

use super::{crawl, documents};
use crate::core::Core;

/// How a job ended.
#[derive(Debug, PartialEq, Eq)]
pub enum JobEnd {
    Done,
    Cancelled,
    /// Run again at this Unix time, without counting a failure (a task
    /// that keeps its own schedule: webhook deliveries).
    Later(i64),
}

/// Why a job failed (it is retried with back-off until its attempts run out).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("embedding: {0}")]
    Embedding(String),
    #[error("mail: {0}")]
    Mail(String),
}

/// Runs the next due job, if any. Returns whether there was one.
pub async fn run_next(state: &Core) -> StoreResult<bool> {
    let lease = i64::try_from(state.config.jobs.lease_secs).unwrap_or(120);
    let Some(job) = state.store.claim_job(lease, witzo_store::now()).await? else {
        return Ok(false);
    };
    // One run per source: another worker got a job of this source at the
    // same instant (PostgreSQL), so this one waits its turn.
    let now = witzo_store::now();
    if state.store.source_busy(&job, now).await? {
        state.store.release_job(&job, now + 1, now).await?;
        return Ok(true);
    }
    let span = tracing::info_span!("job", job.id = %job.id, job.kind = job.task.kind(), job.attempt = job.attempts);
    let result = run(state, &job).instrument(span.clone()).await;
    let now = witzo_store::now();
    let _entered = span.enter();
    // How the job ended for good, if it did.
    let ended = match result {
        Ok(JobEnd::Done) => {
            tracing::info!("job done");
            state.store.complete_job(job.id, now).await?;
            Some(JobStatus::Succeeded)
        }
        Ok(JobEnd::Cancelled) => {
            tracing::info!("job cancelled");
            state.store.end_cancelled_job(job.id, now).await?;
            Some(JobStatus::Cancelled)
        }
        Ok(JobEnd::Later(run_at)) => {
            tracing::info!(run_at, "job runs again later");
            state.store.requeue_job(job.id, run_at, now).await?;
            None
        }
        Err(err) => {
            let job_state = state.store.fail_job(&job, &err.to_string(), now).await?;
            tracing::warn!(%err, status = %job_state.status, "job failed");
            job_state.status.ended().then_some(job_state.status)
        }
    };
    // A source's run is one job (a whole crawl, an extraction, one page
    // again): its end is the run's end, reported once.
    if let (Some(status), Some(source)) = (ended, job.task.source()) {
        crate::webhooks::events::source_trained(state, &job, source, status).await;
    }
    Ok(true)
}

async fn run(state: &Core, job: &Job) -> Result<JobEnd, JobError> {
    if let Task::Deliver(delivery) = job.task {
        return crate::webhooks::deliver::run(state, job, delivery).await;
    }
    let Some(id) = job.task.source() else {
        return crate::leads::notify::run(state, job.task)
            .await
            .map(|()| JobEnd::Done);
    };
    let source = match state.store.source_by_id(id).await {
        Ok(source) => source,
        // The source was deleted after the job was queued: nothing to do.
        Err(StoreError::NotFound) => return Ok(JobEnd::Done),
        Err(err) => return Err(err.into()),
    };
    match job.task {
        Task::Crawl(_) => crawl::run(state, job, &source, None).await,
        Task::Extract(_) => documents::run(state, job, &source, false).await,
        Task::Reextract(_) => documents::run(state, job, &source, true).await,
        Task::CrawlPage(_, page) => crawl::run(state, job, &source, Some(page)).await,
        Task::ReextractPage(_, page) => documents::run_one(state, job, &source, page).await,
        Task::LeadAlert(_) | Task::FollowUp(_) | Task::Deliver(_) => Err(JobError::Invalid(
            format!("{} has a source", job.task.kind()),
        )),
    }
}

/// After the job bell, how often and how many times an idle worker looks
/// again for the job (its transaction may not have committed yet).
const QUICK_LOOK: Duration = Duration::from_millis(20);
const QUICK_LOOKS: u32 = 10;

/// Starts `jobs.workers` workers and, every minute, the re-scrape
/// scheduler, the daily lead digests and the monthly usage reset (all safe
/// on every instance).
pub fn spawn(state: &Core) -> Vec<tokio::task::JoinHandle<()>> {
    let poll = Duration::from_millis(state.config.jobs.poll_millis.max(10));
    let mut handles: Vec<_> = (0..state.config.jobs.workers)
        .map(|n| {
            let state = state.clone();
            tokio::spawn(
                async move {
                    // Idle: wait for the poll or the job bell, whichever
                    // comes first; a bell rung mid-transaction is followed
                    // by a few quick looks until the row is committed.
                    let mut quick_looks = 0;
                    loop {
                        match run_next(&state).await {
                            Ok(true) => quick_looks = 0,
                            Ok(false) if quick_looks > 0 => {
                                quick_looks -= 1;
                                tokio::time::sleep(QUICK_LOOK).await;
                            }
                            Ok(false) => {
                                tokio::select! {
                                    () = tokio::time::sleep(poll) => {}
                                    () = witzo_store::jobs::bell().woken() => quick_looks = QUICK_LOOKS,
                                }
                            }
                            Err(err) => {
                                tracing::error!(%err, "worker could not claim or record a job");
                                tokio::time::sleep(poll).await;
                            }
                        }
                    }
                }
                .instrument(tracing::info_span!("worker", n)),
            )
        })
        .collect();
    handles.extend(crate::bus::spawn(state));
    if state.config.jobs.workers > 0 {
        let state = state.clone();
        handles.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            let mut minutes: u64 = 0;
            loop {
                tick.tick().await;
                if minutes.is_multiple_of(60) {
                    crate::conversations::hourly(&state).await;
                }
                minutes += 1;
                if let Err(err) = schedule_rescrapes(&state).await {
                    tracing::warn!(%err, "could not queue due re-scrapes");
                }
                crate::leads::notify::send_digests(&state).await;
                match state.store.reset_due_usage(witzo_store::now()).await {
                    Ok(0) => {}
                    Ok(reset) => tracing::info!(accounts = reset, "started new usage cycles"),
                    Err(err) => tracing::warn!(%err, "could not reset due usage cycles"),
                }
            }
        }));
    }
    handles
}

/// Queues the websites due for their automatic re-scrape, on plans that
/// allow it; safe to run on every instance.
pub async fn schedule_rescrapes(state: &Core) -> StoreResult<usize> {
    let jobs = state.store.queue_due_rescrapes(witzo_store::now()).await?;
    if !jobs.is_empty() {
        tracing::info!(jobs = jobs.len(), "queued automatic re-scrapes");
    }
    Ok(jobs.len())
}

/// The plan limit of pages or documents for `account`'s plan, and the
/// plan's name.
pub async fn knowledge_limit(
    state: &Core,
    account: witzo_store::domain::AccountId,
    kind: PageKind,
) -> StoreResult<(Option<i64>, String)> {
    let plan = state.store.account_plan(account).await?;
    let limit = match kind {
        PageKind::Page => plan.pages,
        PageKind::Document => plan.documents,
    };
    Ok((limit, plan.name))
}
