//! The HTTP layer's one error type. Every JSON error is
//! `{"code": "...", "message": "..."}` with a stable snake_case `code` from
//! [`ErrorCode`], the single table of code → status. 5xx bodies are generic;
//! their cause travels in a response extension and is logged once, with the
//! request id, by the request middleware.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::StoreError;

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:ident;)+) => {
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

            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }
        }
    };
}

error_codes! {
    InvalidJson => "invalid_json", BAD_REQUEST;
    InvalidForm => "invalid_form", BAD_REQUEST;
    InvalidQuery => "invalid_query", BAD_REQUEST;
    InvalidPath => "invalid_path", BAD_REQUEST;
    UnknownField => "unknown_field", UNPROCESSABLE_ENTITY;
    MissingField => "missing_field", UNPROCESSABLE_ENTITY;
    InvalidType => "invalid_type", UNPROCESSABLE_ENTITY;
    ValidationFailed => "validation_failed", UNPROCESSABLE_ENTITY;
    PayloadTooLarge => "payload_too_large", PAYLOAD_TOO_LARGE;
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE;
    Unauthenticated => "unauthenticated", UNAUTHORIZED;
    SessionExpired => "session_expired", UNAUTHORIZED;
    CsrfTokenMissing => "csrf_token_missing", FORBIDDEN;
    CsrfTokenInvalid => "csrf_token_invalid", FORBIDDEN;
    CrossSiteRequest => "cross_site_request", FORBIDDEN;
    OriginNotAllowed => "origin_not_allowed", FORBIDDEN;
    OriginMissing => "origin_missing", FORBIDDEN;
    WidgetKeyInvalid => "widget_key_invalid", NOT_FOUND;
    WidgetInactive => "widget_inactive", FORBIDDEN;
    WidgetDomainNotAllowed => "widget_domain_not_allowed", FORBIDDEN;
    PreviewTokenInvalid => "preview_token_invalid", FORBIDDEN;
    ConversationLimitReached => "conversation_limit_reached", FORBIDDEN;
    PlanLimitWidgets => "plan_limit_widgets", FORBIDDEN;
    PlanLimitWhiteLabel => "plan_limit_white_label", FORBIDDEN;
    PlanLimitPages => "plan_limit_pages", FORBIDDEN;
    PlanLimitDocuments => "plan_limit_documents", FORBIDDEN;
    PlanLimitAutoRescrape => "plan_limit_auto_rescrape", FORBIDDEN;
    BillingNotConfigured => "billing_not_configured", CONFLICT;
    PlanNotForSale => "plan_not_for_sale", UNPROCESSABLE_ENTITY;
    NothingToCancel => "nothing_to_cancel", CONFLICT;
    SubscriptionExists => "subscription_exists", CONFLICT;
    NoBillingCustomer => "no_billing_customer", CONFLICT;
    BillingProviderError => "billing_provider_error", BAD_GATEWAY;
    WebhookSignatureMissing => "webhook_signature_missing", BAD_REQUEST;
    WebhookSignatureInvalid => "webhook_signature_invalid", BAD_REQUEST;
    WebhookTimestampStale => "webhook_timestamp_stale", BAD_REQUEST;
    WebhookPayloadInvalid => "webhook_payload_invalid", BAD_REQUEST;
    TooManyFiles => "too_many_files", UNPROCESSABLE_ENTITY;
    UnsupportedDocumentType => "unsupported_document_type", UNSUPPORTED_MEDIA_TYPE;
    DocumentTypeMismatch => "document_type_mismatch", UNSUPPORTED_MEDIA_TYPE;
    UrlNotAllowed => "url_not_allowed", UNPROCESSABLE_ENTITY;
    InvalidEncoding => "invalid_encoding", UNPROCESSABLE_ENTITY;
    InvalidCsv => "invalid_csv", UNPROCESSABLE_ENTITY;
    InvalidColumns => "invalid_columns", UNPROCESSABLE_ENTITY;
    InvalidCell => "invalid_cell", UNPROCESSABLE_ENTITY;
    TooManyRows => "too_many_rows", UNPROCESSABLE_ENTITY;
    MessageTooLong => "message_too_long", UNPROCESSABLE_ENTITY;
    NotFound => "not_found", NOT_FOUND;
    MethodNotAllowed => "method_not_allowed", METHOD_NOT_ALLOWED;
    Conflict => "conflict", CONFLICT;
    RateLimited => "rate_limited", TOO_MANY_REQUESTS;
    TooManyCodes => "too_many_codes", TOO_MANY_REQUESTS;
    CodeInvalid => "code_invalid", BAD_REQUEST;
    CodeExpired => "code_expired", BAD_REQUEST;
    OidcDisabled => "oidc_disabled", NOT_FOUND;
    OidcStateInvalid => "oidc_state_invalid", BAD_REQUEST;
    OidcTokenInvalid => "oidc_token_invalid", BAD_REQUEST;
    OidcDenied => "oidc_denied", BAD_REQUEST;
    EmailNotVerified => "email_not_verified", FORBIDDEN;
    OidcUnavailable => "oidc_unavailable", BAD_GATEWAY;
    EmailUnavailable => "email_unavailable", SERVICE_UNAVAILABLE;
    RequestTimeout => "request_timeout", SERVICE_UNAVAILABLE;
    Unavailable => "service_unavailable", SERVICE_UNAVAILABLE;
    Internal => "internal_error", INTERNAL_SERVER_ERROR;
}

