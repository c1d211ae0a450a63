//! `GET /api/leads`: the owner's leads (see [`witzo_app::leads`]).

use axum::Json;
use axum::extract::State;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::OwnerSession;
use crate::state::AppState;
use witzo_app::leads::{LeadView, leads_of};

/// The signed-in owner's leads across their widgets, newest first (500).
#[utoipa::path(get, path = "/api/leads", tag = "leads",
    responses((status = 200, body = Vec<LeadView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    owner: OwnerSession,
) -> ApiResult<Json<Vec<LeadView>>> {
    Ok(Json(leads_of(&state, owner.account).await?))
}
