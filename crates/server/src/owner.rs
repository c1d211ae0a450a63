//! What a signed-in owner can do to their own account, shared by the JSON
//! API (`routes/account.rs`) and the HTML pages (`routes/dashboard/`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use witzo_store::accounts::{Account, Profile};
use witzo_store::audit::{AuditEvent, AuditKind};
use witzo_store::domain::{CleanText, CountryCode, EmailAddress, InvalidValue, TextRules, WebUrl};
use witzo_store::login_codes::CodePurpose;
use witzo_store::sessions::Session;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{ClientIp, OwnerSession};
use crate::state::AppState;
use witzo_app::auth::codes;
use witzo_app::format;

/// Rules for the one-line profile fields (name, company).
pub const PROFILE_TEXT: TextRules = TextRules {
    max_chars: 100,
    multiline: false,
    required: false,
};

/// The owner-editable profile. Empty strings clear a field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// Up to 100 characters.
    #[schema(schema_with = witzo_app::fields::text::<100>)]
    pub name: String,
    /// Up to 100 characters.
    #[schema(schema_with = witzo_app::fields::text::<100>)]
    pub company: String,
    /// An http(s) URL, or empty.
    #[schema(schema_with = witzo_app::fields::web_url_or_empty)]
    pub website: String,
    /// ISO 3166-1 alpha-2 code (`DE`), or empty.
    #[schema(schema_with = witzo_app::fields::country_or_empty)]
    pub country: String,
    /// IANA time zone for dates in exports and e-mails (`Europe/Berlin`);
    /// absent keeps the current one, empty is UTC.
    #[schema(schema_with = witzo_app::fields::time_zone)]
    pub time_zone: Option<String>,
}