/// The body of every error response. Some errors add figures that explain
/// them next to these fields (e.g. `used`, `limit`, `plan`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable snake_case code.
    pub code: &'static str,
    /// Human-readable explanation; never contains internals.
    pub message: String,
    /// The request field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub field: Option<String>,
    /// Figures that explain the error (e.g. `used`, `limit`, `plan`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    retry_after_secs: Option<u64>,
    cause: Option<String>,
    details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// What an error response told the client, kept beside its JSON body so a
/// layer can show the same error as an HTML page (the dashboard's forms).
#[derive(Debug, Clone)]
pub struct ErrorShown {
    pub code: ErrorCode,
    pub message: String,
}

/// The internal cause of a 5xx, left for the request middleware to log.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
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

impl ApiError {
    /// The message shown with an error code where only the code travels
    /// (e.g. the sign-in page's `?error=` after a redirect).
    pub fn message_for(code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::OidcDisabled => "This sign-in method is not enabled.",
            ErrorCode::OidcStateInvalid => {
                "That sign-in link has expired or was already used. Please start again."
            }
            ErrorCode::OidcTokenInvalid => {
                "The sign-in provider's answer could not be verified. Please start again."
            }
            ErrorCode::OidcDenied => "Sign-in was cancelled at the provider.",
            ErrorCode::EmailNotVerified => {
                "Your e-mail address is not verified at the provider, so it cannot be used to sign in."
            }
            ErrorCode::OidcUnavailable => {
                "The sign-in provider could not be reached. Please try again."
            }
            ErrorCode::RateLimited => "Too many attempts. Please wait a moment and try again.",
            ErrorCode::SessionExpired => "Your session has expired. Please sign in again.",
            _ => "Sign-in did not work. Please try again.",
        }
    }
}

impl From<StoreError> for ApiError {
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let message = if status.is_server_error() {
            match self.code {
                ErrorCode::RequestTimeout => "The request took too long. Please try again.",
                ErrorCode::Unavailable => {
                    "The service is unavailable right now. Please try again shortly."
                }
                ErrorCode::EmailUnavailable => {
                    "We could not send the e-mail right now. Please try again shortly."
                }
                ErrorCode::OidcUnavailable => ApiError::message_for(ErrorCode::OidcUnavailable),
                _ => "Something went wrong on our side. Please try again.",
            }
            .to_owned()
        } else {
            self.message
        };
        let shown = ErrorShown {
            code: self.code,
            message: message.clone(),
        };
        let body = ErrorBody {
            code: self.code.as_str(),
            message,
            field: self.field,
            details: self.details.map(|d| *d),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response.extensions_mut().insert(shown);
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_busy_database_answers_503_with_retry_after_not_500() {
        let response = ApiError::from(StoreError::Busy(sqlx::Error::PoolTimedOut)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(axum::http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }

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
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    #[test]
    fn server_errors_never_show_their_cause() {
        let response = ApiError::internal("password=hunter2 at db.rs:12").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = response
            .extensions()
            .get::<ErrorCause>()
            .map(|c| c.0.clone());
        assert_eq!(cause.as_deref(), Some("password=hunter2 at db.rs:12"));
    }
}
