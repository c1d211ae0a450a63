//! The HTTP layer's error: a use case's [`AppError`] on its way to becoming
//! a response. Every JSON error is `{"code": "...", "message": "..."}` with a
//! stable snake_case `code` from [`ErrorCode`], the single table of code →
//! status. 5xx bodies are generic;
//! their cause travels in a response extension and is logged once, with the
//! request id, by the request middleware.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::StoreError;

pub use witzo_app::error::{AppError, AppResult, ErrorCode};

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
pub struct ApiError(pub AppError);

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

/// The HTTP status of an error code (the table holds only valid ones).
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(AppError::new(code, message))
    }

    /// A 500 whose `cause` is logged but never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self(AppError::internal(cause))
    }

    pub fn not_found() -> Self {
        Self(AppError::not_found())
    }

    /// Adds figures to the body, next to `code` and `message`.
    pub fn details(self, details: serde_json::Value) -> Self {
        Self(self.0.details(details))
    }

    pub fn field(self, field: impl Into<String>) -> Self {
        Self(self.0.field(field))
    }

    pub fn retry_after(self, secs: u64) -> Self {
        Self(self.0.retry_after(secs))
    }

    pub fn with_cause(self, cause: impl std::fmt::Display) -> Self {
        Self(self.0.with_cause(cause))
    }
}

impl std::ops::Deref for ApiError {
    type Target = AppError;

    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self(err.into())
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(err) = self;
        let status = status_of(err.code);
        let message = if status.is_server_error() {
            match err.code {
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
            err.message
        };
        let shown = ErrorShown {
            code: err.code,
            message: message.clone(),
        };
        let body = ErrorBody {
            code: err.code.as_str(),
            message,
            field: err.field,
            details: err.details.map(|d| *d),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = err.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response.extensions_mut().insert(shown);
        if let Some(cause) = err.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response
    }
}

#[cfg(test)]
mod tests {
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
