//! Widget pages: list and create, the first-run setup, settings with a live
//! preview, embed snippet and health, key regeneration, logo, deletion, and
//! the latest conversations.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use witzo_store::conversations::{ConversationSummary, EmbedOrigin};
use witzo_store::domain::{AllowedDomain, WidgetId};
use witzo_store::widgets::Widget;

use super::sign_in::Alert;
use super::{CsrfForm, Layout, NoticeQuery, PageOwner, render, with_status};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiForm, ApiMultipart, ApiPath, ApiQuery, ClientIp, OwnerSession};
use crate::routes::redirect;
use crate::state::AppState;
use witzo_app::format;
use witzo_app::widgets::service::{self, WidgetInput};
use witzo_app::widgets::settings::{LeadField, LeadForm, Position, WidgetSettings};
use witzo_app::widgets::setup::{self, Setup, SetupDone};

/// The languages the widget speaks: its own texts (assets/widget.js,
/// `STRINGS`) exist in each (tag, name). Other tags are accepted; the
/// widget then speaks English.
pub const WIDGET_LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("pl", "Polski"),
    ("sv", "Svenska"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
    ("he", "עברית"),
];

fn notice_text(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "created" => Some("Your widget is ready. Paste the snippet on your site."),
        "saved" => Some("Saved."),
        "key_regenerated" => Some(
            "The widget has a new key. Replace the snippet on your site: the old key no longer works.",
        ),
        "deleted" => Some("The widget is deleted."),
        "logo_saved" => Some("The logo is saved."),
        "logo_removed" => Some("The logo is removed."),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "app/widgets.html")]
struct ListPage {
    layout: Layout,
    widgets: Vec<Widget>,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

async fn list_page(
    state: &AppState,
    owner: &OwnerSession,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let page = ListPage {
        layout: Layout::signed_in(state, owner, "widgets").await?,
        widgets: state.store.widgets_of(owner.account).await?,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// The owner's widgets and a form to create one.
#[utoipa::path(get, path = "/app/widgets", tag = "pages", params(NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn list(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    list_page(&state, &owner, notice_text(q.notice.as_deref()), None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    #[schema(schema_with = witzo_app::fields::required_text::<80>)]
    name: String,
    /// One host per line.
    #[schema(schema_with = witzo_app::fields::domain_lines)]
    allowed_domains: String,
    csrf_token: String,
}

/// Creates a widget from the list page.
#[utoipa::path(post, path = "/app/widgets", tag = "pages",
    request_body(content = CreateForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the new widget"),
        (status = 403, description = "The list with `plan_limit_widgets`", content_type = "text/html"),
        (status = 422, description = "The list with the error", content_type = "text/html")))]
pub async fn create(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<CreateForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let input = WidgetInput {
        name: form.name,
        allowed_domains: format::lines(&form.allowed_domains),
        settings: WidgetSettings::default(),
        active: true,
    };
    match service::create(&state, owner.account, ip.0, &input).await {
        Ok(widget) => Ok(redirect(
            &format!("/app/widgets/{}?notice=created", widget.id),
            [],
        )),
        Err(err) if err.code().is_client_error() => Ok(with_status(
            list_page(&state, &owner, None, Some(Alert::from(&err))).await?,
            &err,
        )),
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "app/setup.html")]
struct SetupPage {
    layout: Layout,
    error: Option<Alert>,
    name: String,
    website: String,
    domain: String,
}

