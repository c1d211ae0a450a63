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

impl FirstCrawl {
    /// The crawl's counts so far (none before it starts).
    pub fn progress(&self) -> witzo_store::jobs::Progress {
        self.job
            .as_ref()
            .map(|job| job.progress.clone())
            .unwrap_or_default()
    }
}

/// How the crawl of the widget's newest website stands: the page that
/// follows setup.
pub async fn first_crawl(
    core: &Core,
    account: AccountId,
    widget: WidgetId,
) -> AppResult<FirstCrawl> {
    let source = core
        .store
        .sources_of(account, widget)
        .await?
        .into_iter()
        .filter(|s| s.kind == SourceKind::Website)
        .max_by_key(|s| s.id.get());
    crawl_of(core, account, source).await
}

/// How the newest crawl of `source` stands.
pub async fn crawl_of(
    core: &Core,
    account: AccountId,
    source: Option<Source>,
) -> AppResult<FirstCrawl> {
    let store = &core.store;
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

/// Why a site gave no page, from the first page's reason, in words an
/// owner can act on (in development, with the `crawler.allow` setting that
/// would let a local test site be read).
pub fn explain(url: &str, reason: &str, development: bool) -> String {
    let port = url::Url::parse(url)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .unwrap_or(80);
    let allow_hint = if development {
        format!(
            " For a local test site, allow its address with crawler.allow, e.g. \
             WITZO_CRAWLER__ALLOW='[\"127.0.0.1:{port}\"]', and restart the server."
        )
    } else {
        String::new()
    };
    if let Some(range) = reason.strip_prefix("refused address") {
        let range = range.trim().trim_start_matches('(').trim_end_matches(')');
        format!(
            "Witzo refused to read {url}: it leads to a local or private network address \
             ({range}), which the crawler never visits.{allow_hint}"
        )
    } else if reason.starts_with("port ") {
        format!("Witzo refused to read {url}: only ports 80 and 443 are crawled.{allow_hint}")
    } else if reason.starts_with("DNS lookup failed") {
        format!(
            "Witzo could not find {url}: its name does not resolve (DNS lookup failed). Check the address for typos."
        )
    } else if reason == "timed out" || reason.starts_with("network error") {
        format!(
            "Witzo could not reach {url} ({reason}). Is the site online and reachable from the internet?"
        )
    } else if reason.is_empty() {
        format!("Witzo could not read any page of {url}.")
    } else {
        format!("Witzo could not read any page of {url}: {reason}.")
    }
}
