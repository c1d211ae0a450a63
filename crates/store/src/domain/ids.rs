use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id read from the database or a trusted caller.
            pub fn from_raw(raw: i64) -> Self {
                Self(raw)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self(raw)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// The id of an owner's account (the tenant).
    AccountId
);
typed_id!(
    /// The id of a background job.
    JobId
);
typed_id!(
    /// The id of a chat widget (internal; visitors see its public key).
    WidgetId
);
typed_id!(
    /// The id of a knowledge source (a website or a widget's documents).
    SourceId
);
typed_id!(
    /// The id of one crawled page or uploaded document.
    PageId
);
typed_id!(
    /// The id of a lead (contact details a visitor left).
    LeadId
);
typed_id!(
    /// The id of an owner's Q&A pair (a question and its corrected answer).
    QaId
);
typed_id!(
    /// The id of an owner's outgoing-webhook endpoint.
    WebhookId
);
typed_id!(
    /// The id of one delivery of an event to a webhook endpoint.
    DeliveryId
);
typed_id!(
    /// The id of an owner's API key.
    ApiKeyId
);
typed_id!(
    /// The id of a content gap (a group of unanswered questions).
    GapId
);
