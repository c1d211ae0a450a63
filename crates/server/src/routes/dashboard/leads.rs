//! The Leads page: leads past the plan's limit are listed locked, without
//! their details, until an upgrade.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Layout, PageOwner, render};
use crate::error::ApiResult;
use crate::state::AppState;
use witzo_app::leads::{LeadView, leads_of};

#[derive(Template)]
#[template(path = "app/leads.html")]
struct LeadsPage {
    layout: Layout,
    leads: Vec<LeadView>,
    locked: i64,
    limit: Option<i64>,
}

impl LeadsPage {
    fn when(&self, at: &i64) -> String {
        witzo_app::format::utc_minute(*at)
    }
}

/// The Leads page.
#[utoipa::path(get, path = "/app/leads", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
) -> ApiResult<Response> {
    let page = LeadsPage {
        layout: Layout::signed_in(&state, &owner, "leads").await?,
        leads: leads_of(&state, owner.account).await?,
        locked: state.store.holdings(owner.account).await?.leads_locked,
        limit: state.store.account_plan(owner.account).await?.leads,
    };
    Ok(render(&page)?.into_response())
}
