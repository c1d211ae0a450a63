//! `witzo ingest` and `witzo ask`: training and asking from the terminal.

use crate::answers::respond;
use std::path::PathBuf;

use anyhow::Context;

use crate::app::{AppOptions, build_state};
use crate::config::Config;
use crate::training::service::{self, WebsiteInput};
use crate::training::worker;

fn api_error(err: crate::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", err.code().as_str(), err.message())
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
    let widget = state
        .store
        .widget_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let account = widget.account_id;
    let job = match url {
        Some(url) => {
            let input = WebsiteInput {
                url,
                max_depth: depth,
                include_paths: Vec::new(),
                exclude_paths: Vec::new(),
                rescrape_days: None,
            };
            service::add_website(&state, account, widget.id, &input)
                .await
                .map_err(api_error)?
                .1
        }
        None => {
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
            service::upload_documents(&state, account, widget.id, uploads)
                .await
                .map_err(api_error)?
                .0
        }
    };
    let reporter = {
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
    };
    let status = loop {
        let view = state.store.job_of(account, job).await?;
        if matches!(view.status.as_str(), "succeeded" | "failed" | "cancelled") {
            break view;
        }
        if !worker::run_next(&state).await? {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    reporter.abort();
    eprintln!();
    let p: serde_json::Value = serde_json::from_str(&status.progress).unwrap_or_default();
    let n = |k: &str| p[k].as_u64().unwrap_or(0);
    println!(
        "job {job} {}: {} indexed, {} unchanged, {} skipped, {} failed",
        status.status,
        n("indexed"),
        n("unchanged"),
        n("skipped"),
        n("failed")
    );
    state.store.close().await;
    if status.status == "failed" {
        anyhow::bail!("the job failed: {}", status.last_error.unwrap_or_default());
    }
    Ok(())
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
