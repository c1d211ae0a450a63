//! The Webhooks page: the owner's endpoints with their delivery logs,
//! forms to add, change, test and delete them, rotate a secret and
//! redeliver. A new secret is shown on the page that answers the form
//! (never in a redirect's URL). Without `lead_webhook` the page says which
//! plan includes webhooks and still lists what is stored.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::domain::{DeliveryId, WebhookId, WidgetId};
use witzo_store::webhooks::{Delivery, WebhookEndpoint};
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiResult, AppError, AppResult, ErrorCode};
use crate::extract::{ApiForm, ApiPath, ApiQuery, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::webhooks::{self, WebhookInput, WebhookUpdate};

/// Deliveries shown per endpoint (the JSON API lists 100).
const SHOWN: i64 = 20;

fn notice_text(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "saved" => Some("Saved."),
        "deleted" => Some("Deleted."),
        "queued" => Some("Queued. The delivery log below shows how it went."),
        _ => None,
    }
}

struct EndpointView {
    endpoint: WebhookEndpoint,
    widget: String,
    deliveries: Vec<Delivery>,
}

impl EndpointView {
    fn has(&self, event: &&str) -> bool {
        self.endpoint.events.iter().any(|e| e == event)
    }
}

#[derive(Template)]
#[template(path = "app/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    enabled: bool,
    plan: String,
    upgrade_to: Option<String>,
    endpoints: Vec<EndpointView>,
    widgets: Vec<Widget>,
    events: &'static [&'static str],
    notice: Option<&'static str>,
    error: Option<Alert>,
    /// A secret just created or rotated, shown once: (endpoint, secret).
    secret: Option<(WebhookId, String)>,
}

impl WebhooksPage {
    fn when(&self, at: &i64) -> String {
        witzo_app::format::utc_minute(*at)
    }

    /// Whether a new endpoint's box for `event` starts ticked: every event
    /// but the opt-in ones (`message.answered`).
    fn ticked(&self, event: &&str) -> bool {
        !webhooks::OPT_IN.contains(event)
    }
}

async fn webhooks_page(
    state: &AppState,
    owner: &OwnerSession,
    notice: Option<&'static str>,
    error: Option<&AppError>,
    secret: Option<(WebhookId, String)>,
) -> ApiResult<Response> {
    let found = webhooks::availability(state, owner.account).await?;
    let widgets = state.store.widgets_of(owner.account).await?;
    let mut endpoints = Vec::new();
    for endpoint in state.store.webhooks_of(owner.account).await? {
        let deliveries = state
            .store
            .deliveries_of(owner.account, endpoint.id, SHOWN)
            .await?;
        let widget = match endpoint.widget_id {
            Some(id) => widgets
                .iter()
                .find(|w| w.id == id)
                .map_or_else(String::new, |w| w.name.clone()),
            None => "All widgets".to_owned(),
        };
        endpoints.push(EndpointView {
            endpoint,
            widget,
            deliveries,
        });
    }
    let page = WebhooksPage {
        layout: Layout::signed_in(state, owner, "webhooks").await?,
        enabled: found.enabled,
        plan: found.plan.name,
        upgrade_to: found.upgrade_to.map(|p| p.name),
        endpoints,
        widgets,
        events: webhooks::EVENTS,
        notice,
        error: error.map(Alert::from),
        secret,
    };
    Ok(render(&page)?.into_response())
}

/// After a change: back to the page with `notice`; a refusal re-renders it
/// with the error and its status.
async fn outcome<T>(
    state: &AppState,
    owner: &OwnerSession,
    result: AppResult<T>,
    notice: &str,
) -> ApiResult<Response> {
    match result {
        Ok(_) => Ok(redirect(&format!("/app/webhooks?notice={notice}"), [])),
        Err(err) if err.code().is_client_error() => Ok(with_status(
            webhooks_page(state, owner, None, Some(&err), None).await?,
            &err,
        )),
        Err(err) => Err(err.into()),
    }
}

/// An endpoint form: the URL, a checkbox per event, and (when adding) the
/// widget, blank for all.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointForm {
    #[schema(schema_with = witzo_app::fields::crawl_url)]
    url: String,
    /// `on` when checked: one field per event, named after it with `_`
    /// for `.`.
    lead_created: Option<String>,
    lead_updated: Option<String>,
    conversation_created: Option<String>,
    message_answered: Option<String>,
    source_trained: Option<String>,
    usage_threshold: Option<String>,
    /// When saving: `on` keeps the endpoint active.
    active: Option<String>,
    /// When adding: a widget's id, or blank for every widget.
    widget_id: Option<String>,
    csrf_token: String,
}

