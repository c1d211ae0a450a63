//! The security log: what happened to an account, when and from where.

use serde::Serialize;

use crate::domain::AccountId;
use crate::{Store, StoreResult};

/// The kinds of events the security log records. Stored as their
/// [`AuditKind::as_str`] names, which are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    SignedIn,
    SignInFailed,
    CodeRequested,
    SignedOut,
    SessionRevoked,
    ProfileUpdated,
    AccountDeleted,
    WidgetCreated,
    WidgetKeyRegenerated,
    WidgetDeleted,
    /// `detail`: `old→new` plan ids.
    PlanChanged,
    SubscriptionCancelled,
    SubscriptionResumed,
    /// `detail`: what was deleted, as counts (never the visitor's id or address).
    VisitorForgotten,
    /// `detail`: how many conversations.
    ConversationsDeleted,
    /// `detail`: the new retention, offset and digest settings.
    ReportSettingsChanged,
    /// `detail`: the key's name and prefix (never the key).
    ApiKeyCreated,
    /// `detail`: the key's name and prefix.
    ApiKeyRevoked,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::SignInFailed => "sign_in_failed",
            Self::CodeRequested => "code_requested",
            Self::SignedOut => "signed_out",
            Self::SessionRevoked => "session_revoked",
            Self::ProfileUpdated => "profile_updated",
            Self::AccountDeleted => "account_deleted",
            Self::WidgetCreated => "widget_created",
            Self::WidgetKeyRegenerated => "widget_key_regenerated",
            Self::WidgetDeleted => "widget_deleted",
            Self::PlanChanged => "plan_changed",
            Self::SubscriptionCancelled => "subscription_cancelled",
            Self::SubscriptionResumed => "subscription_resumed",
            Self::VisitorForgotten => "visitor_forgotten",
            Self::ConversationsDeleted => "conversations_deleted",
            Self::ApiKeyCreated => "api_key_created",
            Self::ApiKeyRevoked => "api_key_revoked",
            Self::ReportSettingsChanged => "report_settings_changed",
        }
    }
}

/// One entry of an account's security log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub kind: String,
    pub ip: String,
    pub detail: String,
    pub created_at: i64,
}

impl Store {
    /// Appends an event. `detail` must hold no personal data beyond what the
    /// owner already sees about themselves.
    pub async fn record_audit(
        &self,
        account: Option<AccountId>,
        kind: AuditKind,
        ip: &str,
        detail: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (account_id, kind, ip, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account.map(AccountId::get))
        .bind(kind.as_str())
        .bind(ip)
        .bind(detail)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest `limit` events of `account`, newest first.
    pub async fn audit_events_of(
        &self,
        account: AccountId,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, ip, detail, created_at FROM audit_events \
             WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(account.get())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
