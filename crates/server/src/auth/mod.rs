//! Signing owners in: e-mailed one-time codes, OpenID Connect, and starting
//! a session (with rotation) once either has proven who the owner is.

mod session;

pub use session::{SignInMethod, end_session_cookie, start_session, user_agent};

use axum::http::HeaderMap;
use witzo_store::domain::EmailAddress;
use witzo_store::login_codes::CodePurpose;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ClientIp;
use crate::state::AppState;
use witzo_app::auth::codes;

/// An e-mail address as typed into a sign-in form, checked.
pub fn parse_email(raw: &str) -> ApiResult<EmailAddress> {
    EmailAddress::parse(raw).map_err(|e| {
        ApiError::new(ErrorCode::ValidationFailed, format!("email {e}")).field("email")
    })
}

/// Verifies a sign-in code, then finds or creates the account and starts a
/// session. Shared by the JSON API and the HTML form.
pub async fn sign_in_with_code(
    state: &AppState,
    email: &EmailAddress,
    code: &str,
    ip: ClientIp,
    headers: &HeaderMap,
) -> ApiResult<(witzo_store::accounts::Account, Vec<axum::http::HeaderValue>)> {
    codes::verify(state, email, code, CodePurpose::SignIn, ip.0).await?;
    let (account, _) = state
        .store
        .find_or_create_account(email, witzo_store::now())
        .await?;
    let cookies = start_session(state, account.id, headers, ip, SignInMethod::EmailCode).await?;
    Ok((account, cookies))
}
