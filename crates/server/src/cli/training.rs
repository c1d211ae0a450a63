//! `witzo ingest` and `witzo ask`: training and asking from the terminal.
//! The job's outcome and the answer are the results (standard output, or
//! JSON with `--json`); progress and retrieval details go to standard error.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use witzo_store::domain::WidgetKey;
use witzo_store::jobs::{JobStatus, Progress, Stage};

use super::output::Format;
use crate::app::build_core;
use witzo_app::answers::respond;
use witzo_app::config::{Config, Environment};
use witzo_app::core::Core;
use witzo_app::training::service::{self, WebsiteInput};
use witzo_app::training::{progress, worker};

fn api_error(err: witzo_app::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", err.code().as_str(), err.message())
}

/// What a widget is trained from.
pub(super) enum Material {
    /// A website crawled from `url`, `depth` links deep.
    Website { url: String, depth: u32 },
    /// Documents uploaded from these paths.
    Files(Vec<PathBuf>),
}

/// How a training job ended: `ingest --json` prints it.
#[derive(Debug, Serialize)]
pub(super) struct Trained {
    pub job: i64,
    /// `succeeded`, `failed` or `cancelled`.
    pub status: JobStatus,
    /// Pages or documents whose knowledge was (re)built.
    pub indexed: u64,
    /// Pages unchanged since the last crawl.
    pub unchanged: u64,
    /// Pages skipped (not HTML, robots.txt, over the plan's limit…).
    pub skipped: u64,
    pub failed: u64,
    /// Why the job failed, when it did.
    pub error: Option<String>,
    /// Why a website gave no page at all, in the dashboard's words (with
    /// the `crawler.allow` hint for a local site in development).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Trained {
    /// `job N succeeded: 12 indexed, 0 unchanged, 1 skipped, 0 failed`.
    pub fn summary(&self) -> String {
        format!(
            "job {} {}: {} indexed, {} unchanged, {} skipped, {} failed",
            self.job, self.status, self.indexed, self.unchanged, self.skipped, self.failed
        )
    }
}

/// `[00:00:12] ███████░░░ 7/10 pages · 6 indexed, 0 unchanged, 0 skipped, 1 failed · /about`
const BAR_TEMPLATE: &str = "[{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}";

/// What the progress bar shows of a job's stored progress.
#[derive(Debug, PartialEq, Eq)]
struct Shown {
    done: u64,
    /// Pages found so far (documents: all of them); never below `done`.
    total: u64,
    message: String,
}

impl Shown {
    fn of(status: JobStatus, p: &Progress) -> Self {
        let what = match p.stage {
            Stage::Extracting => "documents",
            Stage::Crawling | Stage::Done => "pages",
        };
        let current: String = p.current.chars().take(50).collect();
        let mut message = format!(
            "{what} · {} indexed, {} unchanged, {} skipped, {} failed",
            p.indexed, p.unchanged, p.skipped, p.failed
        );
        if status == JobStatus::Queued {
            message.push_str(" · queued");
        } else if !current.is_empty() {
            message.push_str(" · ");
            message.push_str(&current);
        }
        Self {
            done: p.done,
            total: p.shown_total(),
            message,
        }
    }
}

/// `ask --json`: the answer and its numbered sources, as `POST /v1/chat`
/// gives them.
#[derive(Serialize)]
struct Answered {
    answer: String,
    sources: Vec<witzo_retrieval::Source>,
}

pub(super) async fn ingest(
    config: Config,
    key: &str,
    url: Option<String>,
    files: Vec<PathBuf>,
    depth: u32,
    format: Format,
) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
    let state = build_core(config, None, public_url).await?;
    let material = match url {
        Some(url) => Material::Website { url, depth },
        None => Material::Files(files),
    };
    let trained = train(&state, key, material).await;
    state.store.close().await;
    let trained = trained?;
    format.print(&trained, |t| format!("{}\n", t.summary()))?;
    if let Some(problem) = &trained.problem {
        anyhow::bail!("{problem}");
    }
    match (trained.status, &trained.error) {
        (JobStatus::Succeeded, _) => Ok(()),
        (_, Some(err)) => anyhow::bail!("the job failed: {err}"),
        (status, None) => anyhow::bail!("the job ended {status}"),
    }
}