/// The first-run setup: name the widget, say where it will live.
#[utoipa::path(get, path = "/app/setup", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn setup(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
) -> ApiResult<Response> {
    let page = SetupPage {
        layout: Layout::signed_in(&state, &owner, "overview").await?,
        error: None,
        name: "My website chat".to_owned(),
        website: String::new(),
        domain: String::new(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupForm {
    #[schema(schema_with = witzo_app::fields::required_text::<80>)]
    name: String,
    /// The owner's website, e.g. `https://shop.example.com`: its crawl
    /// starts with the widget (empty: none; one the crawler refuses is an
    /// error).
    #[schema(schema_with = witzo_app::fields::crawl_url_or_blank)]
    website: String,
    /// Where the widget may answer; defaults to the website's host.
    #[schema(schema_with = witzo_app::fields::domain_or_blank)]
    domain: String,
    csrf_token: String,
}

/// The setup form again with what was typed and why it was refused.
async fn setup_failed(
    state: &AppState,
    owner: &OwnerSession,
    err: ApiError,
    (name, website, domain): (String, String, String),
) -> ApiResult<Response> {
    if !err.code().is_client_error() {
        return Err(err);
    }
    let page = SetupPage {
        layout: Layout::signed_in(state, owner, "overview").await?,
        error: Some(Alert::from(&err)),
        name,
        website,
        domain,
    };
    Ok(with_status(render(&page)?.into_response(), &err))
}

/// Finishes the setup: creates the first widget and, given a website,
/// starts its crawl (as the Sources page would) and shows its progress.
#[utoipa::path(post, path = "/app/setup", tag = "pages",
    request_body(content = SetupForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the first crawl's progress, or to the new widget without a website"),
        (status = 403, description = "The form with `plan_limit_widgets`", content_type = "text/html"),
        (status = 422, description = "The form with the error: `url_not_allowed` for a website the crawler refuses (naming `crawler.allow` in development), `validation_failed`", content_type = "text/html")))]
pub async fn finish_setup(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiForm(form): ApiForm<SetupForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let setup = Setup {
        name: &form.name,
        website: &form.website,
        domain: &form.domain,
    };
    let done = match setup::finish(&state, owner.account, ip.0, &setup).await {
        Ok(done) => done,
        Err(err) => {
            let website = form.website.trim().to_owned();
            let draft = (form.name.clone(), website, setup.allowed_domain());
            return setup_failed(&state, &owner, err.into(), draft).await;
        }
    };
    let to = match done {
        SetupDone::Created(widget) => format!("/app/widgets/{}?notice=created", widget.id),
        SetupDone::Training(widget) => format!("/app/widgets/{}/training", widget.id),
        SetupDone::WebsiteRefused(widget, err) => {
            return super::sources::render_failure(&state, &owner, widget, err.into()).await;
        }
    };
    Ok(redirect(&to, []))
}

#[derive(Template)]
#[template(path = "app/widget.html")]
struct WidgetPage {
    layout: Layout,
    widget: Widget,
    settings: WidgetSettings,
    domains: String,
    questions: String,
    snippet: String,
    preview_token: String,
    widget_js: String,
    /// Each origin, when it was last seen, and what to do if it was
    /// refused only for being plain http.
    health: Vec<(EmbedOrigin, String, Option<String>)>,
    conversations: Vec<(ConversationSummary, String)>,
    has_logo: bool,
    /// Custom instructions are followed only when an LLM writes answers.
    llm_configured: bool,
    notice: Option<&'static str>,
    error: Option<Alert>,
}

impl WidgetPage {
    fn languages(&self) -> &'static [(&'static str, &'static str)] {
        WIDGET_LANGUAGES
    }

    /// A stored tag the list does not name, kept selectable as it is, with
    /// the language the widget's texts are then in (`de-AT`: Deutsch).
    fn other_language(&self) -> Option<String> {
        let tag = self.settings.language.as_str();
        if WIDGET_LANGUAGES.iter().any(|(known, _)| *known == tag) {
            return None;
        }
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let speaks = WIDGET_LANGUAGES
            .iter()
            .find(|(known, _)| *known == primary)
            .map_or("English", |(_, name)| name);
        Some(format!("{tag} (texts in {speaks})"))
    }

    fn lead(&self, field: &str) -> bool {
        self.settings
            .lead_form
            .fields
            .iter()
            .any(|f| lead_name(*f) == field)
    }
}

fn lead_name(field: LeadField) -> &'static str {
    match field {
        LeadField::Name => "name",
        LeadField::Email => "email",
        LeadField::Phone => "phone",
        LeadField::Company => "company",
        LeadField::Message => "message",
    }
}

/// The widget page again, showing the owner's draft settings and why they
/// were refused; a server error stays an error.
async fn refused_settings(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    draft: Option<WidgetSettings>,
    err: ApiError,
) -> ApiResult<Response> {
    if !err.code().is_client_error() {
        return Err(err);
    }
    let page = widget_page(state, owner, widget, draft, None, Some(Alert::from(&err))).await?;
    Ok(with_status(page, &err))
}

