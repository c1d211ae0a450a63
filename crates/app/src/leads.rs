//! Leads: the contact details visitors left, newest first. Leads past the
//! plan's limit are kept but locked: listed without their details until an
//! upgrade. The JSON API and the Leads page both read them here.

use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::conversations::LeadRow;
use witzo_store::domain::AccountId;

use crate::core::Core;
use crate::error::AppResult;

/// How many leads the list shows.
const SHOWN: i64 = 500;

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
    pub id: i64,
    pub widget_id: i64,
    pub widget: String,
    /// `form` or `chat`.
    pub source: String,
    pub created_at: i64,
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
            created_at: row.created_at,
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

/// The account's newest leads across its widgets.
pub async fn leads_of(state: &Core, account: AccountId) -> AppResult<Vec<LeadView>> {
    Ok(state
        .store
        .leads_of(account, SHOWN)
        .await?
        .into_iter()
        .map(LeadView::from)
        .collect())
}
