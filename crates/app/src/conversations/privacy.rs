//! Privacy and reporting settings as use cases: forgetting a visitor,
//! the owner's retention / offset / digest settings, and the scheduler's
//! hourly housekeeping (retention sweep, visitor-day compaction, digests).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::audit::AuditKind;
use witzo_store::domain::{AccountId, EmailAddress, is_public_id};
use witzo_store::privacy::{Forgotten, ReportSettings};

use super::invalid;
use crate::core::Core;
use crate::error::AppResult;

/// Who to forget: a visitor id, or the e-mail address of their lead.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgetRequest {
    #[schema(pattern = "^(v_[0-9a-f]{32})?$")]
    pub visitor_id: Option<String>,
    #[schema(schema_with = crate::fields::nullable_email)]
    pub email: Option<String>,
}

/// Deletes every row of a visitor (see `Store::forget_visitor`) and logs
/// it in the security log, with counts only.
pub async fn forget(
    state: &Core,
    account: AccountId,
    request: &ForgetRequest,
    ip: &str,
) -> AppResult<Forgotten> {
    let visitor = match request.visitor_id.as_deref().filter(|v| !v.is_empty()) {
        Some(v) if is_public_id(v, "v_") => Some(v),
        Some(_) => {
            return Err(invalid(
                "visitor_id",
                "visitor_id must be v_ and 32 hex digits",
            ));
        }
        None => None,
    };
    let email = match request.email.as_deref().filter(|e| !e.is_empty()) {
        Some(raw) => Some(
            EmailAddress::parse(raw)
                .map_err(|e| invalid("email", format!("email {e}")))?
                .to_string(),
        ),
        None => None,
    };
    if visitor.is_none() && email.is_none() {
        return Err(invalid(
            "visitor_id",
            "Give a visitor id or an e-mail address.",
        ));
    }
    let gone = state
        .store
        .forget_visitor(account, visitor, email.as_deref())
        .await?;
    let detail = format!(
        "{} visitor ids: {} conversations, {} messages, {} leads, {} events",
        gone.visitors, gone.conversations, gone.messages, gone.leads, gone.events
    );
    state
        .store
        .record_audit(
            Some(account),
            AuditKind::VisitorForgotten,
            ip,
            &detail,
            witzo_store::now(),
        )
        .await?;
    Ok(gone)
}

/// The privacy and reporting settings an owner can change.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Keep conversations 30, 90 or 365 days; `null`: forever.
    #[schema(schema_with = crate::fields::retention_days)]
    pub retention_days: Option<i64>,
    /// Days are counted at this offset from UTC, in minutes: a multiple of
    /// 15 from -720 to 840 (`330` for UTC+05:30).
    #[schema(minimum = -720, maximum = 840, multiple_of = 15)]
    pub utc_offset_minutes: i64,
    /// E-mail the week's top content gaps every Monday.
    pub gap_digest: bool,
}

/// The retention periods an owner can choose.
pub const RETENTION_DAYS: [i64; 3] = [30, 90, 365];

impl SettingsInput {
    pub fn parse(&self) -> AppResult<ReportSettings> {
        if let Some(days) = self.retention_days
            && !RETENTION_DAYS.contains(&days)
        {
            return Err(invalid(
                "retention_days",
                "retention_days must be 30, 90, 365 or null",
            ));
        }
        let offset = self.utc_offset_minutes;
        if !(-720..=840).contains(&offset) || offset % 15 != 0 {
            return Err(invalid(
                "utc_offset_minutes",
                "utc_offset_minutes must be a multiple of 15 from -720 to 840",
            ));
        }
        Ok(ReportSettings {
            retention_days: self.retention_days,
            utc_offset_minutes: offset,
            gap_digest: i64::from(self.gap_digest),
        })
    }
}

pub async fn save_settings(
    state: &Core,
    account: AccountId,
    input: &SettingsInput,
    ip: &str,
) -> AppResult<ReportSettings> {
    let settings = input.parse()?;
    state.store.set_report_settings(account, &settings).await?;
    let detail = format!(
        "retention {}, offset {} min, digest {}",
        settings
            .retention_days
            .map_or("forever".to_owned(), |d| format!("{d} days")),
        settings.utc_offset_minutes,
        if settings.gap_digest == 1 {
            "on"
        } else {
            "off"
        }
    );
    state
        .store
        .record_audit(
            Some(account),
            AuditKind::ReportSettingsChanged,
            ip,
            &detail,
            witzo_store::now(),
        )
        .await?;
    Ok(settings)
}

/// The hourly housekeeping of the worker's scheduler: the retention sweep
/// (idempotent: it deletes whatever is past each account's period) and
/// the weekly gap digests that are due. Failures are logged.
pub async fn hourly(state: &Core) {
    let now = witzo_store::now();
    match state.store.sweep_retention(now).await {
        Ok(swept) if swept.conversations > 0 => {
            tracing::info!(
                conversations = swept.conversations,
                "retention: deleted old conversations"
            );
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "retention sweep failed"),
    }
    // Visitor ids of days before yesterday (UTC, so every offset's day has
    // ended) become one HyperLogLog sketch per widget and day.
    match state
        .store
        .compact_visitors(now.div_euclid(86_400) - 1)
        .await
    {
        Ok(0) => {}
        Ok(days) => tracing::info!(days, "analytics: compacted visitor days into sketches"),
        Err(err) => tracing::warn!(%err, "could not compact visitor days"),
    }
    if let Err(err) = crate::gaps::digest::send_due(state, now).await {
        tracing::warn!(%err, "could not send the gap digests");
    }
}
