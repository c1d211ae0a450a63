//! Knowledge buttons of the dashboard: retrain every source of a widget,
//! cancel a job, process one page or document again, and read the text
//! extracted from one. Each calls the service the JSON API calls.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use witzo_store::domain::{JobId, PageId, WidgetId};
use witzo_store::sources::PageText;

use super::{CsrfForm, Layout, PageOwner, render};
use crate::error::ApiResult;
use crate::extract::{ApiForm, ApiPath};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::training::service;

/// Retrains every source of a widget.
#[utoipa::path(post, path = "/app/widgets/{id}/retrain", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued; to the widget's sources"),
        (status = 404, description = "Not one of yours", content_type = "text/html")))]
pub async fn retrain_all(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(widget): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    service::retrain_all(&state, owner.account, widget).await?;
    Ok(redirect(
        &format!("/app/widgets/{widget}/sources?notice=retrain_all"),
        [],
    ))
}

/// Cancels a queued or running job.
#[utoipa::path(post, path = "/app/jobs/{id}/cancel", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Cancelling; to the job's source"),
        (status = 404, description = "Not one of yours, or already ended", content_type = "text/html")))]
pub async fn cancel_job(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(job): ApiPath<JobId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let source = state.store.job_source_of(owner.account, job).await?;
    service::cancel_job(&state, owner.account, job).await?;
    Ok(redirect(
        &format!("/app/sources/{source}?notice=cancelled"),
        [],
    ))
}

/// Processes one page or document again.
#[utoipa::path(post, path = "/app/pages/{id}/retrain", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued; to its source"),
        (status = 404, description = "Not one of yours", content_type = "text/html")))]
pub async fn retrain_page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<PageId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let page = state.store.page_text(owner.account, id).await?;
    service::retrain_page(&state, owner.account, id).await?;
    let notice = if page.kind == witzo_store::domain::PageKind::Page {
        "page_queued"
    } else {
        "document_queued"
    };
    Ok(redirect(
        &format!("/app/sources/{}?notice={notice}", page.source_id),
        [],
    ))
}

#[derive(Template)]
#[template(path = "app/page_text.html")]
struct TextPage {
    layout: Layout,
    page: PageText,
}

/// The text extracted from one page or document, with its length.
#[utoipa::path(get, path = "/app/pages/{id}", tag = "pages", params(("id" = i64, Path)),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "Not one of yours", content_type = "text/html")))]
pub async fn page_text(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<PageId>,
) -> ApiResult<Response> {
    let page = state.store.page_text(owner.account, id).await?;
    let page = TextPage {
        layout: Layout::signed_in(&state, &owner, "sources").await?,
        page,
    };
    Ok(render(&page)?.into_response())
}
