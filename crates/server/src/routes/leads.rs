//! The owner's leads as JSON (see [`witzo_app::leads`]): list with
//! filters, one lead, status and notes, delete, export, and the lead
//! settings (alerts and the follow-up e-mail) at `/api/follow-up`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use witzo_app::leads::export;
use witzo_app::leads::settings::{self, LeadSettingsInput, LeadSettingsView};
use witzo_app::leads::{self, LeadFilter, LeadPage, LeadUpdate, LeadView};
use witzo_store::domain::LeadId;

use super::attachment;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Owner, OwnerSession};
use crate::state::AppState;

/// The signed-in owner's leads across their widgets, filtered, one page
/// of 50. Locked leads (past the plan's limit) are listed with
/// `contact: null` and never match a search.
#[utoipa::path(get, path = "/api/leads", tag = "leads", params(LeadFilter),
    responses((status = 200, body = LeadPage),
        (status = 422, description = "`validation_failed`: a bad page, day or search", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    owner: Owner,
    ApiQuery(mut filter): ApiQuery<LeadFilter>,
) -> ApiResult<Json<LeadPage>> {
    filter.widget = owner.widget_filter(filter.widget)?;
    Ok(Json(leads::list(&state, owner.account, &filter).await?))
}

#[utoipa::path(get, path = "/api/leads/{id}", tag = "leads", params(("id" = i64, Path)),
    responses((status = 200, body = LeadView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<LeadId>,
) -> ApiResult<Json<LeadView>> {
    let lead = leads::get(&state, owner.account, id).await?;
    owner.reach(lead.widget_id)?;
    Ok(Json(lead))
}

/// Sets a lead's status and/or notes.
#[utoipa::path(patch, path = "/api/leads/{id}", tag = "leads", params(("id" = i64, Path)),
    request_body = LeadUpdate,
    responses((status = 200, body = LeadView), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<LeadId>,
    ApiJson(change): ApiJson<LeadUpdate>,
) -> ApiResult<Json<LeadView>> {
    reach_lead(&state, &owner, id).await?;
    Ok(Json(
        leads::update(&state, owner.account, id, &change).await?,
    ))
}

/// Deletes a lead, and its e-mail addresses and phone numbers from its
/// conversation.
#[utoipa::path(delete, path = "/api/leads/{id}", tag = "leads", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    owner: Owner,
    ApiPath(id): ApiPath<LeadId>,
) -> ApiResult<StatusCode> {
    reach_lead(&state, &owner, id).await?;
    leads::delete(&state, owner.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filtered leads (all pages) as CSV (UTF-8 with BOM; cells that
/// start like a formula prefixed with `'`) or JSON, streamed, dates in the
/// owner's time zone.
#[utoipa::path(get, path = "/api/leads/export", tag = "leads", params(LeadFilter),
    responses((status = 200, description = "The file",
        content((String = "text/csv"), (Vec<export::LeadExport> = "application/json"))),
        (status = 422, description = "`validation_failed`: a bad page, day or search", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    owner: Owner,
    ApiQuery(mut filter): ApiQuery<LeadFilter>,
) -> ApiResult<Response> {
    filter.widget = owner.widget_filter(filter.widget)?;
    let format = filter.format.unwrap_or_default();
    let chunks = export::export(&state, owner.account, &filter, format).await?;
    Ok(attachment(
        chunks,
        format.content_type(),
        format.file_name(),
    ))
}

/// How the owner hears of new leads, and the follow-up e-mail.
#[utoipa::path(get, path = "/api/follow-up", tag = "leads",
    responses((status = 200, body = LeadSettingsView), (status = 401, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<LeadSettingsView>> {
    Ok(Json(settings::get(&state, owner.account).await?))
}

/// Saves the lead settings; turning the follow-up on needs a plan that
/// includes it (`403 plan_limit_follow_up_email` names one).
#[utoipa::path(put, path = "/api/follow-up", tag = "leads", request_body = LeadSettingsInput,
    responses((status = 200, body = LeadSettingsView),
        (status = 403, description = "`plan_limit_follow_up_email`", body = ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    owner: OwnerSession,
    ApiJson(input): ApiJson<LeadSettingsInput>,
) -> ApiResult<Json<LeadSettingsView>> {
    Ok(Json(settings::save(&state, owner.account, &input).await?))
}

/// `404` unless the caller may reach the lead's widget (a key restricted
/// to one widget); one lookup only for such keys.
async fn reach_lead(state: &AppState, owner: &Owner, id: LeadId) -> ApiResult<()> {
    if owner.widget.is_some() {
        owner.reach(leads::get(state, owner.account, id).await?.widget_id)?;
    }
    Ok(())
}