/// Trains the widget whose key is `key` (what `witzo ingest` does): queues
/// the job, runs due jobs in this process until it ends (workers elsewhere
/// may take part), and shows its progress on a terminal.
pub(super) async fn train(state: &Core, key: &str, material: Material) -> anyhow::Result<Trained> {
    let key = widget_key(key)?;
    let widget = state
        .store
        .widget_by_key(&key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let account = widget.account_id;
    let (job, website) = match material {
        Material::Website { url, depth } => {
            // A website that is already a source is re-scraped, not added twice.
            if let Some(existing) = website_source(state, &widget, &url).await? {
                let job = service::retrain(state, account, existing.id)
                    .await
                    .map_err(api_error)?;
                (job, Some(existing))
            } else {
                let input = WebsiteInput {
                    url,
                    max_depth: depth,
                    include_paths: Vec::new(),
                    exclude_paths: Vec::new(),
                    rescrape_days: None,
                };
                let (source, job) = service::add_website(state, account, widget.id, &input)
                    .await
                    .map_err(api_error)?;
                (job, Some(source))
            }
        }
        Material::Files(files) => {
            let mut uploads = Vec::new();
            for path in &files {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                uploads.push((
                    name,
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                ));
            }
            let job = service::upload_documents(state, account, widget.id, uploads)
                .await
                .map_err(api_error)?
                .0;
            (job, None)
        }
    };
    // A progress bar: only where someone watches it (log lines step around it).
    let reporter = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(BAR_TEMPLATE)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        crate::telemetry::progress_bar(Some(bar.clone()));
        let state = state.clone();
        let drawn = bar.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Ok(view) = state.store.job_of(account, job).await {
                    let shown = Shown::of(view.status, &view.progress);
                    drawn.set_length(shown.total);
                    drawn.set_position(shown.done);
                    drawn.set_message(shown.message);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        });
        (bar, task)
    });
    let ended = loop {
        let view = match state.store.job_of(account, job).await {
            Ok(view) => view,
            Err(err) => break Err(err),
        };
        if view.status.ended() {
            break Ok(view);
        }
        match worker::run_next(state).await {
            Ok(true) => {}
            Ok(false) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            Err(err) => break Err(err),
        }
    };
    if let Some((bar, task)) = reporter {
        task.abort();
        // The outcome follows on stdout; the bar goes.
        crate::telemetry::progress_bar(None);
        bar.finish_and_clear();
    }
    let status = ended?;
    let p = &status.progress;
    let problem = match website {
        Some(source) if p.indexed + p.unchanged == 0 => {
            let url = source.url.clone();
            let crawl = progress::crawl_of(state, account, Some(source))
                .await
                .map_err(api_error)?;
            let development = state.config.environment == Environment::Development;
            crawl
                .stuck
                .map(|reason| progress::explain(&url, &reason, development))
        }
        _ => None,
    };
    Ok(Trained {
        problem,
        job: job.get(),
        indexed: p.indexed,
        unchanged: p.unchanged,
        skipped: p.skipped,
        failed: p.failed,
        error: (status.status == JobStatus::Failed).then(|| status.last_error.unwrap_or_default()),
        status: status.status,
    })
}

pub(super) async fn ask(
    config: Config,
    key: &str,
    question: &str,
    format: Format,
) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
    let state = build_core(config, None, public_url).await?;
    let answered = answer(&state, key, question).await;
    state.store.close().await;
    format.print(&answered?, |a| {
        let mut text = format!("{}\n", a.answer);
        for (n, source) in a.sources.iter().enumerate() {
            let url = source.url.as_deref().map(|u| format!(" {u}"));
            text.push_str(&format!(
                "[{}] {}{}\n",
                n + 1,
                source.title,
                url.unwrap_or_default()
            ));
        }
        text
    })
}

/// The widget's website source that starts at `url`, if there is one.
async fn website_source(
    state: &Core,
    widget: &witzo_store::widgets::Widget,
    url: &str,
) -> anyhow::Result<Option<witzo_store::sources::Source>> {
    let Ok(url) = witzo_store::domain::WebUrl::parse(url) else {
        return Ok(None);
    };
    let sources = state.store.sources_of(widget.account_id, widget.id).await?;
    Ok(sources
        .into_iter()
        .find(|s| s.kind == witzo_store::domain::SourceKind::Website && s.url == url.as_str()))
}

fn widget_key(raw: &str) -> anyhow::Result<WidgetKey> {
    WidgetKey::parse(raw).map_err(|e| anyhow::anyhow!("{raw:?} {e}"))
}

/// Answers `question` as the widget would, logging what was retrieved.
async fn answer(state: &Core, key: &str, question: &str) -> anyhow::Result<Answered> {
    let key = widget_key(key)?;
    let widget = state
        .widgets
        .get(&state.store, &key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let prepared = respond::prepare(
        state,
        &widget.live,
        widget.knowledge_version,
        question,
        Vec::new(),
    )
    .await?;
    for (n, (passage, score)) in prepared
        .question
        .passages
        .iter()
        .zip(&prepared.scores)
        .enumerate()
    {
        tracing::info!(
            rank = n + 1,
            score = format!("{:.3}", score.score),
            similarity = score
                .similarity
                .map_or("-".to_owned(), |s| format!("{s:.3}")),
            source = passage.url.as_deref().unwrap_or(&passage.title),
            "retrieved"
        );
    }
    if let Some(figures) = prepared.retrieved {
        tracing::info!(
            coverage = format!("{:.3}", figures.coverage),
            similarity = figures
                .similarity
                .map_or("-".to_owned(), |s| format!("{s:.3}")),
            "relevance"
        );
    }
    let (answer, sources) = respond::collect(prepared.answerer.as_ref(), prepared.question).await;
    Ok(Answered { answer, sources })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_pages_done_of_found_failures_and_the_current_page() {
        let stored = r#"{"stage":"crawling","done":7,"total":10,"indexed":5,"unchanged":0,"skipped":1,"failed":1,"current":"http://127.0.0.1:8000/about"}"#;
        let shown = Shown::of(JobStatus::Running, &Progress::from(stored.to_owned()));
        assert_eq!(
            shown,
            Shown {
                done: 7,
                total: 10,
                message: "pages · 5 indexed, 0 unchanged, 1 skipped, 1 failed · http://127.0.0.1:8000/about".to_owned(),
            }
        );
    }

    #[test]
    fn a_total_below_done_or_missing_progress_never_shows_more_done_than_total() {
        let shown = Shown::of(JobStatus::Queued, &Progress::from("{}".to_owned()));
        assert_eq!((shown.done, shown.total), (0, 0));
        assert_eq!(
            shown.message,
            "pages · 0 indexed, 0 unchanged, 0 skipped, 0 failed · queued"
        );
        let stored = r#"{"stage":"extracting","done":3,"total":2}"#.to_owned();
        let shown = Shown::of(JobStatus::Running, &Progress::from(stored));
        assert_eq!((shown.done, shown.total), (3, 3));
        assert!(
            shown.message.starts_with("documents · "),
            "{}",
            shown.message
        );
    }
}
