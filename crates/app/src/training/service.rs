//! What owners do to their widgets' knowledge, shared by the JSON API and
//! the pages: add websites and documents, retrain, schedule, delete.

use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;
use utoipa::ToSchema;
use witzo_extract::{DocumentKind, ExtractError};
use witzo_ingest::{AddressClass, classify};
use witzo_store::domain::{
    AccountId, JobId, PageId, PageKind, SourceId, SourceKind, WebUrl, WidgetId,
};
use witzo_store::jobs::Task;
use witzo_store::sources::{NewWebsite, Source};

use crate::config::Environment;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::widgets::plans::{Capped, check_limit};
use witzo_store::plans::Plan;

pub const MAX_FILES: usize = 10;
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebsiteInput {
    /// Where the crawl starts (http or https).
    #[schema(schema_with = crate::fields::crawl_url)]
    pub url: String,
    /// Link depth from the start page, 0–10 (default 3).
    #[serde(default = "default_depth")]
    #[schema(maximum = 10)]
    pub max_depth: u32,
    /// Only crawl paths starting with one of these (empty: all).
    #[serde(default)]
    #[schema(schema_with = crate::fields::paths)]
    pub include_paths: Vec<String>,
    /// Never crawl paths starting with one of these.
    #[serde(default)]
    #[schema(schema_with = crate::fields::paths)]
    pub exclude_paths: Vec<String>,
    /// Re-scrape automatically every 7, 15 or 30 days (plans that allow it).
    #[serde(default)]
    #[schema(schema_with = crate::fields::rescrape_days)]
    pub rescrape_days: Option<u32>,
}

