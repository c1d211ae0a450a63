//! The Conversations inbox, Analytics and Content gaps pages: the same use
//! cases as the JSON API (`routes/conversations.rs`, `routes/analytics.rs`),
//! rendered server-side; forms post with their CSRF token and work without
//! JavaScript. Charts are SVG from an askama template, each with a title,
//! a description and the same figures as a table.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::domain::{ConversationId, GapId};
use witzo_store::gaps::Gap;
use witzo_store::inbox::InboxRow;
use witzo_store::privacy::ReportSettings;
use witzo_store::widgets::Widget;

use super::{Layout, PageOwner, render};
use crate::error::ApiResult;
use crate::extract::{ApiForm, ApiPath, ApiQuery, ClientIp};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::analytics::chart::BarChart;
use witzo_app::analytics::{self, Report, ReportQuery};
use witzo_app::conversations::{self, ForgetRequest, InboxQuery, SettingsInput};
use witzo_app::format;
use witzo_app::gaps::{self, GapAnswer, GapQuery};

#[derive(Template)]
#[template(path = "app/inbox.html")]
struct InboxPage {
    layout: Layout,
    widgets: Vec<Widget>,
    query: InboxQuery,
    rows: Vec<(InboxRow, String)>,
    total: i64,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    /// The filters as a query string (export links, delete form).
    filters: String,
}

impl InboxPage {
    fn checked(&self, flag: &Option<bool>) -> bool {
        flag.unwrap_or(false)
    }

    fn selected_widget(&self, id: &witzo_store::domain::WidgetId) -> bool {
        self.query.widget == Some(id.get())
    }
}

fn query_string(query: &InboxQuery) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    let flag = |v: Option<bool>| v.unwrap_or(false);
    if let Some(w) = query.widget {
        q.append_pair("widget", &w.to_string());
    }
    for (name, value) in [
        ("from", &query.from),
        ("to", &query.to),
        ("q", &query.q),
        ("visitor", &query.visitor),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            q.append_pair(name, v);
        }
    }
    for (name, on) in [
        ("rated_down", flag(query.rated_down)),
        ("unanswered", flag(query.unanswered)),
        ("with_lead", flag(query.with_lead)),
        ("corrected", flag(query.corrected)),
    ] {
        if on {
            q.append_pair(name, "true");
        }
    }
    q.finish()
}

/// The inbox: every widget's conversations, filtered and searched.
#[utoipa::path(get, path = "/app/conversations", tag = "pages", params(InboxQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 422, description = "The error page for a bad filter", content_type = "text/html")))]
pub async fn inbox(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> ApiResult<Response> {
    let page = conversations::list(&state, owner.account, &query).await?;
    let total = conversations::count(&state, owner.account, &query).await?;
    let filters = query_string(&query);
    let next = page.next.map(|cursor| {
        let joiner = if filters.is_empty() { "" } else { "&" };
        format!("{filters}{joiner}cursor={cursor}")
    });
    let page = InboxPage {
        layout: Layout::signed_in(&state, &owner, "conversations").await?,
        widgets: state.store.widgets_of(owner.account).await?,
        rows: page
            .conversations
            .into_iter()
            .map(|r| {
                let at = format::utc_minute(r.updated_at);
                (r, at)
            })
            .collect(),
        total,
        next,
        filters,
        query,
    };
    Ok(render(&page)?.into_response())
}

/// The delete form: the filters as hidden fields, and the token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationsDeleteForm {
    csrf_token: String,
    widget: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    rated_down: Option<bool>,
    unanswered: Option<bool>,
    with_lead: Option<bool>,
    corrected: Option<bool>,
    q: Option<String>,
    visitor: Option<String>,
    /// `true` to delete every conversation when no filter is set.
    all: Option<bool>,
}

/// Deletes the conversations matching the filters.
#[utoipa::path(post, path = "/app/conversations/delete", tag = "pages",
    request_body(content = ConversationsDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted"), (status = 422, description = "The error page", content_type = "text/html"),
        (status = 409, description = "The error page with `confirmation_required`: no filter, and all not set", content_type = "text/html")))]
