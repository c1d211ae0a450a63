//! What owners do to their widgets, shared by the JSON API and the pages.
//! Every operation takes the owner, so another account's widget is 404.

use serde::Deserialize;
use std::net::IpAddr;
use utoipa::ToSchema;
use witzo_store::StoreError;
use witzo_store::audit::AuditKind;
use witzo_store::domain::{AccountId, AllowedDomain, CleanText, TextRules, WidgetId, WidgetKey};
use witzo_store::widgets::{Widget, WidgetFields};

use super::logo;
use super::plans::{Capped, limit_error};
use super::settings::WidgetSettings;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use witzo_store::plans::Plan;

/// Most allowed domains one widget may list.
pub const MAX_DOMAINS: usize = 50;

/// A widget as an owner writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetInput {
    /// Up to 80 characters, not blank.
    #[schema(schema_with = crate::fields::required_text::<80>)]
    pub name: String,
    /// Hosts (`shop.example.com`) or wildcards (`*.example.com`); empty means
    /// the widget answers only in the dashboard preview.
    #[serde(default)]
    #[schema(schema_with = crate::fields::allowed_domains)]
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub settings: WidgetSettings,
    /// Off: the widget refuses every visitor (`widget_inactive`).
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

struct Checked {
    name: String,
    domains: Vec<String>,
    settings: String,
}

/// Longest allowed-domain entry, in characters as sent (a host name has at
/// most 253).
const MAX_DOMAIN_CHARS: usize = 253;

/// Parses one allowed domain per entry; every entry must be one (forms drop
/// their blank lines before), at most [`MAX_DOMAINS`] entries.
pub fn parse_domains(raw: &[String]) -> AppResult<Vec<String>> {
    let invalid =
        |why: String| AppError::new(ErrorCode::ValidationFailed, why).field("allowed_domains");
    if raw.len() > MAX_DOMAINS {
        return Err(invalid(format!(
            "allowed_domains may list at most {MAX_DOMAINS} domains"
        )));
    }
    let mut domains: Vec<String> = Vec::new();
    for entry in raw {
        if entry.chars().count() > MAX_DOMAIN_CHARS {
            return Err(invalid(format!(
                "allowed_domains: each domain must be at most {MAX_DOMAIN_CHARS} characters"
            )));
        }
        let domain = AllowedDomain::parse(entry)
            .map_err(|e| invalid(format!("allowed_domains: {e}")))?
            .to_string();
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

async fn plan_of(state: &Core, account: AccountId) -> AppResult<Plan> {
    Ok(state.store.account_plan(account).await?)
}

fn check(input: &WidgetInput, plan: &Plan) -> AppResult<Checked> {
    let name = CleanText::parse(
        &input.name,
        TextRules {
            max_chars: 80,
            multiline: false,
            required: true,
        },
    )
    .map_err(|e| AppError::new(ErrorCode::ValidationFailed, format!("name {e}")).field("name"))?
    .into_string();
    let domains = parse_domains(&input.allowed_domains)?;
    let settings = input
        .settings
        .clone()
        .validate(plan.features.white_label.0)?
        .to_stored();
    Ok(Checked {
        name,
        domains,
        settings,
    })
}

fn fields(checked: &Checked) -> WidgetFields<'_> {
    WidgetFields {
        name: &checked.name,
        allowed_domains: &checked.domains,
        settings: &checked.settings,
    }
}

async fn audit(
    state: &Core,
    account: AccountId,
    ip: IpAddr,
    kind: AuditKind,
    widget: &Widget,
) -> AppResult<()> {
    let detail = format!("widget {}", widget.id);
    state
        .store
        .record_audit(
            Some(account),
            kind,
            &ip.to_string(),
            &detail,
            witzo_store::now(),
        )
        .await?;
    Ok(())
}

pub async fn create(
    state: &Core,
    account: AccountId,
    ip: IpAddr,
    input: &WidgetInput,
) -> AppResult<Widget> {
    let plan = plan_of(state, account).await?;
    let checked = check(input, &plan)?;
    let key = WidgetKey::generate();
    let now = witzo_store::now();
    let mut widget = match state
        .store
        .create_widget(account, key.as_str(), &fields(&checked), plan.widgets, now)
        .await
    {
        Err(StoreError::TooMany) => {
            let used =
                i64::try_from(state.store.widgets_of(account).await?.len()).unwrap_or(i64::MAX);
            let limit = plan.widgets.unwrap_or_default();
            return Err(limit_error(&state.store, &plan, Capped::Widgets, used, limit).await?);
        }
        other => other?,
    };
    if !input.active {
        widget = state
            .store
            .set_widget_active(account, widget.id, false, now)
            .await?;
    }
    audit(state, account, ip, AuditKind::WidgetCreated, &widget).await?;
    Ok(widget)
}

pub async fn update(
    state: &Core,
    account: AccountId,
    id: WidgetId,
    input: &WidgetInput,
) -> AppResult<Widget> {
    let plan = plan_of(state, account).await?;
    let checked = check(input, &plan)?;
    let now = witzo_store::now();
    let widget = state
        .store
        .update_widget(account, id, &fields(&checked), now)
        .await?;
    if widget.is_active() == input.active {
        return Ok(widget);
    }
    Ok(state
        .store
        .set_widget_active(account, id, input.active, now)
        .await?)
}

pub async fn set_active(
    state: &Core,
    account: AccountId,
    id: WidgetId,
    active: bool,
) -> AppResult<Widget> {
    Ok(state
        .store
        .set_widget_active(account, id, active, witzo_store::now())
        .await?)
}

pub async fn regenerate_key(
    state: &Core,
    account: AccountId,
    ip: IpAddr,
    id: WidgetId,
) -> AppResult<Widget> {
    let widget = state
        .store
        .regenerate_widget_key(
            account,
            id,
            WidgetKey::generate().as_str(),
            witzo_store::now(),
        )
        .await?;
    audit(state, account, ip, AuditKind::WidgetKeyRegenerated, &widget).await?;
    Ok(widget)
}

pub async fn delete(state: &Core, account: AccountId, ip: IpAddr, id: WidgetId) -> AppResult<()> {
    let widget = state.store.widget_of(account, id).await?;
    state.store.delete_widget(account, id).await?;
    audit(state, account, ip, AuditKind::WidgetDeleted, &widget).await
}

pub async fn set_logo(
    state: &Core,
    account: AccountId,
    id: WidgetId,
    bytes: Vec<u8>,
) -> AppResult<Widget> {
    let logo = logo::accept(bytes)?;
    Ok(state
        .store
        .set_widget_logo(account, id, &logo, witzo_store::now())
        .await?)
}

pub async fn remove_logo(state: &Core, account: AccountId, id: WidgetId) -> AppResult<Widget> {
    Ok(state
        .store
        .remove_widget_logo(account, id, witzo_store::now())
        .await?)
}

/// The one-line snippet owners paste on their site.
pub fn embed_snippet(state: &Core, key: &str) -> String {
    let base = state.public_url.as_str().trim_end_matches('/');
    format!("<script src=\"{base}/embed/{key}.js\" async></script>")
}

/// A preview token for the dashboard, valid 15 minutes.
pub fn preview_token(state: &Core, key: &str) -> String {
    state.keys.preview_token(key, witzo_store::now() + 900)
}
