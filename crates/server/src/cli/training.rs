//! `witzo ingest` and `witzo ask`: training and asking from the terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;

use crate::answers::respond;
use crate::app::{AppOptions, build_state};
use crate::config::Config;
use crate::state::AppState;
use crate::training::service::{self, WebsiteInput};
use crate::training::worker;

fn api_error(err: crate::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", err.code().as_str(), err.message())
}

/// What a widget is trained from.
pub(super) enum Material {
    /// A website crawled from `url`, `depth` links deep.
    Website { url: String, depth: u32 },
    /// Documents uploaded from these paths.
    Files(Vec<PathBuf>),
}

/// How a training job ended.
pub(super) struct Trained {
    /// `job N succeeded: 12 indexed, 0 unchanged, 1 skipped, 0 failed`.
    pub summary: String,
    /// Why the job failed, when it did.
    pub failure: Option<String>,
}

pub(super) async fn ingest(
    config: Config,
    key: &str,
    url: Option<String>,
    files: Vec<PathBuf>,
    depth: u32,
) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
    let state = build_state(config, AppOptions::default(), public_url).await?;
    let material = match url {
        Some(url) => Material::Website { url, depth },
        None => Material::Files(files),
    };
    let trained = train(&state, key, material).await;
    state.store.close().await;
    let trained = trained?;
    println!("{}", trained.summary);
    if let Some(err) = trained.failure {
        anyhow::bail!("the job failed: {err}");
    }
    Ok(())
}

/// Trains the widget whose key is `key` (what `witzo ingest` does): queues
/// the job, runs due jobs in this process until it ends (workers elsewhere
/// may take part), and shows its progress on a terminal.
pub(super) async fn train(
    state: &AppState,
    key: &str,
    material: Material,
) -> anyhow::Result<Trained> {
    let widget = state
        .store
        .widget_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let account = widget.account_id;
    let job = match material {
        Material::Website { url, depth } => {
            let input = WebsiteInput {
                url,
                max_depth: depth,
                include_paths: Vec::new(),
                exclude_paths: Vec::new(),
                rescrape_days: None,
            };
            service::add_website(state, account, widget.id, &input)
                .await
                .map_err(api_error)?
                .1
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
            service::upload_documents(state, account, widget.id, uploads)
                .await
                .map_err(api_error)?
                .0
        }
    };
    // A line redrawn in place: only where someone watches it.
    let reporter = std::io::stderr().is_terminal().then(|| {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(view) = state.store.job_of(account, job).await {
                    let p: serde_json::Value =
                        serde_json::from_str(&view.progress).unwrap_or_default();
                    let n = |k: &str| p[k].as_u64().unwrap_or(0);
                    let current: String = p["current"]
                        .as_str()
                        .unwrap_or_default()
                        .chars()
                        .take(60)
                        .collect();
                    eprint!(
                        "\r\x1b[2K[{}] {} done: {} indexed, {} unchanged, {} skipped, {} failed  {current}",
                        view.status,
                        n("done"),
                        n("indexed"),
                        n("unchanged"),
                        n("skipped"),
                        n("failed")
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        })
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
    if let Some(reporter) = reporter {
        reporter.abort();
        eprintln!();
    }
    let status = ended?;
    let p: serde_json::Value = serde_json::from_str(&status.progress).unwrap_or_default();
    let n = |k: &str| p[k].as_u64().unwrap_or(0);
    let summary = format!(
        "job {job} {}: {} indexed, {} unchanged, {} skipped, {} failed",
        status.status,
        n("indexed"),
        n("unchanged"),
        n("skipped"),
        n("failed")
    );
    let failure = (status.status == witzo_store::jobs::JobStatus::Failed)
        .then(|| status.last_error.unwrap_or_default());
    Ok(Trained { summary, failure })
}

pub(super) async fn ask(config: Config, key: &str, question: &str) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
    let state = build_state(config, AppOptions::default(), public_url).await?;
    let live = state
        .widgets
        .get(&state.store, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let prepared = respond::prepare(&state, &live, question, Vec::new()).await?;
    for (n, (passage, score)) in prepared
        .question
        .passages
        .iter()
        .zip(&prepared.scores)
        .enumerate()
    {
        eprintln!(
            "retrieved {}: score {:.3} similarity {}  {}",
            n + 1,
            score.score,
            score
                .similarity
                .map_or("-".to_owned(), |s| format!("{s:.3}")),
            passage.url.as_deref().unwrap_or(&passage.title)
        );
    }
    if let Some(figures) = prepared.retrieved {
        eprintln!(
            "relevance: coverage {:.3} similarity {}",
            figures.coverage,
            figures
                .similarity
                .map_or("-".to_owned(), |s| format!("{s:.3}"))
        );
    }
    let (answer, sources) = respond::collect(prepared.answerer.as_ref(), prepared.question).await;
    println!("{answer}");
    for (n, source) in sources.iter().enumerate() {
        println!(
            "[{}] {} {}",
            n + 1,
            source.title,
            source.url.as_deref().unwrap_or_default()
        );
    }
    state.store.close().await;
    Ok(())
}
