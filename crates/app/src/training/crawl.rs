//! A crawl job: fetch the website with the SSRF-safe crawler, and record
//! each page's outcome and chunks as it comes (so progress is visible and a
//! crash loses nothing). Pages already holding knowledge and unchanged cost
//! nothing. The run's knowledge goes live when it ends; pages no longer on
//! the site leave the knowledge when a crawl completes.

use std::time::{Duration, Instant};

use url::Url;
use witzo_ingest::{
    CrawlConfig, CrawlSink, FetchPolicy, Fetcher, Flow, Known, Outcome, PageReport, Validators,
    crawl,
};
use witzo_store::domain::{AccountId, JobId, PageId, PageKind, PageStatus, SourceStatus};
use witzo_store::jobs::Job;
use witzo_store::sources::{PageOutcome, Source};

use super::worker::{JobEnd, JobError, knowledge_limit};
use super::{Progress, Stage, chunk_and_embed};
use crate::core::Core;
use crate::format;

/// Pages a crawl may index when the plan sets no limit.
const UNLIMITED_PAGES: usize = 10_000;

/// The fetcher policy for crawling owners' websites.
pub fn fetch_policy(state: &Core) -> FetchPolicy {
    let crawler = &state.config.crawler;
    FetchPolicy {
        allow: crawler.allow.clone(),
        max_body_bytes: crawler.max_page_bytes,
        timeout: Duration::from_secs(crawler.timeout_secs),
        user_agent: format!(
            "WitzoBot/{} (+{}bot)",
            env!("CARGO_PKG_VERSION"),
            state.public_url
        ),
        ..FetchPolicy::default()
    }
}