impl ProfileRequest {
    fn parse(&self, current_zone: &str) -> ApiResult<Profile> {
        let invalid = |field: &str, err: InvalidValue| {
            ApiError::new(ErrorCode::ValidationFailed, format!("{field} {err}")).field(field)
        };
        let optional = |raw: &str| {
            Some(raw.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(Profile {
            name: CleanText::parse(&self.name, PROFILE_TEXT).map_err(|e| invalid("name", e))?,
            company: CleanText::parse(&self.company, PROFILE_TEXT)
                .map_err(|e| invalid("company", e))?,
            website: optional(&self.website)
                .map(|raw| WebUrl::parse(&raw))
                .transpose()
                .map_err(|e| invalid("website", e))?,
            country: optional(&self.country)
                .map(|raw| CountryCode::parse(&raw))
                .transpose()
                .map_err(|e| invalid("country", e))?,
            time_zone: match self.time_zone.as_deref().map(str::trim) {
                None => current_zone.to_owned(),
                Some("") => "UTC".to_owned(),
                Some(name) if name.len() <= 64 && witzo_app::format::time_zone(name).is_some() => {
                    name.to_owned()
                }
                Some(_) => {
                    return Err(invalid(
                        "time_zone",
                        InvalidValue::new("is not a known time zone (e.g. Europe/Berlin)"),
                    ));
                }
            },
        })
    }
}

pub async fn update_profile(
    state: &AppState,
    owner: &OwnerSession,
    ip: ClientIp,
    request: &ProfileRequest,
) -> ApiResult<Account> {
    let current = state.store.account_by_id(owner.account).await?;
    let profile = request.parse(&current.time_zone)?;
    let now = witzo_store::now();
    let account = state
        .store
        .update_profile(owner.account, &profile, now)
        .await?;
    state
        .store
        .record_audit(
            Some(owner.account),
            AuditKind::ProfileUpdated,
            &ip.to_string(),
            "",
            now,
        )
        .await?;
    Ok(account)
}

/// One of the owner's sessions, as the owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// A stable handle for revoking this session (not the session's secret).
    pub id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Human-readable `last_seen_at`.
    pub last_seen: String,
    /// The session making this request.
    pub current: bool,
}

/// The public handle of a session: derived from its stored hash, useless
/// for authenticating.
fn handle(session: &Session) -> String {
    hex::encode(&Sha256::digest(format!("handle:{}", session.id_hash).as_bytes())[..12])
}

pub async fn sessions(state: &AppState, owner: &OwnerSession) -> ApiResult<Vec<SessionView>> {
    let sessions = state.store.sessions_of(owner.account).await?;
    Ok(sessions
        .iter()
        .map(|s| SessionView {
            id: handle(s),
            device: format::device(&s.user_agent),
            ip: s.ip.clone(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            last_seen: format::utc_minute(s.last_seen_at),
            current: s.id_hash == owner.session.id_hash,
        })
        .collect())
}

/// Ends one session of the owner. Returns whether it was the current one.
pub async fn revoke_session(
    state: &AppState,
    owner: &OwnerSession,
    ip: ClientIp,
    id: &str,
) -> ApiResult<bool> {
    let sessions = state.store.sessions_of(owner.account).await?;
    let target = sessions
        .iter()
        .find(|s| handle(s) == id)
        .ok_or_else(ApiError::not_found)?;
    state
        .store
        .delete_session(owner.account, &target.id_hash)
        .await?;
    state
        .store
        .record_audit(
            Some(owner.account),
            AuditKind::SessionRevoked,
            &ip.to_string(),
            "one",
            witzo_store::now(),
        )
        .await?;
    Ok(target.id_hash == owner.session.id_hash)
}

/// Ends every session of the owner, this one included.
pub async fn sign_out_everywhere(
    state: &AppState,
    owner: &OwnerSession,
    ip: ClientIp,
) -> ApiResult<()> {
    state.store.delete_sessions_of(owner.account).await?;
    state
        .store
        .record_audit(
            Some(owner.account),
            AuditKind::SessionRevoked,
            &ip.to_string(),
            "all",
            witzo_store::now(),
        )
        .await?;
    Ok(())
}

/// Ends the current session.
pub async fn sign_out(state: &AppState, owner: &OwnerSession, ip: ClientIp) -> ApiResult<()> {
    state
        .store
        .delete_session(owner.account, &owner.session.id_hash)
        .await?;
    state
        .store
        .record_audit(
            Some(owner.account),
            AuditKind::SignedOut,
            &ip.to_string(),
            "",
            witzo_store::now(),
        )
        .await?;
    Ok(())
}

/// One security-log entry, as the owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub kind: String,
    /// What happened, in words.
    pub description: String,
    pub ip: String,
    pub created_at: i64,
    pub at: String,
}

fn describe(event: &AuditEvent) -> String {
    match (event.kind.as_str(), event.detail.as_str()) {
        ("plan_changed", change) => return format!("Plan changed ({change})"),
        ("api_key_created", key) => return format!("API key created ({key})"),
        ("api_key_revoked", key) => return format!("API key revoked ({key})"),
        ("signed_in", "oidc") => "Signed in with an identity provider",
        ("signed_in", _) => "Signed in with an e-mailed code",
        ("sign_in_failed", _) => "A sign-in code was entered wrongly",
        ("code_requested", "delete_account") => "An account-deletion code was sent",
        ("code_requested", _) => "A sign-in code was sent",
        ("signed_out", _) => "Signed out",
        ("session_revoked", "all") => "Signed out everywhere",
        ("session_revoked", _) => "A session was revoked",
        ("profile_updated", _) => "Profile updated",
        ("widget_created", _) => "A widget was created",
        ("widget_key_regenerated", _) => "A widget key was regenerated",
        ("widget_deleted", _) => "A widget was deleted",
        ("subscription_cancelled", _) => "Subscription set to end with the cycle",
        ("subscription_resumed", _) => "Subscription kept",
        _ => "Account activity",
    }
    .to_owned()
}

pub async fn security_log(state: &AppState, owner: &OwnerSession) -> ApiResult<Vec<EventView>> {
    let events = state.store.audit_events_of(owner.account, 50).await?;
    Ok(events
        .iter()
        .map(|e| EventView {
            kind: e.kind.clone(),
            description: describe(e),
            ip: e.ip.clone(),
            created_at: e.created_at,
            at: format::utc_minute(e.created_at),
        })
        .collect())
}

async fn owner_email(state: &AppState, owner: &OwnerSession) -> ApiResult<EmailAddress> {
    let account = state.store.account_by_id(owner.account).await?;
    EmailAddress::parse(&account.email)
        .map_err(|e| ApiError::internal(format!("stored e-mail invalid: {e}")))
}

/// Sends the owner a code that confirms deleting the account.
pub async fn request_deletion_code(
    state: &AppState,
    owner: &OwnerSession,
    ip: ClientIp,
) -> ApiResult<()> {
    let email = owner_email(state, owner).await?;
    Ok(codes::request(state, &email, CodePurpose::DeleteAccount, ip.0).await?)
}

/// Deletes the account and everything it owns, once `code` confirms it.
pub async fn delete_account(
    state: &AppState,
    owner: &OwnerSession,
    ip: ClientIp,
    code: &str,
) -> ApiResult<()> {
    let email = owner_email(state, owner).await?;
    codes::verify(state, &email, code, CodePurpose::DeleteAccount, ip.0).await?;
    state
        .store
        .delete_account(owner.account, witzo_store::now())
        .await?;
    Ok(())
}
