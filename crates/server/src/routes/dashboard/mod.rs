//! The owner's dashboard: server-rendered pages (askama, escaping on, no
//! inline scripts or styles) whose forms work without JavaScript.

pub mod account;
pub mod api_keys;
pub mod billing;
pub mod conversations;
pub mod insights;
pub mod knowledge;
pub mod leads;
pub mod qa;
pub mod sign_in;
pub mod sources;
pub mod training;
pub mod webhooks;
pub mod widgets;

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::redirect;
use crate::error::{ApiError, ApiResult, AppError, ErrorCode, ErrorShown};
use crate::extract::OwnerSession;
use crate::state::AppState;

/// The dashboard's sections: path, label, key.
pub const NAV: &[(&str, &str, &str)] = &[
    ("/app", "Overview", "overview"),
    ("/app/widgets", "Widgets", "widgets"),
    ("/app/sources", "Data sources", "sources"),
    ("/app/conversations", "Conversations", "conversations"),
    ("/app/leads", "Leads", "leads"),
    ("/app/webhooks", "Webhooks", "webhooks"),
    ("/app/api-keys", "API keys", "api_keys"),
    ("/app/analytics", "Analytics", "analytics"),
    ("/app/gaps", "Content gaps", "gaps"),
    ("/app/billing", "Billing", "billing"),
    ("/app/account", "Account", "account"),
];

/// What every page's layout needs.
pub struct Layout {
    pub css_url: String,
    pub js_url: String,
    pub version: &'static str,
    pub csrf_token: String,
    /// The signed-in owner's address (empty on signed-out pages).
    pub email: String,
    pub active: &'static str,
    pub nav: &'static [(&'static str, &'static str, &'static str)],
    /// The signed-in owner's time zone (IANA name; empty on signed-out
    /// pages): app.js writes every date on the page in it.
    pub time_zone: String,
}

impl Layout {
    pub fn new(state: &AppState, csrf_token: String, email: String, active: &'static str) -> Self {
        Self {
            css_url: state.assets.css.path.clone(),
            js_url: state.assets.js.path.clone(),
            version: env!("CARGO_PKG_VERSION"),
            csrf_token,
            email,
            active,
            nav: NAV,
            time_zone: String::new(),
        }
    }

    /// The layout of a signed-in page.
    pub async fn signed_in(
        state: &AppState,
        owner: &OwnerSession,
        active: &'static str,
    ) -> ApiResult<Self> {
        let account = state.store.account_by_id(owner.account).await?;
        let csrf = state.keys.csrf_token(&owner.session.id_hash);
        Ok(Self {
            time_zone: account.time_zone,
            ..Self::new(state, csrf, account.email, active)
        })
    }
}

/// A form that carries only its CSRF token (checked by the CSRF layer).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsrfForm {
    pub csrf_token: String,
}

/// `?notice=` after a redirect: a key the page maps to a fixed message.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A page re-rendered with an error, answered with that error's status.
pub fn with_status(mut response: Response, err: &AppError) -> Response {
    *response.status_mut() = crate::error::status_of(err.code());
    response
}

/// Renders a page template to HTML.
pub fn render(page: &impl Template) -> ApiResult<Html<String>> {
    page.render().map(Html).map_err(ApiError::internal)
}

/// A signed-in owner on an HTML page: without a live session the browser
/// is sent to the sign-in page instead of getting a JSON 401.
pub struct PageOwner(pub OwnerSession);

impl FromRequestParts<AppState> for PageOwner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match OwnerSession::from_request_parts(parts, state).await {
            Ok(owner) => Ok(Self(owner)),
            Err(err) if err.code() == ErrorCode::SessionExpired => {
                Err(redirect("/app/sign-in?error=session_expired", []))
            }
            Err(err) if err.code() == ErrorCode::Unauthenticated => {
                Err(redirect("/app/sign-in", []))
            }
            Err(err) => Err(err.into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "app/overview.html")]
struct OverviewPage {
    layout: Layout,
    widgets: Vec<witzo_store::widgets::Widget>,
    usage: UsageMeter,
    week: insights::Week,
}

/// This cycle's conversations against the plan's allowance.
struct UsageMeter {
    used: i64,
    /// `None`: unlimited.
    limit: Option<i64>,
    plan: String,
    /// When the allowance renews (UTC, to the minute).
    renews: String,
    status: witzo_store::domain::SubscriptionStatus,
    /// The subscription ends with this cycle.
    cancelling: bool,
}

impl UsageMeter {
    async fn of(state: &AppState, account: witzo_store::domain::AccountId) -> ApiResult<Self> {
        let plan = state.store.account_plan(account).await?;
        let usage = state.store.usage(account).await?;
        let subscription = state.store.subscription(account).await?;
        Ok(Self {
            used: usage.used,
            limit: plan.conversations,
            renews: witzo_app::format::utc_minute(usage.resets_at()),
            plan: plan.name,
            status: subscription.status,
            cancelling: subscription.cancel_at_period_end.0,
        })
    }

    /// From 90 % on: the owner is warned.
    fn nearly_used(&self) -> bool {
        self.limit
            .is_some_and(|limit| witzo_app::widgets::plans::nearly_used(self.used, limit))
    }

    fn percent(&self) -> i64 {
        witzo_app::widgets::plans::percent_used(self.used, self.limit)
    }

    fn used_up(&self) -> bool {
        self.limit.is_some_and(|limit| self.used >= limit)
    }
}

/// The dashboard's overview.
#[utoipa::path(get, path = "/app", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 303, description = "To sign-in, or to the setup on first sign-in")))]
pub async fn overview(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
) -> ApiResult<Response> {
    let widgets = state.store.widgets_of(owner.account).await?;
    if widgets.is_empty() {
        // First sign-in: a short setup before anything else.
        return Ok(redirect("/app/setup", []));
    }
    let layout = Layout::signed_in(&state, &owner, "overview").await?;
    let usage = UsageMeter::of(&state, owner.account).await?;
    let week = insights::Week::of(&state, owner.account).await?;
    Ok(render(&OverviewPage {
        layout,
        widgets,
        usage,
        week,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "app/error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    code: &'static str,
    message: String,
    back: String,
}

/// Dashboard pages and forms are read by people, not programs: an error
/// answered on `/app…` (a refused form, a bad path, a missing CSRF token,
/// an unknown method) becomes a page with the same status and message and
/// a way back, instead of the JSON the API gives.
pub async fn page_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_page(req.uri().path()) {
        return next.run(req).await;
    }
    let back = back_link(req.headers());
    let response = next.run(req).await;
    let Some(shown) = response.extensions().get::<ErrorShown>().cloned() else {
        return response;
    };
    let (mut parts, _json) = response.into_parts();
    let page = ErrorPage {
        layout: Layout::new(&state, String::new(), String::new(), ""),
        status: parts.status.as_u16(),
        code: shown.code.as_str(),
        message: shown.message,
        back,
    };
    match page.render() {
        Ok(html) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Response::from_parts(parts, Body::from(html))
        }
        Err(err) => ApiError::internal(err).into_response(),
    }
}

fn is_page(path: &str) -> bool {
    path == "/app" || path.starts_with("/app/")
}

/// The dashboard page the request came from (same host, under `/app`),
/// or the overview.
fn back_link(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|url| {
            let authority = match (url.host_str(), url.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => return false,
            };
            host == Some(authority.as_str()) && is_page(url.path())
        })
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
        .unwrap_or_else(|| "/app".to_owned())
}