/// Crawls the website, or with `page` fetches only that one page of it
/// again (the rest of the site's knowledge stays as it is).
pub async fn run(
    state: &Core,
    job: &Job,
    source: &Source,
    page: Option<PageId>,
) -> Result<JobEnd, JobError> {
    let account = state.store.source_account(source.id).await?;
    let one_page = match page {
        Some(id) => match state.store.page_text(account, id).await {
            Ok(page) if page.source_id == source.id && page.kind == PageKind::Page => {
                Some(page.url)
            }
            // Deleted since it was queued: nothing to do.
            Ok(_) | Err(witzo_store::StoreError::NotFound) => return Ok(JobEnd::Done),
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let start = Url::parse(one_page.as_deref().unwrap_or(&source.url))
        .map_err(|e| JobError::Invalid(format!("start URL: {e}")))?;
    let (limit, plan) = knowledge_limit(state, account, PageKind::Page).await?;
    let fetcher =
        Fetcher::new(fetch_policy(state)).map_err(|e| JobError::Invalid(e.to_string()))?;
    let config = CrawlConfig {
        max_depth: u32::try_from(source.max_depth.clamp(0, 10)).unwrap_or(3),
        // One more than the plan allows, so the page over the limit is reported.
        max_pages: limit.map_or(UNLIMITED_PAGES, |l| usize::try_from(l).unwrap_or(0) + 1),
        include: format::lines(&source.include_paths),
        exclude: format::lines(&source.exclude_paths),
        crawl_delay_cap: Duration::from_secs(state.config.crawler.max_crawl_delay_secs),
        ..CrawlConfig::new(start)
    };
    // One page: that address only, no links followed, no sitemap read.
    let config = if one_page.is_some() {
        CrawlConfig {
            max_depth: 0,
            max_pages: 1,
            ..config
        }
    } else {
        config
    };
    let now = witzo_store::now();
    state
        .store
        .set_source_status(source.id, SourceStatus::Running, "", now)
        .await?;
    let mut sink = StoreSink {
        state,
        source,
        account,
        run: job.id,
        limit,
        plan,
        progress: Progress {
            stage: Stage::Crawling,
            ..Progress::default()
        },
        last_saved: Instant::now(),
        error: None,
        stop: None,
        kept_over_limit: false,
    };
    let summary = crawl(&fetcher, &config, &mut sink).await;
    if let Some(err) = sink.error {
        state
            .store
            .set_source_status(
                source.id,
                SourceStatus::Failed,
                "Storing the crawl failed; it will be retried.",
                witzo_store::now(),
            )
            .await?;
        return Err(err);
    }
    // What the run indexed goes live now, in one transaction; a complete
    // crawl also drops the pages the site no longer has. A cancelled or
    // limited run keeps the pages it did not reach as they were.
    let complete = one_page.is_none()
        && sink.stop.is_none()
        && !summary.stopped_early
        && !sink.kept_over_limit;
    state.store.finish_run(source, job.id, complete).await?;
    let now = witzo_store::now();
    let (end, note) = match sink.stop {
        Some(Stop::Cancelled) => (JobEnd::Cancelled, "Cancelled.".to_owned()),
        Some(Stop::PlanLimit(note)) => (JobEnd::Done, note),
        None => {
            let note = if summary.indexed + summary.unchanged == 0 {
                "No page could be indexed; see each page's reason.".to_owned()
            } else {
                String::new()
            };
            (JobEnd::Done, note)
        }
    };
    sink.progress.stage = Stage::Done;
    state
        .store
        .set_job_progress(job.id, &sink.progress, now, now)
        .await?;
    state
        .store
        .set_source_status(source.id, SourceStatus::Ready, &note, now)
        .await?;
    Ok(end)
}

enum Stop {
    Cancelled,
    PlanLimit(String),
}

enum Admit {
    Yes,
    /// A new page, and the plan's pages are all used.
    Full,
    /// A stored page over a lowered limit: left as it is.
    KeptOverLimit,
}

struct StoreSink<'a> {
    state: &'a Core,
    source: &'a Source,
    account: AccountId,
    run: JobId,
    limit: Option<i64>,
    plan: String,
    progress: Progress,
    last_saved: Instant,
    error: Option<JobError>,
    stop: Option<Stop>,
    /// Pages over the plan's limit were left as they were.
    kept_over_limit: bool,
}

impl StoreSink<'_> {
    async fn record(&mut self, url: &Url, outcome: &PageOutcome<'_>) -> Result<(), JobError> {
        self.state
            .store
            .record_page(
                self.source,
                self.run,
                PageKind::Page,
                url.as_str(),
                outcome,
                witzo_store::now(),
            )
            .await?;
        Ok(())
    }

    /// Whether a crawled page may (still) hold knowledge under the plan.
    async fn admit(&self, url: &Url) -> Result<Admit, JobError> {
        let Some(limit) = self.limit else {
            return Ok(Admit::Yes);
        };
        let store = &self.state.store;
        if let Some(known) = store.known_page(self.source.id, url.as_str()).await? {
            return Ok(if known.over_limit.0 {
                Admit::KeptOverLimit
            } else {
                Admit::Yes
            });
        }
        Ok(
            if store.knowledge_count(self.account, PageKind::Page).await? < limit {
                Admit::Yes
            } else {
                Admit::Full
            },
        )
    }

    async fn handle(&mut self, report: PageReport) -> Result<Flow, JobError> {
        let url = report.url;
        self.progress.done += 1;
        // Found so far: grows as links are followed, never below done.
        self.progress.total = Some(
            u64::try_from(report.found)
                .unwrap_or(u64::MAX)
                .max(self.progress.done),
        );
        self.progress.current = url.to_string();
        if matches!(report.outcome, Outcome::Indexed(_) | Outcome::Unchanged) {
            match self.admit(&url).await? {
                Admit::Yes => {}
                Admit::KeptOverLimit => {
                    // Stored and answering as it was; a downgrade never
                    // deletes, and the plan no longer pays for processing.
                    self.kept_over_limit = true;
                    self.progress.skipped += 1;
                    return Ok(Flow::Continue);
                }
                Admit::Full => {
                    let limit = self.limit.unwrap_or_default();
                    let reason = format!("plan limit: {limit} pages on the {} plan", self.plan);
                    self.record(
                        &url,
                        &PageOutcome::NoKnowledge {
                            outcome: PageStatus::Skipped,
                            reason: &reason,
                        },
                    )
                    .await?;
                    self.progress.skipped += 1;
                    self.stop = Some(Stop::PlanLimit(format!(
                        "Stopped at the plan limit of {limit} pages ({} plan).",
                        self.plan
                    )));
                    return Ok(Flow::Stop);
                }
            }
        }
        match report.outcome {
            Outcome::Indexed(page) => {
                let embeddings = self.state.indexes.embeddings();
                let chunks = chunk_and_embed(embeddings, &page.title, &page.text).await?;
                let outcome = PageOutcome::Indexed {
                    title: &page.title,
                    lang: page.lang.as_deref().unwrap_or_default(),
                    text: &page.text,
                    content_hash: &page.content_hash,
                    etag: page.validators.etag.as_deref().unwrap_or_default(),
                    last_modified: page.validators.last_modified.as_deref().unwrap_or_default(),
                    model: embeddings.model_id(),
                    chunks: &chunks,
                };
                self.record(&url, &outcome).await?;
                self.progress.indexed += 1;
            }
            Outcome::Unchanged => {
                self.record(&url, &PageOutcome::Unchanged).await?;
                self.progress.unchanged += 1;
            }
            Outcome::Skipped(reason) => {
                let reason = reason.description();
                self.record(
                    &url,
                    &PageOutcome::NoKnowledge {
                        outcome: PageStatus::Skipped,
                        reason,
                    },
                )
                .await?;
                self.progress.skipped += 1;
            }
            Outcome::Failed(reason) => {
                self.record(
                    &url,
                    &PageOutcome::NoKnowledge {
                        outcome: PageStatus::Failed,
                        reason: &reason,
                    },
                )
                .await?;
                self.progress.failed += 1;
            }
        }
        if self.last_saved.elapsed() >= Duration::from_millis(500) {
            self.last_saved = Instant::now();
            let now = witzo_store::now();
            let lease = i64::try_from(self.state.config.jobs.lease_secs).unwrap_or(120);
            self.state
                .store
                .set_job_progress(self.run, &self.progress, now + lease, now)
                .await?;
            if self.state.store.job_cancel_requested(self.run).await? {
                self.stop = Some(Stop::Cancelled);
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

impl CrawlSink for StoreSink<'_> {
    async fn known(&mut self, url: &Url) -> Option<Known> {
        match self
            .state
            .store
            .known_page(self.source.id, url.as_str())
            .await
        {
            Ok(known) => known.map(|k| Known {
                validators: Validators {
                    etag: Some(k.etag).filter(|e| !e.is_empty()),
                    last_modified: Some(k.last_modified).filter(|l| !l.is_empty()),
                },
                content_hash: k.content_hash,
            }),
            Err(err) => {
                tracing::warn!(%err, "could not read what is known of a page");
                None
            }
        }
    }

    async fn outcome(&mut self, report: PageReport) -> Flow {
        match self.handle(report).await {
            Ok(flow) => flow,
            Err(err) => {
                self.error = Some(err);
                Flow::Stop
            }
        }
    }
}
