//! Data sources pages: add a website or documents to a widget, follow the
//! job's progress, read every page's outcome, retrain, schedule, delete.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::domain::{PageId, SourceId, WidgetId};
use witzo_store::sources::{JobView, PageRow, Source};
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiForm, ApiMultipart, ApiPath, ApiQuery, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::format;
use witzo_app::training::service::{self, WebsiteInput};

fn notice_text(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "queued" => Some("Queued. Progress shows below; pages appear as they are processed."),
        "retrain" => Some("Retraining is queued."),
        "retrain_all" => Some("Retraining of every source is queued."),
        "cancelled" => Some("Cancelling: a running crawl stops after its current page."),
        "page_queued" => Some("The page will be fetched again."),
        "document_queued" => Some("The document will be extracted again."),
        "deleted" => Some("Deleted. Its knowledge no longer answers."),
        "scheduled" => Some("The schedule is saved."),
        _ => None,
    }
}

/// A source with its newest job, for the lists.
pub struct SourceLine {
    pub source: Source,
    pub job: Option<JobView>,
    pub progress: String,
}

fn progress_text(job: Option<&JobView>) -> String {
    let Some(job) = job else {
        return String::new();
    };
    let p = &job.progress;
    // `3 of 5 processed` when a total is known (documents, or addresses found).
    let done = match p.total.unwrap_or(0) {
        0 => p.done.to_string(),
        _ => format!("{} of {}", p.done, p.shown_total()),
    };
    format!(
        "{}: {done} processed — {} indexed, {} unchanged, {} skipped, {} failed",
        job.status, p.indexed, p.unchanged, p.skipped, p.failed
    )
}

async fn lines_of(
    state: &AppState,
    owner: &OwnerSession,
    widget: WidgetId,
) -> ApiResult<Vec<SourceLine>> {
    let mut lines = Vec::new();
    for source in state.store.sources_of(owner.account, widget).await? {
        let job = state.store.latest_job(source.id).await?;
        lines.push(SourceLine {
            progress: progress_text(job.as_ref()),
            source,
            job,
        });
    }
    Ok(lines)
}

#[derive(Template)]
#[template(path = "app/sources.html")]
struct SourcesPage {
    layout: Layout,
    widget: Widget,
    sources: Vec<SourceLine>,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

async fn sources_page(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let page = SourcesPage {
        layout: Layout::signed_in(state, owner, "sources").await?,
        sources: lines_of(state, owner, widget.id).await?,
        widget,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "app/sources_index.html")]
struct IndexPage {
    layout: Layout,
    widgets: Vec<Widget>,
}

/// Data sources: the widgets whose knowledge can be managed.
#[utoipa::path(get, path = "/app/sources", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn index(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
) -> ApiResult<Response> {
    let widgets = state.store.widgets_of(owner.account).await?;
    if let [only] = widgets.as_slice() {
        return Ok(redirect(&format!("/app/widgets/{}/sources", only.id), []));
    }
    let page = IndexPage {
        layout: Layout::signed_in(&state, &owner, "sources").await?,
        widgets,
    };
    Ok(render(&page)?.into_response())
}

/// A widget's data sources.
#[utoipa::path(get, path = "/app/widgets/{id}/sources", tag = "pages", params(("id" = i64, Path), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn widget_sources(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    sources_page(
        &state,
        &owner,
        widget,
        notice_text(q.notice.as_deref()),
        None,
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebsiteForm {
    #[schema(schema_with = witzo_app::fields::crawl_url)]
    url: String,
    #[schema(schema_with = witzo_app::fields::max_depth_text)]
    max_depth: String,
    #[schema(schema_with = witzo_app::fields::path_lines)]
    include_paths: String,
    #[schema(schema_with = witzo_app::fields::path_lines)]
    exclude_paths: String,
    #[schema(schema_with = witzo_app::fields::rescrape_days_text)]
    rescrape_days: String,
    csrf_token: String,
}

/// The re-scrape choice of a form: empty for never, else 7, 15 or 30.
fn rescrape_days(raw: &str) -> ApiResult<Option<u32>> {
    match raw {
        "" => Ok(None),
        "7" => Ok(Some(7)),
        "15" => Ok(Some(15)),
        "30" => Ok(Some(30)),
        _ => Err(ApiError::new(
            crate::error::ErrorCode::ValidationFailed,
            "rescrape_days must be 7, 15 or 30, or empty",
        )
        .field("rescrape_days")),
    }
}

/// Adds a website.
#[utoipa::path(post, path = "/app/widgets/{id}/sources", tag = "pages", params(("id" = i64, Path)),
    request_body(content = WebsiteForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued"),
        (status = 403, description = "The page with `plan_limit_pages` or `plan_limit_auto_rescrape`", content_type = "text/html"),
        (status = 409, description = "The page with `conflict`: the widget already has this website", content_type = "text/html"),
        (status = 422, description = "The page with the error, `url_not_allowed` for an address the crawler refuses", content_type = "text/html")))]
