//! The owner's lead settings: how they hear of new leads, and the
//! follow-up e-mail each lead gets (plans with `follow_up_email`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::domain::{AccountId, LeadAlerts, TextRules};
use witzo_store::leads::LeadSettings;
use witzo_store::widgets::Flag;

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::widgets::plans::feature_access;

/// The longest delay before a follow-up: a week.
pub const MAX_DELAY_MINUTES: i64 = 7 * 24 * 60;

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadSettingsView {
    pub alerts: LeadAlerts,
    pub follow_up: bool,
    pub subject: String,
    pub body: String,
    pub delay_minutes: i64,
    /// Whether the account's plan includes the follow-up e-mail.
    pub follow_up_available: bool,
    /// The first plan that includes it, when the account's does not.
    pub follow_up_plan: Option<String>,
}

impl LeadSettingsView {
    /// The settings with the owner's unsaved draft in place of what is
    /// stored (the form shown again after a refusal).
    pub fn with_draft(self, draft: LeadSettingsInput) -> Self {
        Self {
            alerts: draft.alerts,
            follow_up: draft.follow_up,
            subject: draft.subject,
            body: draft.body,
            delay_minutes: draft.delay_minutes,
            ..self
        }
    }
}

/// What the owner sets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadSettingsInput {
    pub alerts: LeadAlerts,
    pub follow_up: bool,
    /// One line, up to 200 characters; the follow-up is sent only once it
    /// and `body` are written.
    #[schema(schema_with = crate::fields::text::<200>)]
    pub subject: String,
    /// Up to 5,000 characters.
    /// `{name}`, `{business}` and `{question}` are filled in.
    #[schema(schema_with = crate::fields::text::<5000>)]
    pub body: String,
    #[schema(minimum = 0, maximum = 10080)]
    pub delay_minutes: i64,
}

pub async fn get(core: &Core, account: AccountId) -> AppResult<LeadSettingsView> {
    let settings = core.store.lead_settings(account).await?;
    let access = feature_access(&core.store, account, "follow_up_email").await?;
    Ok(LeadSettingsView {
        alerts: settings.alerts,
        follow_up: settings.follow_up.0,
        subject: settings.subject,
        body: settings.body,
        delay_minutes: settings.delay_minutes,
        follow_up_available: access.enabled,
        follow_up_plan: access.upgrade_to.map(|p| p.name),
    })
}

pub async fn save(
    core: &Core,
    account: AccountId,
    input: &LeadSettingsInput,
) -> AppResult<LeadSettingsView> {
    // Subject and text are what the owner writes when they are ready; a
    // follow-up switched on without them is kept and sends nothing.
    let subject = input::text(
        "subject",
        Some(&input.subject),
        TextRules {
            max_chars: 200,
            multiline: false,
            required: false,
        },
    )?;
    let body = input::text(
        "body",
        Some(&input.body),
        TextRules {
            max_chars: 5000,
            multiline: true,
            required: false,
        },
    )?;
    if !(0..=MAX_DELAY_MINUTES).contains(&input.delay_minutes) {
        return Err(AppError::new(
            ErrorCode::ValidationFailed,
            "delay_minutes must be between 0 and 10080 (a week)",
        )
        .field("delay_minutes"));
    }
    if input.follow_up {
        feature_access(&core.store, account, "follow_up_email")
            .await?
            .require(ErrorCode::PlanLimitFollowUpEmail, "the follow-up e-mail")?;
    }
    let settings = LeadSettings {
        alerts: input.alerts,
        follow_up: Flag(input.follow_up),
        subject,
        body,
        delay_minutes: input.delay_minutes,
    };
    core.store
        .save_lead_settings(account, &settings, witzo_store::now())
        .await?;
    get(core, account).await
}
