//! Privacy: an account's reporting settings (retention, UTC offset, the
//! weekly gap digest), the retention sweep, and forgetting a visitor.

use serde::Serialize;

use crate::analytics::normalise_question;
use crate::domain::AccountId;
use crate::{Store, StoreResult};

/// An account's privacy and reporting settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSettings {
    /// Conversations are kept this many days; `None`: forever.
    pub retention_days: Option<i64>,
    /// Days are counted at this offset from UTC, in minutes.
    pub utc_offset_minutes: i64,
    /// 1: the weekly content-gap digest is e-mailed.
    pub gap_digest: i64,
}

/// What forgetting a visitor deleted, table by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forgotten {
    pub visitors: u64,
    pub conversations: u64,
    pub messages: u64,
    pub leads: u64,
    pub events: u64,
    /// Logged webhook deliveries whose event named the visitor or address.
    pub webhook_deliveries: u64,
}

/// What a retention sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub accounts: u64,
    pub conversations: u64,
}

impl Store {
    pub async fn report_settings(&self, account: AccountId) -> StoreResult<ReportSettings> {
        sqlx::query_as(
            "SELECT retention_days, utc_offset_minutes, gap_digest FROM accounts WHERE id = $1",
        )
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?
        .ok_or(crate::StoreError::NotFound)
    }

