//! Typed values parsed at the edge. Each has private fields and a `parse`
//! constructor, so a value of the type is proof that it was validated.

mod allowed_domain;
mod contact;
mod country;
mod email;
mod ids;
mod qa;
mod sanitize;
mod states;
mod text;
mod web_url;
mod widget_key;

pub use allowed_domain::AllowedDomain;
pub use contact::{
    ContactKind, ContactSpan, contact_parts, contact_spans, first_contacts, redact_contacts,
};
pub use country::CountryCode;
pub use email::EmailAddress;
pub use ids::{
    AccountId, ApiKeyId, DeliveryId, GapId, JobId, LeadId, PageId, QaId, SourceId, WebhookId,
    WidgetId,
};
pub use qa::{QA_ANSWER_MAX_CHARS, QA_QUESTION_MAX_CHARS, QaInvalid, QaText};
pub use sanitize::sanitize_rich_text;
pub use states::{
    ApiScope, DeliveryStatus, JobStatus, LeadAlerts, LeadSource, LeadStatus, PageKind, PageStatus,
    Role, SourceKind, SourceStatus, SubscriptionStatus, WidgetEventKind,
};
pub use text::{CleanText, TextRules};
pub use web_url::WebUrl;
pub use widget_key::{ConversationId, WidgetKey, is_public_id, random_public_id};

/// Why a value was refused. `field` is filled in by the caller that knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub message: String,
}

impl InvalidValue {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
