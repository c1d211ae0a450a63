//! The states rows move through, each stored as a fixed lowercase string
//! and parsed where rows are read, so code matches on variants instead of
//! comparing strings.

/// An enum whose variants are stored as the given strings: `as_str`,
/// `TryFrom<String>` (for `#[sqlx(try_from = "String")]`), `Display`, and
/// serde as the same strings.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        // Stored strings are the variants in snake_case, so serde (and the
        // OpenAPI schema, which reads serde's attributes) say the same;
        // a test checks every variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|state| state.as_str() == value)
                    .ok_or_else(|| format!("unknown {} {value:?}", stringify!($name)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum!(
    /// What an owner API key may do.
    ApiScope {
        /// Read every resource the key reaches.
        Read => "read",
        /// Change them: settings, sources, training, leads, deletions.
        Write => "write",
        /// Ask the agent (`POST /api/v1/chat`).
        Chat => "chat",
    }
);

stored_enum!(
    /// Where a background job stands.
    JobStatus {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl JobStatus {
    /// Whether the job has ended (it will not run again).
    pub fn ended(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

stored_enum!(
    /// Where a knowledge source stands.
    SourceStatus {
        /// Work on it is queued.
        Queued => "queued",
        Running => "running",
        /// Its last run finished.
        Ready => "ready",
        Failed => "failed",
    }
);

stored_enum!(
    /// What became of a page or document in its last run.
    PageStatus {
        /// A document waiting for its extraction.
        Queued => "queued",
        /// Its knowledge was (re)built.
        Indexed => "indexed",
        /// Unchanged since the run before; its knowledge stays.
        Unchanged => "unchanged",
        /// Not used (not HTML, robots.txt, over the plan's limit…).
        Skipped => "skipped",
        Failed => "failed",
    }
);

stored_enum!(
    /// An account's subscription.
    SubscriptionStatus {
        Active => "active",
        /// A payment failed; the provider is retrying. Service continues.
        PastDue => "past_due",
        /// Ended; the account is on the Free plan.
        Cancelled => "cancelled",
    }
);

stored_enum!(
    /// Who wrote a message of a conversation.
    Role {
        Visitor => "visitor",
        Assistant => "assistant",
    }
);

stored_enum!(
    /// What a knowledge source is.
    SourceKind {
        /// A website, crawled.
        Website => "website",
        /// A widget's uploaded documents.
        Documents => "documents",
    }
);

stored_enum!(
    /// What a row of a source is.
    PageKind {
        /// A page of a website.
        Page => "page",
        /// An uploaded document.
        Document => "document",
    }
);

stored_enum!(
    /// Where the owner stands with a lead.
    LeadStatus {
        New => "new",
        Contacted => "contacted",
        Qualified => "qualified",
        Converted => "converted",
        Lost => "lost",
    }
);

stored_enum!(
    /// How a lead reached the owner.
    LeadSource {
        /// The widget's lead form.
        Form => "form",
        /// An e-mail address or phone number typed into the chat.
        Chat => "chat",
    }
);

stored_enum!(
    /// How the owner hears of new leads.
    LeadAlerts {
        /// An e-mail for each new lead.
        Each => "each",
        /// One e-mail a day listing the day's new leads.
        Daily => "daily",
        Off => "off",
    }
);

stored_enum!(
    /// Where a webhook delivery stands.
    DeliveryStatus {
        /// Waiting for its first attempt or its next retry.
        Pending => "pending",
        /// The endpoint answered 2xx.
        Delivered => "delivered",
        /// Every attempt failed (or the delivery could not be made).
        Failed => "failed",
    }
);

stored_enum!(
    /// What a widget on an owner's page reports, for analytics.
    WidgetEventKind {
        /// The widget was loaded on a page.
        WidgetLoaded => "widget_loaded",
        /// The visitor opened the chat.
        Opened => "opened",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_they_are_stored_and_refuse_others() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::try_from(status.as_str().to_owned()), Ok(*status));
        }
        assert_eq!(
            SubscriptionStatus::try_from("past_due".to_owned()),
            Ok(SubscriptionStatus::PastDue)
        );
        assert_eq!(
            PageStatus::try_from("Indexed".to_owned()),
            Err("unknown PageStatus \"Indexed\"".to_owned())
        );
        let serialised = |value: serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        for status in JobStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for status in LeadStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for source in LeadSource::ALL {
            assert_eq!(serialised(serde_json::json!(source)), source.as_str());
        }
        for alerts in LeadAlerts::ALL {
            assert_eq!(serialised(serde_json::json!(alerts)), alerts.as_str());
        }
        for status in SourceStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for status in PageStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for status in SubscriptionStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for role in Role::ALL {
            assert_eq!(serialised(serde_json::json!(role)), role.as_str());
        }
        for status in DeliveryStatus::ALL {
            assert_eq!(serialised(serde_json::json!(status)), status.as_str());
        }
        for kind in WidgetEventKind::ALL {
            assert_eq!(serialised(serde_json::json!(kind)), kind.as_str());
        }
    }
}
