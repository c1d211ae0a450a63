//! E-mailed one-time codes: 6 digits from the OS CSPRNG, stored only as a
//! keyed hash, valid `auth.code_ttl_minutes`, void after
//! `auth.code_max_attempts` wrong tries or when a newer code is sent, at most
//! `auth.codes_per_email_per_hour` per address plus a per-IP limit. Requests
//! for addresses with and without an account are answered identically.

use std::net::IpAddr;
use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;
use witzo_store::StoreError;
use witzo_store::audit::AuditKind;
use witzo_store::domain::EmailAddress;
use witzo_store::login_codes::{CodePurpose, CodeRules};

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keys::constant_time_eq;
use crate::limits::{Quota, WhenDown};

fn per_hour(count: u32) -> Quota {
    Quota {
        per_period: count.max(1),
        period: Duration::from_secs(3600),
        burst: (count / 4).max(1),
    }
}

/// Counts one sign-in attempt (code check, OpenID sign-in) of `ip`.
pub async fn limit_sign_in_attempts(state: &Core, ip: IpAddr) -> AppResult<()> {
    let quota = per_hour(state.config.auth.sign_ins_per_ip_per_hour);
    state
        .limiter
        .check(&format!("auth:sign-in:ip:{ip}"), quota, WhenDown::Refuse)
        .await
        .map_err(|refusal| refusal.error("Too many attempts. Please wait and try again."))?;
    Ok(())
}

/// Sends a new code for `purpose` to `email`.
pub async fn request(
    state: &Core,
    email: &EmailAddress,
    purpose: CodePurpose,
    ip: IpAddr,
) -> AppResult<()> {
    let auth = &state.config.auth;
    state
        .limiter
        .check(
            &format!("auth:code:ip:{ip}"),
            per_hour(auth.codes_per_ip_per_hour),
            WhenDown::Refuse,
        )
        .await
        .map_err(|refusal| {
            refusal.error("Too many code requests from your network. Please wait.")
        })?;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let hash = state
        .keys
        .login_code_hash(purpose.as_str(), email.as_str(), &code);
    let rules = CodeRules {
        ttl_secs: i64::try_from(auth.code_ttl_minutes * 60).unwrap_or(600),
        max_per_hour: i64::from(auth.codes_per_email_per_hour),
    };
    let now = witzo_store::now();
    match state
        .store
        .issue_login_code(email, purpose, &hash, rules, now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::TooMany) => {
            return Err(AppError::new(
                ErrorCode::TooManyCodes,
                "Too many codes were sent to this address. Please wait up to an hour, or use the latest code.",
            )
            .retry_after(3600));
        }
        Err(other) => return Err(other.into()),
    }
    // Looked up whether or not it exists, so both cases cost the same.
    if let Some(account) = state.store.account_by_email(email).await? {
        let ip = ip.to_string();
        state
            .store
            .record_audit(
                Some(account.id),
                AuditKind::CodeRequested,
                &ip,
                purpose.as_str(),
                now,
            )
            .await?;
    }
    state
        .mailer
        .send(
            email,
            &crate::mail::messages::Code {
                code: &code,
                minutes: auth.code_ttl_minutes,
            },
        )
        .await
        .map_err(|err| AppError::new(ErrorCode::EmailUnavailable, "").with_cause(err))
}

/// Checks `presented` against the live code of `email` for `purpose` and
/// spends it. Wrong codes count towards the code's attempts.
pub async fn verify(
    state: &Core,
    email: &EmailAddress,
    presented: &str,
    purpose: CodePurpose,
    ip: IpAddr,
) -> AppResult<()> {
    limit_sign_in_attempts(state, ip).await?;
    let presented: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    let invalid = |message: &str| AppError::new(ErrorCode::CodeInvalid, message).field("code");
    if presented.len() != 6 || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("Enter the 6-digit code from the e-mail."));
    }
    let now = witzo_store::now();
    let store = &state.store;
    let Some(live) = store.live_login_code(email, purpose).await? else {
        return Err(invalid(
            "This code is not valid any more. Please request a new one.",
        ));
    };
    if live.expires_at <= now {
        store.spend_login_code(live.id, now).await?;
        return Err(AppError::new(
            ErrorCode::CodeExpired,
            "This code has expired. Please request a new one.",
        )
        .field("code"));
    }
    let expected = state
        .keys
        .login_code_hash(purpose.as_str(), email.as_str(), &presented);
    if !constant_time_eq(&live.code_hash, &expected) {
        let max = i64::from(state.config.auth.code_max_attempts);
        let left = store.fail_login_code(live.id, max, now).await?;
        if let Some(account) = store.account_by_email(email).await? {
            let ip = ip.to_string();
            store
                .record_audit(
                    Some(account.id),
                    AuditKind::SignInFailed,
                    &ip,
                    "wrong_code",
                    now,
                )
                .await?;
        }
        return Err(match left {
            0 => invalid("Too many wrong tries: this code is void. Please request a new one."),
            1 => invalid("Wrong code. 1 try left."),
            n => invalid(&format!("Wrong code. {n} tries left.")),
        });
    }
    if !store.spend_login_code(live.id, now).await? {
        return Err(invalid(
            "This code is not valid any more. Please request a new one.",
        ));
    }
    Ok(())
}

/// What a code request answers (the same whether or not the address has
/// an account).
#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// Always `sent`, whether or not the address has an account.
    status: &'static str,
    expires_in_secs: u64,
}

/// The answer to a code request.
pub fn code_sent(state: &Core) -> CodeSent {
    CodeSent {
        status: "sent",
        expires_in_secs: state.config.auth.code_ttl_minutes * 60,
    }
}
