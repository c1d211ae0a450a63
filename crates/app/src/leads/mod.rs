//! Leads a business can work: captured from the widget's form and from
//! contact details typed into the chat (`capture`), listed, searched,
//! updated and deleted here, exported (`export`), announced to the owner
//! and followed up by e-mail (`notify`). Leads past the plan's limit are
//! kept but locked: listed without their details until an upgrade.

pub mod capture;
pub mod export;
pub mod notify;
pub mod settings;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use witzo_store::domain::{
    AccountId, LeadId, LeadSource, LeadStatus, TextRules, WidgetId, redact_contacts,
};
use witzo_store::leads::{LeadQuery, LeadRow, LeadSort};

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;

/// Leads on one page of the list.
pub const PAGE: i64 = 50;

/// Contact details of an unlocked lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadView {
    #[schema(value_type = i64)]
    pub id: LeadId,
    #[schema(value_type = i64)]
    pub widget_id: WidgetId,
    pub widget: String,
    pub source: LeadSource,
    pub status: LeadStatus,
    /// The owner's notes.
    pub notes: String,
    /// What the visitor asked first.
    pub summary: String,
    /// ISO 3166 alpha-2 from the browser's language, or empty.
    pub country: String,
    /// The conversation's public id (`c_…`), when the lead has one.
    pub conversation: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the follow-up e-mail was sent to the lead.
    pub follow_up_sent_at: Option<i64>,
    /// Past the plan's leads: kept, details shown after an upgrade.
    pub locked: bool,
    /// `null` while locked.
    pub contact: Option<Contact>,
}

impl From<LeadRow> for LeadView {
    fn from(row: LeadRow) -> Self {
        let locked = row.locked.0;
        Self {
            id: row.id,
            widget_id: row.widget_id,
            widget: row.widget_name,
            source: row.source,
            status: row.status,
            notes: row.notes,
            summary: if locked { String::new() } else { row.summary },
            country: row.country,
            conversation: row.conversation,
            created_at: row.created_at,
            updated_at: row.updated_at,
            follow_up_sent_at: row.follow_up_sent_at,
            locked,
            contact: (!locked).then_some(Contact {
                name: row.name,
                email: row.email,
                phone: row.phone,
                company: row.company,
                message: row.message,
            }),
        }
    }
}

/// How the owner narrows the list (every field optional).
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    /// A widget's id.
    pub widget: Option<i64>,
    pub source: Option<LeadSource>,
    /// Received on or after this day (`YYYY-MM-DD`, the owner's time zone).
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub from: Option<String>,
    /// Received on or before this day (`YYYY-MM-DD`, the owner's time zone).
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub to: Option<String>,
    /// Up to 200 characters.
    #[param(max_length = 200)]
    /// Words in the name, e-mail, phone, company, message, notes or summary.
    pub q: Option<String>,
    #[param(inline)]
    pub sort: Option<LeadSort>,
    /// 1-based page of 50 (the list; an export has every page).
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// The export's format (`csv`, the default, or `json`); the list
    /// ignores it.
    #[param(inline)]
    pub format: Option<export::ExportFormat>,
}

impl LeadFilter {
    /// The store's query for this filter, days read in `time_zone`.
    pub fn query(&self, time_zone: &str) -> AppResult<LeadQuery> {
        let day = |field: &str, raw: &Option<String>, next: bool| -> AppResult<Option<i64>> {
            match raw.as_deref().filter(|r| !r.is_empty()) {
                None => Ok(None),
                Some(raw) => crate::format::day_start(raw, time_zone, next)
                    .map(Some)
                    .ok_or_else(|| invalid(field, format!("{field} must be a day as YYYY-MM-DD"))),
            }
        };
        let page = self.page.unwrap_or(1);
        if !(1..=100_000).contains(&page) {
            return Err(invalid("page", "page must be between 1 and 100000"));
        }
        let text = input::text("q", self.q.as_deref(), input::line(200))?;
        Ok(LeadQuery {
            status: self.status,
            widget: self.widget.map(WidgetId::from_raw),
            source: self.source,
            from: day("from", &self.from, false)?,
            to: day("to", &self.to, true)?,
            text: (!text.is_empty()).then_some(text),
            sort: self.sort.unwrap_or_default(),
            offset: (page - 1) * PAGE,
            limit: PAGE,
        })
    }
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

/// One page of the owner's leads.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadPage {
    pub leads: Vec<LeadView>,
    /// Leads matching the filter, on all pages.
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The account's leads matching `filter`, one page.
pub async fn list(core: &Core, account: AccountId, filter: &LeadFilter) -> AppResult<LeadPage> {
    let time_zone = core.store.account_by_id(account).await?.time_zone;
    let query = filter.query(&time_zone)?;
    let total = core.store.count_leads(account, &query).await?;
    let leads = core.store.find_leads(account, &query).await?;
    Ok(LeadPage {
        leads: leads.into_iter().map(LeadView::from).collect(),
        total,
        page: query.offset / PAGE + 1,
        pages: (total + PAGE - 1) / PAGE,
    })
}

pub async fn get(core: &Core, account: AccountId, id: LeadId) -> AppResult<LeadView> {
    Ok(core.store.lead_of(account, id).await?.into())
}

/// What the owner changes on a lead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadUpdate {
    pub status: Option<LeadStatus>,
    /// Up to 5,000 characters.
    #[schema(schema_with = crate::fields::nullable_text::<5000>)]
    pub notes: Option<String>,
}

pub async fn update(
    core: &Core,
    account: AccountId,
    id: LeadId,
    change: &LeadUpdate,
) -> AppResult<LeadView> {
    let notes = change
        .notes
        .as_deref()
        .map(|raw| {
            input::text(
                "notes",
                Some(raw),
                TextRules {
                    max_chars: 5000,
                    multiline: true,
                    required: false,
                },
            )
        })
        .transpose()?;
    let lead = core
        .store
        .update_lead(
            account,
            id,
            change.status,
            notes.as_deref(),
            witzo_store::now(),
        )
        .await?;
    notify::announce(core, account, id, "lead.updated").await;
    Ok(lead.into())
}

/// Deletes a lead and the contact details in its conversation: the
/// visitor's e-mail addresses and phone numbers there are replaced by
/// `[removed]`.
pub async fn delete(core: &Core, account: AccountId, id: LeadId) -> AppResult<()> {
    let lead = core.store.delete_lead(account, id).await?;
    if let Some(conversation) = lead.conversation {
        let changed: Vec<(i64, String)> = core
            .store
            .visitor_messages(account, &conversation)
            .await?
            .into_iter()
            .filter_map(|(id, body)| {
                let redacted = redact_contacts(&body);
                (redacted != body).then_some((id, redacted))
            })
            .collect();
        core.store.rewrite_messages(&changed).await?;
    }
    Ok(())
}