fn default_depth() -> u32 {
    3
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

/// Path prefixes, one per entry: each starts with `/`, at most 200
/// characters without control characters; at most 20. (Forms drop their
/// blank lines before.)
fn paths(field: &str, raw: &[String]) -> AppResult<String> {
    if raw.len() > 20 {
        return Err(invalid(field, format!("{field} may list at most 20 paths")));
    }
    if let Some(bad) = raw
        .iter()
        .find(|p| !p.starts_with('/') || p.chars().count() > 200 || p.chars().any(char::is_control))
    {
        return Err(invalid(
            field,
            format!("{field}: {bad:?} must be a path starting with / (at most 200 characters)"),
        ));
    }
    Ok(raw.join("\n"))
}

fn schedule(plan: &Plan, days: Option<u32>) -> AppResult<Option<i64>> {
    match days {
        None => Ok(None),
        Some(days @ (7 | 15 | 30)) if plan.features.auto_rescrape.0 => Ok(Some(i64::from(days))),
        Some(7 | 15 | 30) => Err(AppError::new(
            ErrorCode::PlanLimitAutoRescrape,
            format!(
                "Automatic re-scraping needs a paid plan; you are on the {} plan.",
                plan.name
            ),
        )
        .details(serde_json::json!({ "plan": plan.id }))),
        Some(_) => Err(invalid(
            "rescrape_days",
            "rescrape_days must be 7, 15 or 30",
        )),
    }
}

/// Refuses, at once, start URLs the crawler would refuse anyway: IP
/// literals that are not public, and ports other than 80/443 (unless the
/// development-only `crawler.allow` names them).
fn crawlable(state: &Core, url: &url::Url) -> AppResult<()> {
    let port = url.port_or_known_default().unwrap_or(0);
    let allowed = |ip: IpAddr| {
        state
            .config
            .crawler
            .allow
            .contains(&SocketAddr::new(ip, port))
    };
    let host_ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    // `localhost` names this machine too: the same hint applies.
    let hint_ip = host_ip.or_else(|| {
        url.host_str()
            .filter(|h| *h == "localhost" || h.ends_with(".localhost"))
            .map(|_| IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
    });
    let refused = |why: &str| {
        // In development the fix is a setting away: say which.
        let hint = match (state.config.environment, hint_ip) {
            (Environment::Development, Some(ip)) => format!(
                " To crawl a local test site, allow its address with crawler.allow \
                 (WITZO_CRAWLER__ALLOW='[\"{}\"]').",
                SocketAddr::new(ip, port)
            ),
            _ => String::new(),
        };
        Err(AppError::new(
            ErrorCode::UrlNotAllowed,
            format!("This address cannot be crawled: {why}.{hint}"),
        )
        .field("url"))
    };
    if let Some(ip) = host_ip
        && !allowed(ip)
        && let AddressClass::NotPublic(reason) = classify(ip)
    {
        return refused(reason);
    }
    if ![80, 443].contains(&port) && !host_ip.is_some_and(allowed) {
        return refused("only ports 80 and 443 are crawled");
    }
    Ok(())
}

async fn plan_gate(state: &Core, account: AccountId, kind: PageKind, adding: i64) -> AppResult<()> {
    let plan = state.store.account_plan(account).await?;
    let used = state.store.knowledge_count(account, kind).await?;
    let what = match kind {
        PageKind::Page => Capped::Pages,
        PageKind::Document => Capped::Documents,
    };
    check_limit(&state.store, &plan, what, used, adding).await
}

/// The website address as a crawl would start from it, or why it cannot:
/// not a web address (`validation_failed`), or one the crawler refuses
/// (`url_not_allowed`, naming `crawler.allow` in development).
pub fn check_website(state: &Core, raw: &str) -> AppResult<WebUrl> {
    let url = WebUrl::parse(raw).map_err(|e| invalid("url", format!("url {e}")))?;
    let parsed = url::Url::parse(url.as_str()).map_err(|e| invalid("url", e.to_string()))?;
    crawlable(state, &parsed)?;
    Ok(url)
}

pub async fn add_website(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
    input: &WebsiteInput,
) -> AppResult<(Source, JobId)> {
    state.store.widget_of(account, widget).await?;
    let url = check_website(state, &input.url)?;
    if input.max_depth > 10 {
        return Err(invalid("max_depth", "max_depth must be between 0 and 10"));
    }
    let include = paths("include_paths", &input.include_paths)?;
    let exclude = paths("exclude_paths", &input.exclude_paths)?;
    let plan = state.store.account_plan(account).await?;
    let rescrape = schedule(&plan, input.rescrape_days)?;
    plan_gate(state, account, PageKind::Page, 1).await?;
    let site = NewWebsite {
        url: url.as_str(),
        max_depth: i64::from(input.max_depth),
        include_paths: &include,
        exclude_paths: &exclude,
        rescrape_days: rescrape,
    };
    state
        .store
        .create_website(account, widget, &site, witzo_store::now())
        .await
        .map_err(|err| match err {
            witzo_store::StoreError::Conflict(field) => AppError::new(
                ErrorCode::Conflict,
                "This website is already a source of this widget: retrain it to read it again.",
            )
            .field(field),
            other => other.into(),
        })
}

fn file_error(name: &str, err: &ExtractError) -> AppError {
    let code = match err {
        ExtractError::TypeMismatch => ErrorCode::DocumentTypeMismatch,
        ExtractError::TooLarge => ErrorCode::PayloadTooLarge,
        _ => ErrorCode::UnsupportedDocumentType,
    };
    AppError::new(code, format!("{name}: {}", err.message())).field("files")
}

/// The file name as stored: its last path component, cleaned, ≤ 200 chars.
fn file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Checks and stores an upload (1–10 files, ≤ 10 MB each, type by magic
/// bytes and extension) and queues its extraction.
pub async fn upload_documents(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
    files: Vec<(String, Vec<u8>)>,
) -> AppResult<(JobId, Vec<(String, DocumentKind)>)> {
    state.store.widget_of(account, widget).await?;
    if files.is_empty() || files.len() > MAX_FILES {
        return Err(AppError::new(
            ErrorCode::TooManyFiles,
            format!("Upload between 1 and {MAX_FILES} files at a time."),
        )
        .field("files"));
    }
    let mut accepted = Vec::new();
    let mut stored = Vec::new();
    for (raw_name, bytes) in files {
        let name = file_name(&raw_name);
        if name.is_empty() {
            return Err(invalid("files", "every file needs a name"));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(AppError::new(
                ErrorCode::PayloadTooLarge,
                format!("{name}: files must be at most 10 MB."),
            )
            .field("files"));
        }
        let kind = witzo_extract::detect(&name, &bytes).map_err(|e| file_error(&name, &e))?;
        accepted.push((name.clone(), kind));
        stored.push((name, bytes));
    }
    plan_gate(
        state,
        account,
        PageKind::Document,
        i64::try_from(stored.len()).unwrap_or(i64::MAX),
    )
    .await?;
    let now = witzo_store::now();
    let source = state.store.documents_source(account, widget, now).await?;
    let job = state
        .store
        .add_documents(&source, account, &stored, now)
        .await?;
    Ok((job, accepted))
}

/// Retrains one source: re-crawls a website (only changed pages are
/// re-processed) or re-extracts every document.
pub async fn retrain(state: &Core, account: AccountId, id: SourceId) -> AppResult<JobId> {
    let source = state.store.source_of(account, id).await?;
    let task = if source.kind == SourceKind::Website {
        Task::Crawl(id)
    } else {
        Task::Reextract(id)
    };
    Ok(state
        .store
        .queue_source_job(account, task, witzo_store::now())
        .await?)
}

/// Retrains every source of a widget.
pub async fn retrain_all(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
) -> AppResult<Vec<JobId>> {
    state.store.widget_of(account, widget).await?;
    let mut jobs = Vec::new();
    for source in state.store.sources_of(account, widget).await? {
        jobs.push(retrain(state, account, source.id).await?);
    }
    Ok(jobs)
}

pub async fn set_schedule(
    state: &Core,
    account: AccountId,
    id: SourceId,
    days: Option<u32>,
) -> AppResult<Source> {
    let plan = state.store.account_plan(account).await?;
    let days = schedule(&plan, days)?;
    Ok(state
        .store
        .set_rescrape(account, id, days, witzo_store::now())
        .await?)
}

/// Processes one page again: fetches a website's page anew (only if it
/// changed is it re-embedded) or extracts a document again.
pub async fn retrain_page(state: &Core, account: AccountId, id: PageId) -> AppResult<JobId> {
    let page = state.store.page_text(account, id).await?;
    let task = if page.kind == PageKind::Page {
        Task::CrawlPage(page.source_id, id)
    } else {
        Task::ReextractPage(page.source_id, id)
    };
    Ok(state
        .store
        .queue_source_job(account, task, witzo_store::now())
        .await?)
}

/// Cancels a queued or running job of `account` (a running crawl stops
/// after its current page); another account's job, or one that has ended,
/// is not found.
pub async fn cancel_job(state: &Core, account: AccountId, job: JobId) -> AppResult<()> {
    Ok(state
        .store
        .cancel_job(account, job, witzo_store::now())
        .await?)
}
