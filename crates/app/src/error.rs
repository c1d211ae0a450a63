//! The use cases' one error type: a stable snake_case [`ErrorCode`] from one
//! table (code → HTTP status, for the doors that speak HTTP), a message for
//! the person, and the internal cause of a server error, never shown.

use witzo_store::StoreError;

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:literal;)+) => {
        /// Every error code Witzo answers with. Clients switch on these, never
        /// on messages, so a code is never renamed or reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The code named `name`, if there is one.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|code| code.as_str() == name)
            }

            /// A mistake of the caller's (4xx), not of the service.
            pub fn is_client_error(self) -> bool {
                (400..500).contains(&self.status())
            }

            /// A failure of the service (5xx), not of the caller.
            pub fn is_server_error(self) -> bool {
                self.status() >= 500
            }

            /// The HTTP status a response with this code carries.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }
        }
    };
}

error_codes! {
    InvalidJson => "invalid_json", 400;
    InvalidForm => "invalid_form", 400;
    InvalidQuery => "invalid_query", 400;
    InvalidPath => "invalid_path", 400;
    UnknownField => "unknown_field", 422;
    MissingField => "missing_field", 422;
    InvalidType => "invalid_type", 422;
    ValidationFailed => "validation_failed", 422;
    PayloadTooLarge => "payload_too_large", 413;
    UnsupportedMediaType => "unsupported_media_type", 415;
    Unauthenticated => "unauthenticated", 401;
    SessionExpired => "session_expired", 401;
    ApiKeyInvalid => "api_key_invalid", 401;
    InsufficientScope => "insufficient_scope", 403;
    PlanLimitApiKeys => "plan_limit_api_keys", 403;
    TooManyApiKeys => "too_many_api_keys", 422;
    IdempotencyKeyReused => "idempotency_key_reused", 409;
    IdempotencyKeyInFlight => "idempotency_key_in_flight", 409;
    CsrfTokenMissing => "csrf_token_missing", 403;
    CsrfTokenInvalid => "csrf_token_invalid", 403;
    CrossSiteRequest => "cross_site_request", 403;
    OriginNotAllowed => "origin_not_allowed", 403;
    OriginMissing => "origin_missing", 403;
    WidgetKeyInvalid => "widget_key_invalid", 404;
    WidgetInactive => "widget_inactive", 403;
    WidgetDomainNotAllowed => "widget_domain_not_allowed", 403;
    PreviewTokenInvalid => "preview_token_invalid", 403;
    ConversationLimitReached => "conversation_limit_reached", 403;
    PlanLimitWidgets => "plan_limit_widgets", 403;
    PlanLimitWhiteLabel => "plan_limit_white_label", 403;
    PlanLimitPages => "plan_limit_pages", 403;
    PlanLimitDocuments => "plan_limit_documents", 403;
    PlanLimitAutoRescrape => "plan_limit_auto_rescrape", 403;
    PlanLimitFollowUpEmail => "plan_limit_follow_up_email", 403;
    BillingNotConfigured => "billing_not_configured", 409;
    PlanNotForSale => "plan_not_for_sale", 422;
    NothingToCancel => "nothing_to_cancel", 409;
    SubscriptionExists => "subscription_exists", 409;
    NoBillingCustomer => "no_billing_customer", 409;
    BillingProviderError => "billing_provider_error", 502;
    WebhookSignatureMissing => "webhook_signature_missing", 400;
    WebhookSignatureInvalid => "webhook_signature_invalid", 400;
    WebhookTimestampStale => "webhook_timestamp_stale", 400;
    WebhookPayloadInvalid => "webhook_payload_invalid", 400;
    PlanLimitLeadWebhook => "plan_limit_lead_webhook", 403;
    UnknownWebhookEvent => "unknown_webhook_event", 422;
    TooManyWebhooks => "too_many_webhooks", 422;
    TooManyFiles => "too_many_files", 422;
    UnsupportedDocumentType => "unsupported_document_type", 415;
    DocumentTypeMismatch => "document_type_mismatch", 415;
    UrlNotAllowed => "url_not_allowed", 422;
    InvalidEncoding => "invalid_encoding", 422;
    InvalidCsv => "invalid_csv", 422;
    InvalidColumns => "invalid_columns", 422;
    InvalidCell => "invalid_cell", 422;
    TooManyRows => "too_many_rows", 422;
    MessageTooLong => "message_too_long", 422;
    NotFound => "not_found", 404;
    MethodNotAllowed => "method_not_allowed", 405;
    Conflict => "conflict", 409;
    ConfirmationRequired => "confirmation_required", 409;
    RateLimited => "rate_limited", 429;
    TooManyCodes => "too_many_codes", 429;
    CodeInvalid => "code_invalid", 400;
    CodeExpired => "code_expired", 400;
    OidcDisabled => "oidc_disabled", 404;
    OidcStateInvalid => "oidc_state_invalid", 400;
    OidcTokenInvalid => "oidc_token_invalid", 400;
    OidcDenied => "oidc_denied", 400;
    EmailNotVerified => "email_not_verified", 403;
    OidcUnavailable => "oidc_unavailable", 502;
    EmailUnavailable => "email_unavailable", 503;
    RequestTimeout => "request_timeout", 503;
    Unavailable => "service_unavailable", 503;
    Internal => "internal_error", 500;
}

/// What went wrong, for whichever door the use case was reached through:
/// a stable [`ErrorCode`], a message for the person, and what explains it.
#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
    pub cause: Option<String>,
    pub details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
            cause: None,
            details: None,
        }
    }

    /// Adds figures to the body, next to `code` and `message`.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        if let serde_json::Value::Object(map) = details {
            self.details = Some(Box::new(map));
        }
        self
    }

    /// A 500 whose `cause` is logged but never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, "").with_cause(cause)
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The client-facing message (empty for most 5xx, which use a generic one).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The internal cause, for logging where the error is handled.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    pub fn field_name(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "Nothing was found at this address.")
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(field) => Self::new(
                ErrorCode::Conflict,
                format!("This {field} is already in use."),
            )
            .field(field),
            StoreError::TooMany => Self::new(
                ErrorCode::RateLimited,
                "Too many requests. Please slow down.",
            ),
            StoreError::Busy(err) => {
                tracing::warn!(%err, "the database stayed busy; the client is asked to retry");
                Self::new(
                    ErrorCode::Unavailable,
                    "The service is busy right now. Please try again shortly.",
                )
                .retry_after(1)
            }
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert!((400..600).contains(&code.status()), "{name}");
        }
    }
}