async fn widget_page(
    state: &AppState,
    owner: &OwnerSession,
    widget: Widget,
    settings: Option<WidgetSettings>,
    notice: Option<&'static str>,
    error: Option<Alert>,
) -> ApiResult<Response> {
    let settings = settings.unwrap_or_else(|| WidgetSettings::from_stored(&widget.settings));
    state.health.flush(&state.store).await?;
    let health = state
        .store
        .embed_origins_of(owner.account, widget.id)
        .await?;
    let conversations = state
        .store
        .conversations_of(owner.account, widget.id, 20)
        .await?;
    let page = WidgetPage {
        layout: Layout::signed_in(state, owner, "widgets").await?,
        domains: widget.domains().collect::<Vec<_>>().join("\n"),
        questions: settings.suggested_questions.join("\n"),
        snippet: service::embed_snippet(state, &widget.public_key),
        preview_token: service::preview_token(state, &widget.public_key),
        widget_js: format!("/widget.js?v={}", state.assets.widget.hash),
        health: health
            .into_iter()
            .map(|h| {
                let at = format::utc_minute(h.last_seen);
                let hint = http_hint(&widget, &h);
                (h, at, hint)
            })
            .collect(),
        conversations: conversations
            .into_iter()
            .map(|c| {
                let at = format::utc_minute(c.updated_at);
                (c, at)
            })
            .collect(),
        has_logo: state.store.widget_logo_hash(widget.id).await?.is_some(),
        llm_configured: state.config.answers.llm.base_url.is_some(),
        settings,
        widget,
        notice,
        error,
    };
    Ok(render(&page)?.into_response())
}

/// For a plain-http page refused although its host is allowed on https:
/// how to allow it.
fn http_hint(widget: &Widget, seen: &EmbedOrigin) -> Option<String> {
    let page = crate::routes::public::gate::parse_origin(&seen.origin)?;
    if seen.allowed == 1 || page.https {
        return None;
    }
    let host = page.host;
    widget
        .domains()
        .filter_map(|d| AllowedDomain::parse(d).ok())
        .any(|d| d.allows(true, &host))
        .then(|| {
            format!("A plain-http page: write http://{host} in the allowed domains to allow it.")
        })
}

/// A widget: settings, preview, snippet, embed health, conversations.
#[utoipa::path(get, path = "/app/widgets/{id}", tag = "pages", params(("id" = i64, Path), NoticeQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "Not one of yours")))]
pub async fn page(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    widget_page(
        &state,
        &owner,
        widget,
        None,
        notice_text(q.notice.as_deref()),
        None,
    )
    .await
}

/// The settings form. Checkboxes are absent when unticked.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsForm {
    #[schema(schema_with = witzo_app::fields::required_text::<80>)]
    name: String,
    #[schema(schema_with = witzo_app::fields::domain_lines)]
    allowed_domains: String,
    active: Option<String>,
    #[schema(schema_with = witzo_app::fields::required_text::<60>)]
    title: String,
    #[schema(schema_with = witzo_app::fields::text::<500>)]
    welcome_message: String,
    #[schema(schema_with = witzo_app::fields::text::<80>)]
    placeholder: String,
    #[schema(schema_with = witzo_app::fields::color)]
    primary_color: String,
    position: Position,
    #[schema(schema_with = witzo_app::fields::auto_open_text)]
    auto_open_secs: String,
    #[schema(schema_with = witzo_app::fields::question_lines)]
    suggested_questions: String,
    #[schema(schema_with = witzo_app::fields::language)]
    language: String,
    #[schema(schema_with = witzo_app::fields::text::<2000>)]
    instructions: String,
    lead_enabled: Option<String>,
    lead_name: Option<String>,
    lead_email: Option<String>,
    lead_phone: Option<String>,
    lead_company: Option<String>,
    lead_message: Option<String>,
    #[schema(schema_with = witzo_app::fields::lead_after_text)]
    lead_after: String,
    show_branding: Option<String>,
    csrf_token: String,
}

impl SettingsForm {
    /// The rule across fields the document adds to the derived schema: a
    /// lead form that is on names at least one field (checkboxes are sent
    /// only when ticked).
    pub fn schema_rule() -> serde_json::Value {
        serde_json::json!({"anyOf": [
            {"not": {"required": ["lead_enabled"]}},
            {"required": ["lead_name"]},
            {"required": ["lead_email"]},
            {"required": ["lead_phone"]},
            {"required": ["lead_company"]},
            {"required": ["lead_message"]},
        ]})
    }

