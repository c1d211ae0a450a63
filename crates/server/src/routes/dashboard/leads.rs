//! The Leads pages: the filtered list with export links, one lead (status,
//! notes, delete, its conversation), and the lead settings (alerts and the
//! follow-up e-mail). Leads past the plan's limit are listed locked,
//! without their details, until an upgrade.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_app::leads::settings::{self, LeadSettingsInput, LeadSettingsView};
use witzo_app::leads::{self, LeadFilter, LeadPage, LeadUpdate, LeadView};
use witzo_store::domain::{LeadAlerts, LeadId, LeadSource, LeadStatus};
use witzo_store::leads::LeadSort;
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiForm, ApiPath, ApiQuery, FormQuery, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;

fn when(at: i64) -> String {
    witzo_app::format::utc_minute(at)
}

#[derive(Template)]
#[template(path = "app/leads.html")]
struct LeadsPage {
    layout: Layout,
    page: LeadPage,
    filter: LeadFilter,
    widgets: Vec<Widget>,
    locked: i64,
    limit: Option<i64>,
    /// The filter as a query string, for the export links and pages.
    query: String,
}

impl LeadsPage {
    fn when(&self, at: &i64) -> String {
        when(*at)
    }

    fn statuses(&self) -> &'static [LeadStatus] {
        LeadStatus::ALL
    }

    fn sources(&self) -> &'static [LeadSource] {
        LeadSource::ALL
    }

    fn is_status(&self, status: &LeadStatus) -> bool {
        self.filter.status == Some(*status)
    }

    fn is_source(&self, source: &LeadSource) -> bool {
        self.filter.source == Some(*source)
    }

    fn is_widget(&self, widget: &Widget) -> bool {
        self.filter.widget == Some(widget.id.get())
    }

    fn is_sort(&self, sort: LeadSort) -> bool {
        self.filter.sort == Some(sort)
    }
}

/// The filter as the list's query string (without the page).
fn query_string(filter: &LeadFilter) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut pair = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            query.append_pair(key, &value);
        }
    };
    pair("status", filter.status.map(|s| s.as_str().to_owned()));
    pair("widget", filter.widget.map(|w| w.to_string()));
    pair("source", filter.source.map(|s| s.as_str().to_owned()));
    pair("from", filter.from.clone());
    pair("to", filter.to.clone());
    pair("q", filter.q.clone());
    pair(
        "sort",
        filter
            .sort
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
    );
    query.finish()
}

/// The Leads page: filters, one page of 50, export links.
#[utoipa::path(get, path = "/app/leads", tag = "pages", params(LeadFilter),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 422, description = "`validation_failed`: a bad page, day or search", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    // The filter form sends its blank fields ("Any", no search) too.
    FormQuery(filter): FormQuery<LeadFilter>,
) -> ApiResult<Response> {
    let page = LeadsPage {
        layout: Layout::signed_in(&state, &owner, "leads").await?,
        page: leads::list(&state, owner.account, &filter).await?,
        widgets: state.store.widgets_of(owner.account).await?,
        locked: state.store.holdings(owner.account).await?.leads_locked,
        limit: state.store.account_plan(owner.account).await?.leads,
        query: query_string(&filter),
        filter,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "app/lead.html")]
struct OneLead {
    layout: Layout,
    lead: LeadView,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

impl OneLead {
    fn when(&self, at: &i64) -> String {
        when(*at)
    }

    fn statuses(&self) -> &'static [LeadStatus] {
        LeadStatus::ALL
    }

    fn is_status(&self, status: &LeadStatus) -> bool {
        self.lead.status == *status
    }
}

