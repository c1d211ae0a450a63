//! How a widget's first crawl stands, for the page that follows it right
//! after setup: pages read of those found, failures with their reasons,
//! and, once it ended with nothing read, the reason.

use witzo_store::domain::{AccountId, JobStatus, PageStatus, SourceKind, WidgetId};
use witzo_store::sources::{JobView, PageRow, Source};

use crate::core::Core;
use crate::error::AppResult;

pub struct FirstCrawl {
    /// The widget's newest website: the one setup (or the owner) added last.
    pub source: Option<Source>,
    pub job: Option<JobView>,
    pub running: bool,
    /// Pages holding knowledge.
    pub known: usize,
    /// Pages that failed or were skipped, with their reasons.
    pub failures: Vec<PageRow>,
    /// Why nothing could be read, once the crawl ended without a page: the
    /// first failure's reason, else the job's error (may be empty).
    pub stuck: Option<String>,
    /// Seconds the crawl took, once it ended.
    pub took_secs: Option<i64>,
}

pub async fn first_crawl(
    core: &Core,
    account: AccountId,
    widget: WidgetId,
) -> AppResult<FirstCrawl> {
    let store = &core.store;
    let source = store
        .sources_of(account, widget)
        .await?
        .into_iter()
        .filter(|s| s.kind == SourceKind::Website)
        .max_by_key(|s| s.id.get());
    let (job, pages) = match &source {
        Some(source) => (
            store.latest_job(source.id).await?,
            store.pages_of(account, source.id).await?,
        ),
        None => (None, Vec::new()),
    };
    let running = job.as_ref().is_some_and(|j| !j.status.ended());
    let known = pages
        .iter()
        .filter(|p| matches!(p.outcome, PageStatus::Indexed | PageStatus::Unchanged))
        .count();
    let failures: Vec<PageRow> = pages
        .into_iter()
        .filter(|p| matches!(p.outcome, PageStatus::Failed | PageStatus::Skipped))
        .collect();
    let stuck = match &job {
        Some(job) if !running && known == 0 => Some(
            failures
                .first()
                .map(|p| p.reason.clone())
                .or_else(|| {
                    job.last_error
                        .clone()
                        .filter(|_| job.status == JobStatus::Failed)
                })
                .unwrap_or_default(),
        ),
        _ => None,
    };
    let took_secs = job
        .as_ref()
        .filter(|_| !running)
        .map(|j| (j.updated_at - j.created_at).max(0));
    Ok(FirstCrawl {
        source,
        job,
        running,
        known,
        failures,
        stuck,
        took_secs,
    })
}
