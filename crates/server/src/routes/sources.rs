//! Knowledge sources (JSON API): add a website or documents, follow the
//! job, list pages with outcomes, retrain, schedule, delete. Work answers
//! `202` with the job's id; every finder takes the owner.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::domain::{JobId, PageId, SourceId, WidgetId};
use witzo_store::sources::{JobView, PageRow, PageText, Source};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::multipart;
use crate::extract::{ApiJson, ApiMultipart, ApiPath, Owner, OwnerSession};
use crate::state::AppState;
use witzo_app::training::service::{self, WebsiteInput};

#[derive(Serialize, ToSchema)]
pub struct Queued {
    source: Option<Source>,
    job_id: i64,
}

/// Adds a website to a widget and queues its crawl.
#[utoipa::path(post, path = "/api/widgets/{id}/sources", tag = "sources", params(("id" = i64, Path)), request_body = WebsiteInput,
    responses((status = 202, body = Queued),
        (status = 403, description = "Over the plan: `plan_limit_pages`, `plan_limit_auto_rescrape`"),
        (status = 409, description = "`conflict` (field `url`): the widget already has this website as a source"),
        (status = 422, description = "`url_not_allowed`: an IP address that is not public, or a port other than 80 and 443")))]
pub async fn add_website(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiJson(input): ApiJson<WebsiteInput>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    owner.reach(id)?;
    let (source, job) = service::add_website(&state, owner.account, id, &input).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            source: Some(source),
            job_id: job.get(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    job_id: i64,
    /// The accepted files' names.
    files: Vec<String>,
}

/// A document upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentsUpload {
    /// PDF, DOC, DOCX, XLS, XLSX, CSV, TXT or MD files, each with a name,
    /// at most 10 MB each.
    #[schema(schema_with = witzo_app::fields::files)]
    files: Vec<Vec<u8>>,
}

/// Uploads documents (multipart `files`: PDF, DOC, DOCX, XLS, XLSX, CSV,
/// TXT, MD; ≤ 10 files, ≤ 10 MB each) and queues their extraction.
#[utoipa::path(post, path = "/api/widgets/{id}/documents", tag = "sources", params(("id" = i64, Path)),
    request_body(content = DocumentsUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = Uploaded), (status = 403, description = "`plan_limit_documents`"),
        (status = 413, description = "`payload_too_large`: a file over 10 MB"),
        (status = 415, description = "`unsupported_document_type`, `document_type_mismatch`"),
        (status = 422, description = "`too_many_files`: none, or more than 10")))]