    fn input(self) -> Result<WidgetInput, ApiError> {
        let number = |field: &str, raw: &str| -> Result<Option<u32>, ApiError> {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse().map(Some).map_err(|_| {
                ApiError::new(
                    crate::error::ErrorCode::ValidationFailed,
                    format!("{field} must be a whole number"),
                )
                .field(field)
            })
        };
        let fields = [
            (self.lead_name.is_some(), LeadField::Name),
            (self.lead_email.is_some(), LeadField::Email),
            (self.lead_phone.is_some(), LeadField::Phone),
            (self.lead_company.is_some(), LeadField::Company),
            (self.lead_message.is_some(), LeadField::Message),
        ]
        .into_iter()
        .filter_map(|(on, field)| on.then_some(field))
        .collect();
        Ok(WidgetInput {
            name: self.name,
            allowed_domains: format::lines(&self.allowed_domains),
            active: self.active.is_some(),
            settings: WidgetSettings {
                primary_color: self.primary_color,
                title: self.title,
                welcome_message: self.welcome_message,
                placeholder: self.placeholder,
                position: self.position,
                auto_open_secs: number("auto_open_secs", &self.auto_open_secs)?,
                suggested_questions: format::lines(&self.suggested_questions),
                language: self.language,
                instructions: self.instructions,
                lead_form: LeadForm {
                    enabled: self.lead_enabled.is_some(),
                    fields,
                    after_messages: number("lead_form.after_messages", &self.lead_after)?
                        .unwrap_or(0),
                },
                show_branding: self.show_branding.is_some(),
            },
        })
    }
}

/// Saves the settings form.
#[utoipa::path(post, path = "/app/widgets/{id}", tag = "pages", params(("id" = i64, Path)),
    request_body(content = SettingsForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved"),
        (status = 403, description = "The page with `plan_limit_white_label` (hiding the branding)", content_type = "text/html"),
        (status = 422, description = "The page with the error", content_type = "text/html")))]
pub async fn save(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<SettingsForm>,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let _ = &form.csrf_token;
    let input = match form.input() {
        Ok(input) => input,
        Err(err) => return refused_settings(&state, &owner, widget, None, err).await,
    };
    match service::update(&state, owner.account, id, &input).await {
        Ok(saved) => Ok(redirect(
            &format!("/app/widgets/{}?notice=saved", saved.id),
            [],
        )),
        Err(err) => {
            let draft = Some(input.settings);
            refused_settings(&state, &owner, widget, draft, err.into()).await
        }
    }
}

/// Gives the widget a new key.
#[utoipa::path(post, path = "/app/widgets/{id}/regenerate-key", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the widget")))]
pub async fn regenerate_key(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    let widget = service::regenerate_key(&state, owner.account, ip.0, id).await?;
    Ok(redirect(
        &format!("/app/widgets/{}?notice=key_regenerated", widget.id),
        [],
    ))
}

/// Deletes the widget.
#[utoipa::path(post, path = "/app/widgets/{id}/delete", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the widget list")))]
pub async fn delete(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ip: ClientIp,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    service::delete(&state, owner.account, ip.0, id).await?;
    Ok(redirect("/app/widgets?notice=deleted", []))
}

/// Uploads a logo (multipart; the CSRF token travels in the action URL).
#[utoipa::path(post, path = "/app/widgets/{id}/logo", tag = "pages", params(("id" = i64, Path), ("csrf_token" = Option<String>, Query, description = "The CSRF token, when no `X-CSRF-Token` header is sent (HTML forms)")),
    request_body(content = crate::routes::widgets::LogoUpload, content_type = "multipart/form-data"),
    responses((status = 303, description = "Back to the widget"),
        (status = 413, description = "The page with `payload_too_large`: over 256 KiB", content_type = "text/html"),
        (status = 415, description = "The page with `unsupported_media_type`: not a PNG, JPEG, GIF or WebP image", content_type = "text/html")))]
pub async fn upload_logo(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let widget = state.store.widget_of(owner.account, id).await?;
    let result = match crate::extract::multipart::logo(multipart).await {
        Ok(bytes) => service::set_logo(&state, owner.account, id, bytes).await,
        Err(ApiError(err)) => Err(err),
    };
    match result {
        Ok(_) => Ok(redirect(
            &format!("/app/widgets/{id}?notice=logo_saved"),
            [],
        )),
        Err(err) if err.code().is_client_error() => Ok(with_status(
            widget_page(&state, &owner, widget, None, None, Some(Alert::from(&err))).await?,
            &err,
        )),
        Err(err) => Err(err.into()),
    }
}

/// Removes the logo.
#[utoipa::path(post, path = "/app/widgets/{id}/logo/remove", tag = "pages", params(("id" = i64, Path)),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Back to the widget")))]
pub async fn remove_logo(
    State(state): State<AppState>,
    PageOwner(owner): PageOwner,
    ApiPath(id): ApiPath<WidgetId>,
    ApiForm(form): ApiForm<CsrfForm>,
) -> ApiResult<Response> {
    let _ = form.csrf_token;
    service::remove_logo(&state, owner.account, id).await?;
    Ok(redirect(
        &format!("/app/widgets/{id}?notice=logo_removed"),
        [],
    ))
}