async fn lead_page(
    state: &AppState,
    owner: &OwnerSession,
    id: LeadId,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let page = OneLead {
        layout: Layout::signed_in(state, owner, "leads").await?,
        lead: leads::get(state, owner.account, id).await?,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// One lead: details, what the visitor asked, status, notes.
#[utoipa::path(get, path = "/app/leads/{id}", tag = "pages", params(("id" = i64, Path), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn lead(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<LeadId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = match q.notice.as_deref() {
        Some("saved") => Some("Saved."),
        _ => None,
    };
    lead_page(&state, &owner, id, notice, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadEditForm {
    status: LeadStatus,
    #[schema(schema_with = witzo_app::fields::text::<5000>)]
    notes: String,
    csrf_token: String,
}

/// Saves a lead's status and notes.
#[utoipa::path(post, path = "/app/leads/{id}", tag = "pages", params(("id" = i64, Path)),
    request_body(content = LeadEditForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn save(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<LeadId>,
    ApiForm(form): ApiForm<LeadEditForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let change = LeadUpdate {
        status: Some(form.status),
        notes: Some(form.notes),
    };
    match leads::update(&state, owner.account, id, &change).await {
        Ok(_) => Ok(redirect(&format!("/app/leads/{id}?notice=saved"), [])),
        Err(err)
            if err.code.is_client_error() && err.code != witzo_app::error::ErrorCode::NotFound =>
        {
            let page = lead_page(&state, &owner, id, None, Some(Alert::from(&err))).await?;
            Ok(with_status(page, &err))
        }
        Err(err) => Err(err.into()),
    }
}

/// Deletes a lead (and its contact details in its conversation).
#[utoipa::path(post, path = "/app/leads/{id}/delete", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<LeadId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    leads::delete(&state, owner.account, id).await?;
    Ok(redirect("/app/leads?notice=deleted", []))
}

#[derive(Template)]
#[template(path = "app/lead_settings.html")]
struct SettingsPage {
    layout: Layout,
    settings: LeadSettingsView,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

impl SettingsPage {
    fn is_alerts(&self, alerts: &LeadAlerts) -> bool {
        self.settings.alerts == *alerts
    }

    fn alerts(&self) -> [(LeadAlerts, &'static str); 3] {
        [
            (LeadAlerts::Each, "An e-mail for each new lead"),
            (
                LeadAlerts::Daily,
                "One e-mail a day with the day's new leads",
            ),
            (LeadAlerts::Off, "No e-mails"),
        ]
    }
}

/// Lead alerts and the follow-up e-mail.
#[utoipa::path(get, path = "/app/leads/settings", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn settings_page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let notice = match q.notice.as_deref() {
        Some("saved") => Some("Lead settings saved."),
        _ => None,
    };
    let page = SettingsPage {
        layout: Layout::signed_in(&state, &owner, "leads").await?,
        settings: settings::get(&state, owner.account).await?,
        notice,
        error: None,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadSettingsForm {
    alerts: LeadAlerts,
    /// `on` when the box is ticked.
    follow_up: Option<String>,
    #[schema(schema_with = witzo_app::fields::text::<200>)]
    subject: String,
    #[schema(schema_with = witzo_app::fields::text::<5000>)]
    body: String,
    #[schema(minimum = 0, maximum = 10080)]
    delay_minutes: i64,
    csrf_token: String,
}

/// Saves the lead settings.
#[utoipa::path(post, path = "/app/leads/settings", tag = "pages",
    request_body(content = LeadSettingsForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"),
        (status = 403, description = "The page with `plan_limit_follow_up_email`", content_type = "text/html"),
        (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn save_settings(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiForm(form): ApiForm<LeadSettingsForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let input = LeadSettingsInput {
        alerts: form.alerts,
        follow_up: form.follow_up.is_some(),
        subject: form.subject,
        body: form.body,
        delay_minutes: form.delay_minutes,
    };
    match settings::save(&state, owner.account, &input).await {
        Ok(_) => Ok(redirect("/app/leads/settings?notice=saved", [])),
        Err(err) if err.code.is_client_error() => {
            let stored = settings::get(&state, owner.account).await?;
            let page = SettingsPage {
                layout: Layout::signed_in(&state, &owner, "leads").await?,
                settings: stored.with_draft(input),
                notice: None,
                error: Some(Alert::from(&err)),
            };
            Ok(with_status(render(&page)?.into_response(), &err))
        }
        Err(err) => Err(ApiError::from(err)),
    }
}