pub async fn delete_filtered(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<ConversationsDeleteForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let query = InboxQuery {
        widget: form.widget,
        from: form.from,
        to: form.to,
        rated_down: form.rated_down,
        unanswered: form.unanswered,
        with_lead: form.with_lead,
        corrected: form.corrected,
        q: form.q,
        visitor: form.visitor,
        all: form.all,
        ..InboxQuery::default()
    };
    conversations::delete_filtered(&state, owner.account, &query, &ip.0.to_string()).await?;
    Ok(redirect("/app/conversations", []))
}

/// Deletes one conversation.
#[utoipa::path(post, path = "/app/conversations/{id}/delete", tag = "pages",
    params(("id" = String, Path, pattern = "^c_[0-9a-f]{32}$")),
    request_body(content = super::CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted"), (status = 404, description = "Not one of yours", content_type = "text/html")))]
pub async fn delete_one(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<ConversationId>,
    ApiForm(form): ApiForm<super::CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    conversations::delete_one(&state, owner.account, &id).await?;
    Ok(redirect("/app/conversations", []))
}

#[derive(Template)]
#[template(path = "app/analytics.html")]
struct AnalyticsPage {
    layout: Layout,
    report: Report,
    query: ReportQuery,
    widgets: Vec<Widget>,
    charts: Vec<BarChart>,
    settings: ReportSettings,
    /// (label, value) of every offset the settings offer.
    offsets: Vec<(String, i64)>,
}

impl AnalyticsPage {
    fn selected_widget(&self, id: &witzo_store::domain::WidgetId) -> bool {
        self.query.widget == Some(id.get())
    }

    fn range_is(&self, value: &str) -> bool {
        self.query.range.as_deref().unwrap_or("30") == value
    }

    fn retention_is(&self, days: i64) -> bool {
        self.settings.retention_days.unwrap_or(0) == days
    }

    fn pct(&self, value: &Option<i64>) -> String {
        value.map_or_else(|| "–".to_owned(), |v| format!("{v} %"))
    }
}

fn offsets() -> Vec<(String, i64)> {
    (-48..=56)
        .map(|q: i64| {
            let minutes = q * 15;
            let sign = if minutes < 0 { '-' } else { '+' };
            let abs = minutes.abs();
            (format!("UTC{sign}{:02}:{:02}", abs / 60, abs % 60), minutes)
        })
        .collect()
}

fn charts_of(report: &Report) -> Vec<BarChart> {
    let series = |pick: fn(&analytics::DayFigures) -> i64| -> Vec<(String, i64)> {
        report
            .days
            .iter()
            .map(|d| {
                let day = analytics::days::parse(&d.date).unwrap_or(0);
                (analytics::days::short(day), pick(d))
            })
            .collect()
    };
    let hours: Vec<(String, i64)> = report
        .hours
        .iter()
        .enumerate()
        .map(|(h, n)| (format!("{h:02}:00"), *n))
        .collect();
    vec![
        BarChart::new(
            "chart-conversations",
            "Conversations per day",
            &series(|d| d.counts.conversations),
        ),
        BarChart::new(
            "chart-loads",
            "Widget loads per day",
            &series(|d| d.counts.loads),
        ),
        BarChart::new(
            "chart-refused",
            "\"I don't know\" answers per day",
            &series(|d| d.counts.refused),
        ),
        BarChart::new("chart-hours", "Visitor messages by hour of day", &hours),
    ]
}

/// The analytics of a period for one widget or all.
#[utoipa::path(get, path = "/app/analytics", tag = "pages", params(ReportQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 422, description = "The error page for a bad period", content_type = "text/html"),
        (status = 404, description = "The error page with `not_found`: another account's widget", content_type = "text/html")))]
pub async fn analytics_page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let today = analytics::today(&state, owner.account).await?;
    let report = analytics::report(&state, owner.account, query.resolve(today)?).await?;
    let page = AnalyticsPage {
        layout: Layout::signed_in(&state, &owner, "analytics").await?,
        charts: charts_of(&report),
        report,
        query,
        widgets: state.store.widgets_of(owner.account).await?,
        settings: state.store.report_settings(owner.account).await?,
        offsets: offsets(),
    };
    Ok(render(&page)?.into_response())
}

