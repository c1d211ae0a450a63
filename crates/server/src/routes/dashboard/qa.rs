//! The Q&A page of a widget: the owner's corrections listed, added, edited,
//! deleted, imported from and exported to CSV.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::domain::{QaId, WidgetId};
use witzo_store::qa::QaPair;
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiError, ApiResult, AppError, AppResult};
use crate::extract::{ApiForm, ApiMultipart, ApiPath, ApiQuery, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::qa::{self, QaInput};

fn notice_text(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "added" => Some("Saved. Visitors asking this now get your answer."),
        "saved" => Some("Saved."),
        "deleted" => Some("Deleted."),
        "imported" => Some("Imported. Visitors asking these now get your answers."),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "app/qa.html")]
struct QaPage {
    layout: Layout,
    widget: Widget,
    pairs: Vec<QaPair>,
    notice: Option<&'static str>,
    error: Option<Alert>,
    /// The add form's values, kept when it was refused.
    question: String,
    answer: String,
}

async fn qa_page(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    notice: Option<&'static str>,
    error: Option<(&AppError, QaInput)>,
) -> ApiResult<Response> {
    let (error, draft) = match error {
        Some((err, draft)) => (Some(Alert::from(err)), draft),
        None => (None, QaInput::default()),
    };
    let page = QaPage {
        layout: Layout::signed_in(state, owner, "widgets").await?,
        pairs: state.store.qa_of(owner.account, widget.id).await?,
        widget,
        notice,
        error,
        question: draft.question,
        answer: draft.answer,
    };
    Ok(render(&page)?.into_response())
}

/// After a change: back to the page with `notice`; a refusal re-renders
/// it with the error (and the add form's values) and the error's status.
async fn outcome<T>(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    result: AppResult<T>,
    notice: &str,
    draft: QaInput,
) -> ApiResult<Response> {
    match result {
        Ok(_) => Ok(redirect(
            &format!("/app/widgets/{}/qa?notice={notice}", widget.id),
            [],
        )),
        Err(err) if err.code().is_client_error() => Ok(with_status(
            qa_page(state, owner, widget, None, Some((&err, draft))).await?,
            &err,
        )),
        Err(err) => Err(err.into()),
    }
}

/// A widget's Q&A pairs, with forms to add, edit, import and export them.
#[utoipa::path(get, path = "/app/widgets/{id}/qa", tag = "pages", params(("id" = i64, Path), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "Not one of yours")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    qa_page(
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
pub struct QaForm {
    #[schema(schema_with = witzo_app::fields::required_text::<500>)]
    question: String,
    #[schema(schema_with = witzo_app::fields::required_text::<4000>)]
    answer: String,
    csrf_token: String,
}

impl QaForm {
    fn input(self) -> QaInput {
        let _ = self.csrf_token;
        QaInput {
            question: self.question,
            answer: self.answer,
        }
    }
}

/// Adds a pair.
#[utoipa::path(post, path = "/app/widgets/{id}/qa", tag = "pages", params(("id" = i64, Path)),
    request_body(content = QaForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Added"), (status = 403, description = "The page with `plan_limit_documents`", content_type = "text/html"),
        (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn add(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<QaForm>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let input = form.input();
    let result = match input.parse() {
        Ok(pair) => qa::add(&state, owner.account, widget.id, &pair).await,
        Err(err) => Err(err),
    };
    outcome(&state, &owner, widget, result, "added", input).await
}

/// Saves an edited pair.
#[utoipa::path(post, path = "/app/widgets/{id}/qa/{qa_id}", tag = "pages", params(("id" = i64, Path), ("qa_id" = i64, Path)),
    request_body(content = QaForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 404, description = "Not one of yours"),
        (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn update(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath((id, qa_id)): ApiPath<(WidgetId, QaId)>,
    ApiForm(form): ApiForm<QaForm>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    state
        .store
        .qa_pair_of(owner.account, widget.id, qa_id)
        .await?;
    let result = match form.input().parse() {
        Ok(pair) => qa::update(&state, owner.account, widget.id, qa_id, &pair).await,
        Err(err) => Err(err),
    };
    outcome(&state, &owner, widget, result, "saved", QaInput::default()).await
}

/// Deletes a pair.
#[utoipa::path(post, path = "/app/widgets/{id}/qa/{qa_id}/delete", tag = "pages", params(("id" = i64, Path), ("qa_id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted"), (status = 404, description = "Not one of yours")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath((id, qa_id)): ApiPath<(WidgetId, QaId)>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let widget = id;
    state.store.delete_qa(owner.account, widget, qa_id).await?;
    Ok(redirect(
        &format!("/app/widgets/{id}/qa?notice=deleted"),
        [],
    ))
}

/// Imports a CSV file (multipart; the CSRF token travels in the action URL).
#[utoipa::path(post, path = "/app/widgets/{id}/qa/import", tag = "pages", params(("id" = i64, Path), ("csrf_token" = Option<String>, Query, description = "The CSRF token, when no `X-CSRF-Token` header is sent (HTML forms)")),
    request_body(content = crate::routes::qa::QaImport, content_type = "multipart/form-data"),
    responses((status = 303, description = "Imported"),
        (status = 403, description = "The page with `plan_limit_documents`", content_type = "text/html"),
        (status = 413, description = "The page with `payload_too_large`", content_type = "text/html"),
        (status = 422, description = "The page with `missing_field`, `invalid_encoding`, `invalid_csv`, `invalid_columns`, `invalid_cell` or `too_many_rows`", content_type = "text/html")))]
pub async fn import(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let result = match crate::extract::multipart::qa_import(multipart).await {
        Ok((file, replace)) => qa::import(&state, owner.account, widget.id, &file, replace).await,
        Err(ApiError(err)) => Err(err),
    };
    outcome(
        &state,
        &owner,
        widget,
        result,
        "imported",
        QaInput::default(),
    )
    .await
}