    pub async fn set_report_settings(
        &self,
        account: AccountId,
        settings: &ReportSettings,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE accounts SET retention_days = $1, utc_offset_minutes = $2, gap_digest = $3 WHERE id = $4",
        )
        .bind(settings.retention_days)
        .bind(settings.utc_offset_minutes)
        .bind(settings.gap_digest)
        .bind(account.get())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Deletes everything of one visitor of the account: found by visitor
    /// id, or by the e-mail address of a lead they left (then every visitor
    /// id with such a lead). Conversations and their messages (ratings,
    /// search index, content-gap examples), leads, widget events, distinct
    /// visitor rows, their questions from the top-questions counts, and the
    /// logged webhook deliveries whose events named them.
    pub async fn forget_visitor(
        &self,
        account: AccountId,
        visitor: Option<&str>,
        email: Option<&str>,
    ) -> StoreResult<Forgotten> {
        let mut tx = self.begin_write().await?;
        let mut visitors: Vec<String> = visitor.map(str::to_owned).into_iter().collect();
        if let Some(email) = email {
            let found: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT l.visitor_id FROM leads l JOIN widgets w ON w.id = l.widget_id \
                 WHERE w.account_id = $1 AND lower(l.email) = lower($2)",
            )
            .bind(account.get())
            .bind(email)
            .fetch_all(&mut *tx)
            .await?;
            visitors.extend(found.into_iter().map(|(v,)| v));
        }
        visitors.sort();
        visitors.dedup();
        let mut gone = Forgotten {
            visitors: visitors.len() as u64,
            ..Forgotten::default()
        };
        for visitor in &visitors {
            // Their questions leave the top-questions counts.
            let asked: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT c.widget_id, (m.created_at + 60 * a.utc_offset_minutes) / 86400, m.body \
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                 JOIN accounts a ON a.id = c.account_id \
                 WHERE c.account_id = $1 AND c.visitor_id = $2 AND m.role = 'visitor'",
            )
            .bind(account.get())
            .bind(visitor)
            .fetch_all(&mut *tx)
            .await?;
            for (widget, day, body) in asked {
                gone.messages += 1;
                if let Some(question) = normalise_question(&body) {
                    sqlx::query(
                        "UPDATE analytics_questions SET asked = asked - 1 \
                         WHERE widget_id = $1 AND day = $2 AND question = $3",
                    )
                    .bind(widget)
                    .bind(day)
                    .bind(question)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let (answers,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE c.account_id = $1 AND c.visitor_id = $2 AND m.role <> 'visitor'",
            )
            .bind(account.get())
            .bind(visitor)
            .fetch_one(&mut *tx)
            .await?;
            gone.messages += answers as u64;
            gone.leads += sqlx::query(
                "DELETE FROM leads WHERE visitor_id = $1 AND widget_id IN \
                 (SELECT id FROM widgets WHERE account_id = $2)",
            )
            .bind(visitor)
            .bind(account.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            gone.conversations +=
                sqlx::query("DELETE FROM conversations WHERE account_id = $1 AND visitor_id = $2")
                    .bind(account.get())
                    .bind(visitor)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            gone.events += sqlx::query(
                "DELETE FROM widget_events WHERE visitor_id = $1 AND widget_id IN \
                 (SELECT id FROM widgets WHERE account_id = $2)",
            )
            .bind(visitor)
            .bind(account.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "DELETE FROM analytics_visitors WHERE visitor_id = $1 AND widget_id IN \
                 (SELECT id FROM widgets WHERE account_id = $2)",
            )
            .bind(visitor)
            .bind(account.get())
            .execute(&mut *tx)
            .await?;
            // Event bodies name visitors as JSON strings (ids are v_ and hex).
            gone.webhook_deliveries += sqlx::query(
                "DELETE FROM webhook_deliveries WHERE account_id = $1 AND body LIKE $2",
            )
            .bind(account.get())
            .bind(format!("%\"{visitor}\"%"))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if let Some(email) = email {
            let pattern = format!("%{}%", like_escaped(&email.to_lowercase()));
            gone.webhook_deliveries += sqlx::query(
                "DELETE FROM webhook_deliveries WHERE account_id = $1 AND lower(body) LIKE $2 ESCAPE '\\'",
            )
            .bind(account.get())
            .bind(pattern)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Leads with the address but another visitor id (or none left).
            gone.leads += sqlx::query(
                "DELETE FROM leads WHERE lower(email) = lower($1) AND widget_id IN \
                 (SELECT id FROM widgets WHERE account_id = $2)",
            )
            .bind(email)
            .bind(account.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        sweep_leftovers(&mut tx, account).await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// Deletes, for every account with a retention period, conversations
    /// whose last activity is older than it (their messages, ratings and
    /// content-gap examples with them), the chat-derived text of leads
    /// that came from them, and widget events, distinct-visitor rows,
    /// question counts and webhook delivery logs of those days. Counted
    /// figures stay. Delivery logs go after [`DELIVERY_LOG_DAYS`] anyway.
    pub async fn sweep_retention(&self, now: i64) -> StoreResult<Swept> {
        // Delivery logs (which hold the events' bodies) are kept 30 days
        // on every account; a delivery still being sent stays.
        sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending'")
            .bind(now - DELIVERY_LOG_DAYS * 86_400)
            .execute(self.pool())
            .await?;
        let accounts: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, retention_days, utc_offset_minutes FROM accounts WHERE retention_days IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        let mut swept = Swept::default();
        for (account, days, offset) in accounts {
            let cutoff = now - days * 86_400;
            let cutoff_day = (cutoff + offset * 60).div_euclid(86_400);
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "UPDATE leads SET message = '' WHERE conversation_id IN \
                 (SELECT id FROM conversations WHERE account_id = $1 AND updated_at < $2)",
            )
            .bind(account)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            let deleted =
                sqlx::query("DELETE FROM conversations WHERE account_id = $1 AND updated_at < $2")
                    .bind(account)
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            sqlx::query("DELETE FROM webhook_deliveries WHERE account_id = $1 AND created_at < $2")
                .bind(account)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?;
            let widgets = "widget_id IN (SELECT id FROM widgets WHERE account_id = $1)";
            sqlx::query(&format!(
                "DELETE FROM widget_events WHERE {widgets} AND created_at < $2"
            ))
            .bind(account)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            for table in [
                "analytics_visitors",
                "analytics_visitor_sketches",
                "analytics_questions",
            ] {
                sqlx::query(&format!("DELETE FROM {table} WHERE {widgets} AND day < $2"))
                    .bind(account)
                    .bind(cutoff_day)
                    .execute(&mut *tx)
                    .await?;
            }
            sweep_leftovers(&mut tx, AccountId::from_raw(account)).await?;
            tx.commit().await?;
            swept.accounts += 1;
            swept.conversations += deleted;
        }
        Ok(swept)
    }
}

/// How long webhook delivery logs are kept, whatever the retention.
pub const DELIVERY_LOG_DAYS: i64 = 30;

/// `text` for a `LIKE … ESCAPE '\'` pattern: `%`, `_` and `\` match themselves.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Question counts that reached zero and content gaps whose examples are
/// all gone.
async fn sweep_leftovers(tx: &mut crate::db::WriteTx, account: AccountId) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM analytics_questions WHERE asked <= 0 AND widget_id IN \
         (SELECT id FROM widgets WHERE account_id = $1)",
    )
    .bind(account.get())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM content_gaps WHERE account_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM gap_questions q WHERE q.gap_id = content_gaps.id)",
    )
    .bind(account.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