impl EndpointForm {
    fn events(&self) -> Vec<String> {
        [
            ("lead.created", &self.lead_created),
            ("lead.updated", &self.lead_updated),
            ("conversation.created", &self.conversation_created),
            ("message.answered", &self.message_answered),
            ("source.trained", &self.source_trained),
            ("usage.threshold", &self.usage_threshold),
        ]
        .into_iter()
        .filter(|(_, on)| on.is_some())
        .map(|(event, _)| event.to_owned())
        .collect()
    }

    fn widget(&self) -> AppResult<Option<WidgetId>> {
        match self.widget_id.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse::<i64>()
                .map(|id| Some(WidgetId::from_raw(id)))
                .map_err(|_| {
                    AppError::new(ErrorCode::ValidationFailed, "Choose a widget.")
                        .field("widget_id")
                }),
        }
    }
}

/// The account's webhook endpoints and their delivery logs.
#[utoipa::path(get, path = "/app/webhooks", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    webhooks_page(&state, &owner, notice_text(q.notice.as_deref()), None, None).await
}

/// Adds an endpoint; the page answering shows its secret once.
#[utoipa::path(post, path = "/app/webhooks", tag = "pages",
    request_body(content = EndpointForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The page with the new secret", content_type = "text/html"),
        (status = 403, description = "The page with `plan_limit_lead_webhook`", content_type = "text/html"),
        (status = 404, description = "The page with `not_found`: not one of your widgets", content_type = "text/html"),
        (status = 422, description = "The page with `validation_failed`, `url_not_allowed`, `unknown_webhook_event` or `too_many_webhooks`", content_type = "text/html")))]
pub async fn create(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiForm(form): ApiForm<EndpointForm>,
) -> ApiResult<Response> {
    let _ = &form.csrf_token;
    let result = match form.widget() {
        Ok(widget_id) => {
            let input = WebhookInput {
                url: form.url.clone(),
                events: form.events(),
                widget_id,
                active: Some(true),
            };
            webhooks::create(&state, owner.account, &input).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(created) => {
            let secret = Some((created.endpoint.id, created.secret));
            webhooks_page(&state, &owner, None, None, secret).await
        }
        Err(err) => outcome::<()>(&state, &owner, Err(err), "").await,
    }
}

/// Saves an endpoint's URL, events and state.
#[utoipa::path(post, path = "/app/webhooks/{id}", tag = "pages", params(("id" = i64, Path)),
    request_body(content = EndpointForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"), (status = 404, description = "Not one of yours"),
        (status = 422, description = "The page with `validation_failed`, `url_not_allowed` or `unknown_webhook_event`", content_type = "text/html")))]
pub async fn update(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WebhookId>,
    ApiForm(form): ApiForm<EndpointForm>,
) -> ApiResult<Response> {
    state.store.webhook_of(owner.account, id).await?;
    let input = WebhookUpdate {
        url: Some(form.url.clone()),
        events: Some(form.events()),
        active: Some(form.active.is_some()),
    };
    let result = webhooks::update(&state, owner.account, id, &input).await;
    outcome(&state, &owner, result, "saved").await
}

/// Deletes an endpoint and its log.
#[utoipa::path(post, path = "/app/webhooks/{id}/delete", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Deleted"), (status = 404, description = "Not one of yours")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WebhookId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    state.store.delete_webhook(owner.account, id).await?;
    Ok(redirect("/app/webhooks?notice=deleted", []))
}

/// Replaces an endpoint's secret; the page answering shows the new one once.
#[utoipa::path(post, path = "/app/webhooks/{id}/secret", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The page with the new secret", content_type = "text/html"), (status = 404, description = "Not one of yours")))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WebhookId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let rotated = webhooks::rotate_secret(&state, owner.account, id).await?;
    let secret = Some((rotated.endpoint.id, rotated.secret));
    webhooks_page(&state, &owner, None, None, secret).await
}

/// Queues a test (`ping`) event to an endpoint.
#[utoipa::path(post, path = "/app/webhooks/{id}/test", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued"), (status = 404, description = "Not one of yours"),
        (status = 403, description = "The page with `plan_limit_lead_webhook`", content_type = "text/html")))]
pub async fn test(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WebhookId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    state.store.webhook_of(owner.account, id).await?;
    let result = webhooks::send_test(&state, owner.account, id).await;
    outcome(&state, &owner, result, "queued").await
}

/// Queues a delivery's event again.
#[utoipa::path(post, path = "/app/webhooks/deliveries/{id}/redeliver", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Queued"), (status = 404, description = "Not one of yours"),
        (status = 403, description = "The page with `plan_limit_lead_webhook`", content_type = "text/html")))]
pub async fn redeliver(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<DeliveryId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    state.store.delivery_of(owner.account, id).await?;
    let result = webhooks::redeliver(&state, owner.account, id).await;
    outcome(&state, &owner, result, "queued").await
}
