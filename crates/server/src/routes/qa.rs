//! Q&A pairs (JSON API): the owner's corrections of a widget's answers,
//! listed, added, edited, deleted, exported and imported as CSV. Every
//! finder takes the owner; another account's widget or pair is 404.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use witzo_store::domain::{QaId, WidgetId};
use witzo_store::qa::QaPair;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiMultipart, ApiPath, Owner, OwnerSession, multipart};
use crate::state::AppState;
use witzo_app::qa::{self, Imported, QaInput};

/// A widget's Q&A pairs, oldest first.
#[utoipa::path(get, path = "/api/widgets/{id}/qa", tag = "qa", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<QaPair>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Json<Vec<QaPair>>> {
    owner.reach(id)?;
    let widget = state.store.widget_of(owner.account, id).await?;
    Ok(Json(state.store.qa_of(owner.account, widget.id).await?))
}

/// Adds a pair: visitors asking this question (or a paraphrase) get the
/// answer verbatim. Pairs count against the plan's document limit.
#[utoipa::path(post, path = "/api/widgets/{id}/qa", tag = "qa", params(("id" = i64, Path)), request_body = QaInput,
    responses((status = 201, body = QaPair), (status = 403, description = "`plan_limit_documents`", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiJson(input): ApiJson<QaInput>,
) -> ApiResult<(StatusCode, Json<QaPair>)> {
    owner.reach(id)?;
    let pair = input.parse()?;
    let added = qa::add(&state, owner.account, id, &pair).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Rewrites a pair.
#[utoipa::path(put, path = "/api/widgets/{id}/qa/{qa_id}", tag = "qa", params(("id" = i64, Path), ("qa_id" = i64, Path)),
    request_body = QaInput,
    responses((status = 200, body = QaPair), (status = 404, body = ErrorBody), (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath((id, qa_id)): ApiPath<(WidgetId, QaId)>,
    ApiJson(input): ApiJson<QaInput>,
) -> ApiResult<Json<QaPair>> {
    owner.reach(id)?;
    let pair = input.parse()?;
    let (widget, qa_id) = (id, qa_id);
    Ok(Json(
        qa::update(&state, owner.account, widget, qa_id, &pair).await?,
    ))
}

/// Deletes a pair.
#[utoipa::path(delete, path = "/api/widgets/{id}/qa/{qa_id}", tag = "qa", params(("id" = i64, Path), ("qa_id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath((id, qa_id)): ApiPath<(WidgetId, QaId)>,
) -> ApiResult<StatusCode> {
    owner.reach(id)?;
    state.store.delete_qa(owner.account, id, qa_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The pairs as a CSV file (`question,answer` and a header row). Cells a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
/// tab or carriage return) are prefixed with `'`.
#[utoipa::path(get, path = "/api/widgets/{id}/qa/export.csv", tag = "qa", params(("id" = i64, Path)),
    responses((status = 200, description = "The CSV file", content_type = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let pairs = state.store.qa_of(owner.account, widget.id).await?;
    let file = qa::sheet::export(&pairs)?;
    let disposition = format!("attachment; filename=\"qa-{}.csv\"", widget.id);
    let mut response = file.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// A Q&A import.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct QaImport {
    /// A UTF-8 CSV file of at most 1 MB: a `question,answer` header row,
    /// then one pair per row.
    #[schema(schema_with = witzo_app::fields::file)]
    file: Vec<u8>,
    /// `true` (or `on`): the file becomes the widget's whole set.
    replace: Option<bool>,
}

/// Imports pairs from a CSV file (multipart: `file`, ≤ 1 MB, columns
/// `question,answer` with a header row; `replace=true` to make the file the
/// widget's whole set). Any error imports nothing.
#[utoipa::path(post, path = "/api/widgets/{id}/qa/import", tag = "qa", params(("id" = i64, Path)),
    request_body(content = QaImport, content_type = "multipart/form-data"),
    responses((status = 200, body = Imported), (status = 403, description = "`plan_limit_documents`"),
        (status = 413, description = "`payload_too_large`: over 1 MB"),
        (status = 422, description = "`missing_field`, `invalid_encoding`, `invalid_csv`, `invalid_columns`, `invalid_cell`, `too_many_rows`")))]
pub async fn import(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Json<Imported>> {
    let widget = id;
    state.store.widget_of(owner.account, widget).await?;
    let (file, replace) = multipart::qa_import(multipart).await?;
    Ok(Json(
        qa::import(&state, owner.account, widget, &file, replace).await?,
    ))
}