pub async fn upload(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    let widget = id;
    owner.reach(widget)?;
    state.store.widget_of(owner.account, widget).await?;
    let files = multipart::documents(multipart).await?;
    let (job, accepted) = service::upload_documents(&state, owner.account, widget, files).await?;
    let files = accepted.into_iter().map(|(name, _)| name).collect();
    Ok((
        StatusCode::ACCEPTED,
        Json(Uploaded {
            job_id: job.get(),
            files,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SourceWithJob {
    source: Source,
    /// The newest job working on it.
    job: Option<JobView>,
}

/// A widget's sources with their newest jobs.
#[utoipa::path(get, path = "/api/widgets/{id}/sources", tag = "sources", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SourceWithJob>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<Vec<SourceWithJob>>> {
    owner.reach(id)?;
    let widget = state.store.widget_of(owner.account, id).await?;
    let mut views = Vec::new();
    for source in state.store.sources_of(owner.account, widget.id).await? {
        let job = state.store.latest_job(source.id).await?;
        views.push(SourceWithJob { source, job });
    }
    Ok(Json(views))
}

#[derive(Serialize, ToSchema)]
pub struct SourceDetail {
    source: Source,
    job: Option<JobView>,
    /// Every page or document with its outcome and reason.
    pages: Vec<PageRow>,
}

/// One source with its pages (or documents) and their outcomes.
#[utoipa::path(get, path = "/api/sources/{id}", tag = "sources", params(("id" = i64, Path)),
    responses((status = 200, body = SourceDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<SourceId>,
) -> ApiResult<Json<SourceDetail>> {
    let source = state.store.source_of(owner.account, id).await?;
    owner.reach(source.widget_id)?;
    let job = state.store.latest_job(source.id).await?;
    let pages = state.store.pages_of(owner.account, source.id).await?;
    Ok(Json(SourceDetail { source, job, pages }))
}

/// Retrains a source: re-crawls (changed pages only) or re-extracts.
#[utoipa::path(post, path = "/api/sources/{id}/retrain", tag = "sources", params(("id" = i64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = ErrorBody)))]
pub async fn retrain(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<SourceId>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    reach_source(&state, &owner, id).await?;
    let job = service::retrain(&state, owner.account, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            source: None,
            job_id: job.get(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct QueuedMany {
    job_ids: Vec<i64>,
}

/// Retrains every source of a widget.
#[utoipa::path(post, path = "/api/widgets/{id}/retrain", tag = "sources", params(("id" = i64, Path)),
    responses((status = 202, body = QueuedMany), (status = 404, body = ErrorBody)))]
pub async fn retrain_all(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<(StatusCode, Json<QueuedMany>)> {
    owner.reach(id)?;
    let jobs = service::retrain_all(&state, owner.account, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedMany {
            job_ids: jobs.into_iter().map(JobId::get).collect(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// 7, 15 or 30, or null for never.
    #[schema(schema_with = witzo_app::fields::rescrape_days)]
    rescrape_days: Option<u32>,
}

/// Sets a website's automatic re-scrape.
#[utoipa::path(put, path = "/api/sources/{id}/schedule", tag = "sources", params(("id" = i64, Path)), request_body = ScheduleInput,
    responses((status = 200, body = Source),
        (status = 403, description = "`plan_limit_auto_rescrape`: automatic re-scrapes need a paid plan")))]
pub async fn schedule(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<SourceId>,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> ApiResult<Json<Source>> {
    Ok(Json(
        service::set_schedule(&state, owner.account, id, input.rescrape_days).await?,
    ))
}

/// Deletes a source; its knowledge leaves answers at once.
#[utoipa::path(delete, path = "/api/sources/{id}", tag = "sources", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<SourceId>,
) -> ApiResult<StatusCode> {
    state.store.delete_source(owner.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one page or document; its knowledge leaves answers at once.
#[utoipa::path(delete, path = "/api/pages/{id}", tag = "sources", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete_page(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<PageId>,
) -> ApiResult<StatusCode> {
    state.store.delete_page(owner.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A job's status and progress (stage, pages done, current URL).
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "sources", params(("id" = i64, Path)),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<Json<JobView>> {
    if owner.widget.is_some() {
        let source = state.store.job_source_of(owner.account, id).await?;
        reach_source(&state, &owner, source).await?;
    }
    Ok(Json(state.store.job_of(owner.account, id).await?))
}

/// Cancels a queued or running job (a running crawl stops after its current page).
#[utoipa::path(post, path = "/api/jobs/{id}/cancel", tag = "sources", params(("id" = i64, Path)),
    responses((status = 204, description = "Cancelling"), (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<StatusCode> {
    service::cancel_job(&state, owner.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Processes one page or document again: a website's page is fetched anew
/// (re-embedded only if it changed), a document extracted again.
#[utoipa::path(post, path = "/api/pages/{id}/retrain", tag = "sources", params(("id" = i64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = ErrorBody)))]
pub async fn retrain_page(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<PageId>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    let job = service::retrain_page(&state, owner.account, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            source: None,
            job_id: job.get(),
        }),
    ))
}

/// One page or document with the text extracted from it and its length.
#[utoipa::path(get, path = "/api/pages/{id}", tag = "sources", params(("id" = i64, Path)),
    responses((status = 200, body = PageText), (status = 404, body = ErrorBody)))]
pub async fn page_text(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<PageId>,
) -> ApiResult<Json<PageText>> {
    Ok(Json(state.store.page_text(owner.account, id).await?))
}

/// `404` unless the caller may reach the source's widget (a key
/// restricted to one widget); one lookup only for such keys.
async fn reach_source(state: &AppState, owner: &Owner, id: SourceId) -> ApiResult<()> {
    if owner.widget.is_some() {
        let source = state.store.source_of(owner.account, id).await?;
        owner.reach(source.widget_id)?;
    }
    Ok(())
}