/// The settings form (`retention_days`: `forever`, 30, 90 or 365).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSettingsForm {
    csrf_token: String,
    retention_days: String,
    utc_offset_minutes: i64,
    gap_digest: Option<bool>,
}

/// Saves the retention, offset and digest settings.
#[utoipa::path(post, path = "/app/analytics/settings", tag = "pages",
    request_body(content = ReportSettingsForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 422, description = "The error page", content_type = "text/html")))]
pub async fn save_settings(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<ReportSettingsForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let retention_days = match form.retention_days.as_str() {
        "forever" => None,
        days => Some(days.parse().unwrap_or(-1)),
    };
    let input = SettingsInput {
        retention_days,
        utc_offset_minutes: form.utc_offset_minutes,
        gap_digest: form.gap_digest.unwrap_or(false),
    };
    conversations::save_settings(&state, owner.account, &input, &ip.0.to_string()).await?;
    Ok(redirect("/app/analytics", []))
}

/// The forget form.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgetForm {
    csrf_token: String,
    /// A visitor id (`v_…`) or an e-mail address.
    who: String,
}

/// Forgets a visitor by id or lead e-mail address.
#[utoipa::path(post, path = "/app/conversations/forget", tag = "pages",
    request_body(content = ForgetForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Forgotten"), (status = 422, description = "The error page", content_type = "text/html")))]
pub async fn forget(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<ForgetForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let who = form.who.trim().to_owned();
    let request = if who.starts_with("v_") {
        ForgetRequest {
            visitor_id: Some(who),
            email: None,
        }
    } else {
        ForgetRequest {
            visitor_id: None,
            email: Some(who),
        }
    };
    conversations::forget(&state, owner.account, &request, &ip.0.to_string()).await?;
    Ok(redirect("/app/conversations", []))
}

#[derive(Template)]
#[template(path = "app/gaps.html")]
struct GapsPage {
    layout: Layout,
    gaps: Vec<(Gap, String, String)>,
    resolved: bool,
    newest: bool,
}

/// Content gaps: what visitors asked that went unanswered, grouped.
#[utoipa::path(get, path = "/app/gaps", tag = "pages", params(GapQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn gaps_page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(query): ApiQuery<GapQuery>,
) -> ApiResult<Response> {
    let list = gaps::list(&state, owner.account, &query).await?;
    let page = GapsPage {
        layout: Layout::signed_in(&state, &owner, "gaps").await?,
        gaps: list
            .into_iter()
            .map(|g| {
                let (first, last) = (
                    format::utc_minute(g.first_seen),
                    format::utc_minute(g.last_seen),
                );
                (g, first, last)
            })
            .collect(),
        resolved: query.state.as_deref() == Some("resolved"),
        newest: query.sort.as_deref() == Some("newest"),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GapAnswerForm {
    csrf_token: String,
    question: Option<String>,
    answer: String,
}

/// "Add an answer" to a gap.
#[utoipa::path(post, path = "/app/gaps/{id}/answer", tag = "pages", params(("id" = i64, Path)),
    request_body(content = GapAnswerForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 404, description = "Not one of yours", content_type = "text/html"),
        (status = 422, description = "The error page", content_type = "text/html")))]
pub async fn answer_gap(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<GapId>,
    ApiForm(form): ApiForm<GapAnswerForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let input = GapAnswer {
        question: form.question,
        answer: form.answer,
    };
    gaps::answer(&state, owner.account, id.get(), &input).await?;
    Ok(redirect("/app/gaps?state=resolved", []))
}

/// The overview's last seven days and top gap.
pub struct Week {
    pub report: Report,
    pub top_gap: Option<Gap>,
}

impl Week {
    pub async fn of(state: &AppState, account: witzo_store::domain::AccountId) -> ApiResult<Self> {
        let today = analytics::today(state, account).await?;
        let query = ReportQuery {
            range: Some("7".to_owned()),
            ..ReportQuery::default()
        };
        Ok(Self {
            report: analytics::report(state, account, query.resolve(today)?).await?,
            top_gap: gaps::top(state, account).await?,
        })
    }
}