pub async fn add_website(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<WebsiteForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let widget = state.store.widget_of(owner.account, id).await?;
    let rescrape = match rescrape_days(&form.rescrape_days) {
        Ok(days) => days,
        Err(err) => return fail(&state, &owner, widget, err).await,
    };
    let input = WebsiteInput {
        url: form.url,
        max_depth: form.max_depth.trim().parse().unwrap_or(99),
        include_paths: format::lines(&form.include_paths),
        exclude_paths: format::lines(&form.exclude_paths),
        rescrape_days: rescrape,
    };
    match service::add_website(&state, owner.account, widget.id, &input).await {
        Ok(_) => Ok(redirect(
            &format!("/app/widgets/{}/sources?notice=queued", widget.id),
            [],
        )),
        Err(err) => fail(&state, &owner, widget, err.into()).await,
    }
}

/// The widget's Sources page showing why a website could not be added.
pub async fn render_failure(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    err: ApiError,
) -> ApiResult<Response> {
    fail(state, owner, widget, err).await
}

async fn fail(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    err: ApiError,
) -> ApiResult<Response> {
    if !err.code().is_client_error() {
        return Err(err);
    }
    let page = sources_page(state, owner, widget, None, Some(Alert::from(&err))).await?;
    Ok(with_status(page, &err))
}

/// Uploads documents (multipart; the CSRF token travels in the action URL).
#[utoipa::path(post, path = "/app/widgets/{id}/documents", tag = "pages", params(("id" = i64, Path), ("csrf_token" = Option<String>, Query, description = "The CSRF token, when no `X-CSRF-Token` header is sent (HTML forms)")),
    request_body(content = crate::routes::sources::DocumentsUpload, content_type = "multipart/form-data"),
    responses((status = 303, description = "Queued"),
        (status = 403, description = "The page with `plan_limit_documents`", content_type = "text/html"),
        (status = 413, description = "The page with `payload_too_large`: a file over 10 MB", content_type = "text/html"),
        (status = 415, description = "The page with `unsupported_document_type` or `document_type_mismatch`", content_type = "text/html"),
        (status = 422, description = "The page with `too_many_files`", content_type = "text/html")))]
pub async fn upload(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let result = match crate::extract::multipart::documents(multipart).await {
        Ok(files) => service::upload_documents(&state, owner.account, widget.id, files)
            .await
            .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(redirect(
            &format!("/app/widgets/{}/sources?notice=queued", widget.id),
            [],
        )),
        Err(err) => fail(&state, &owner, widget, err).await,
    }
}

#[derive(Template)]
#[template(path = "app/source.html")]
struct SourcePage {
    layout: Layout,
    line: SourceLine,
    pages: Vec<(PageRow, String)>,
    notice: Option<&'static str>,
    active_job: Option<i64>,
}

/// One source: progress, pages and their outcomes, retrain, schedule, delete.
#[utoipa::path(get, path = "/app/sources/{id}", tag = "pages", params(("id" = i64, Path), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn source(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<SourceId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let source = state.store.source_of(owner.account, id).await?;
    let job = state.store.latest_job(source.id).await?;
    let pages = state.store.pages_of(owner.account, source.id).await?;
    let active_job = job.as_ref().filter(|j| !j.status.ended()).map(|j| j.id);
    let page = SourcePage {
        layout: Layout::signed_in(&state, &owner, "sources").await?,
        line: SourceLine {
            progress: progress_text(job.as_ref()),
            source,
            job,
        },
        pages: pages
            .into_iter()
            .map(|p| {
                let at = format::utc_minute(p.updated_at);
                (p, at)
            })
            .collect(),
        notice: notice_text(q.notice.as_deref()),
        active_job,
    };
    Ok(render(&page)?.into_response())
}

/// Retrains the source.
#[utoipa::path(post, path = "/app/sources/{id}/retrain", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued")))]
pub async fn retrain(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<SourceId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    service::retrain(&state, owner.account, id).await?;
    Ok(redirect(&format!("/app/sources/{id}?notice=retrain"), []))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleForm {
    /// 7, 15, 30, or empty for never.
    #[schema(schema_with = witzo_app::fields::rescrape_days_text)]
    rescrape_days: String,
    csrf_token: String,
}

/// Sets the automatic re-scrape.
#[utoipa::path(post, path = "/app/sources/{id}/schedule", tag = "pages", params(("id" = i64, Path)),
    request_body(content = ScheduleForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"),
        (status = 403, description = "The page with `plan_limit_auto_rescrape`", content_type = "text/html")))]
pub async fn schedule(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<SourceId>,
    ApiForm(form): ApiForm<ScheduleForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let days = rescrape_days(&form.rescrape_days)?;
    service::set_schedule(&state, owner.account, id, days).await?;
    Ok(redirect(&format!("/app/sources/{id}?notice=scheduled"), []))
}

/// Deletes the source.
#[utoipa::path(post, path = "/app/sources/{id}/delete", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<SourceId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let source = state.store.source_of(owner.account, id).await?;
    state.store.delete_source(owner.account, source.id).await?;
    Ok(redirect(
        &format!("/app/widgets/{}/sources?notice=deleted", source.widget_id),
        [],
    ))
}

/// Deletes one page or document.
#[utoipa::path(post, path = "/app/pages/{id}/delete", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted")))]
pub async fn delete_page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<PageId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    state.store.delete_page(owner.account, id).await?;
    Ok(redirect("/app/sources?notice=deleted", []))
}
