//! Analytics, reporting settings and content gaps (JSON API). See
//! [`witzo_app::analytics`] and [`witzo_app::gaps`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use witzo_store::domain::GapId;
use witzo_store::gaps::Gap;
use witzo_store::privacy::ReportSettings;
use witzo_store::qa::QaPair;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientIp, OwnerSession};
use crate::state::AppState;
use witzo_app::analytics::{self, Report, ReportQuery};
use witzo_app::conversations::{self, SettingsInput};
use witzo_app::gaps::{self, GapAnswer, GapQuery};

/// The analytics of a period (the last 7, 30 or 90 days, or custom dates)
/// for one widget or all, from the rollups.
#[utoipa::path(get, path = "/api/analytics", tag = "analytics", params(ReportQuery),
    responses((status = 200, body = Report), (status = 404, description = "`not_found`: not one of your widgets", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a bad range, date or widget", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    let today = analytics::today(&state, owner.account).await?;
    let range = query.resolve(today)?;
    Ok(Json(analytics::report(&state, owner.account, range).await?))
}

/// Retention, the offset days are counted at, and the weekly gap digest.
#[utoipa::path(get, path = "/api/analytics/settings", tag = "analytics",
    responses((status = 200, body = ReportSettings)))]
pub async fn settings(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<ReportSettings>> {
    Ok(Json(state.store.report_settings(owner.account).await?))
}

/// Changes them; logged in the security log.
#[utoipa::path(put, path = "/api/analytics/settings", tag = "analytics", request_body = SettingsInput,
    responses((status = 200, body = ReportSettings),
        (status = 422, description = "`validation_failed`: retention not 30/90/365/null, or a bad offset", body = ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<Json<ReportSettings>> {
    Ok(Json(
        conversations::save_settings(&state, owner.account, &input, &ip.0.to_string()).await?,
    ))
}

/// Groups of questions that were refused or rated down, biggest (or
/// newest) first, each with three examples.
#[utoipa::path(get, path = "/api/content-gaps", tag = "analytics", params(GapQuery),
    responses((status = 200, body = Vec<Gap>),
        (status = 422, description = "`validation_failed`: a bad widget, state or sort", body = ErrorBody)))]
pub async fn gaps(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiQuery(query): ApiQuery<GapQuery>,
) -> ApiResult<Json<Vec<Gap>>> {
    Ok(Json(gaps::list(&state, owner.account, &query).await?))
}

/// "Add an answer": stores a Q&A pair for the gap's widget (its question
/// the given one, or the group's newest) and marks the gap resolved.
#[utoipa::path(post, path = "/api/content-gaps/{id}/answer", tag = "analytics", params(("id" = i64, Path)),
    request_body = GapAnswer,
    responses((status = 201, body = QaPair),
        (status = 403, description = "`plan_limit_documents`", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`conflict`: already resolved", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn answer_gap(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiPath(id): ApiPath<GapId>,
    ApiJson(input): ApiJson<GapAnswer>,
) -> ApiResult<(StatusCode, Json<QaPair>)> {
    let pair = gaps::answer(&state, owner.account, id.get(), &input).await?;
    Ok((StatusCode::CREATED, Json(pair)))
}
