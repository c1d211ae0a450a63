//! The first crawl, as the owner follows it right after setup: pages read
//! of those found, failures with their reasons, the site refused or out of
//! reach said plainly (and why), then the preview and the snippet once the
//! first pages are in. A small script refreshes it from the JSON API.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use witzo_store::domain::WidgetId;
use witzo_store::jobs::Progress;
use witzo_store::sources::{PageRow, Source};
use witzo_store::widgets::Widget;

use super::{Layout, PageOwner, render};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;
use witzo_app::config::Environment;
use witzo_app::training::progress;
use witzo_app::widgets::service;

#[derive(Template)]
#[template(path = "app/training.html")]
struct TrainingPage {
    layout: Layout,
    widget: Widget,
    source: Option<Source>,
    running: bool,
    /// The crawl's counts (none before it starts).
    progress: Progress,
    /// Addresses found so far, never fewer than those processed.
    total: u64,
    /// Pages that failed or were skipped, with their reasons.
    failures: Vec<PageRow>,
    /// Pages holding knowledge.
    known: usize,
    /// Why nothing could be read, in plain words, once the crawl ended.
    problem: Option<String>,
    /// ` — 1:05 elapsed` once the crawl ended (while it runs, the script
    /// counts).
    elapsed: String,
    snippet: String,
    preview_token: String,
    widget_js: String,
}

/// ` — m:ss elapsed`, after the counts.
fn elapsed(secs: i64) -> String {
    format!(" — {}:{:02} elapsed", secs / 60, secs % 60)
}

/// The first crawl of a widget's website: progress, failures, then preview and snippet.
#[utoipa::path(get, path = "/app/widgets/{id}/training", tag = "pages", params(("id" = i64, Path)),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "Not one of yours", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let crawl = progress::first_crawl(&state, owner.account, widget.id).await?;
    let progress = crawl.progress();
    let development = state.config.environment == Environment::Development;
    let page = TrainingPage {
        layout: Layout::signed_in(&state, &owner, "widgets").await?,
        total: progress.shown_total(),
        progress,
        problem: crawl
            .source
            .as_ref()
            .zip(crawl.stuck.as_deref())
            .map(|(source, reason)| progress::explain(&source.url, reason, development)),
        elapsed: crawl.took_secs.map(elapsed).unwrap_or_default(),
        running: crawl.running,
        failures: crawl.failures,
        known: crawl.known,
        snippet: service::embed_snippet(&state, &widget.public_key),
        preview_token: service::preview_token(&state, &widget.public_key),
        widget_js: format!("/widget.js?v={}", state.assets.widget.hash),
        source: crawl.source,
        widget,
    };
    Ok(render(&page)?.into_response())
}
