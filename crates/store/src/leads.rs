//! Leads: contact details visitors leave through the widget's form or type
//! into the chat, the owner's status and notes on them, and the owner's
//! lead settings (alerts, follow-up e-mail). A lead past the plan's limit is
//! stored locked: listed, but its details are not shown (nor searched).

use crate::domain::{AccountId, LeadAlerts, LeadId, LeadSource, LeadStatus, WidgetId};
use crate::widgets::Flag;
use crate::{Backend, Store, StoreError, StoreResult};

/// A stored lead, with its widget's name and its conversation's public id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeadRow {
    #[sqlx(try_from = "i64")]
    pub id: LeadId,
    #[sqlx(try_from = "i64")]
    pub widget_id: WidgetId,
    pub widget_name: String,
    pub visitor_id: String,
    /// The conversation's public id (`c_…`), when the lead has one.
    pub conversation: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    #[sqlx(try_from = "String")]
    pub source: LeadSource,
    #[sqlx(try_from = "String")]
    pub status: LeadStatus,
    pub notes: String,
    /// What the visitor asked first.
    pub summary: String,
    /// ISO 3166 alpha-2, from the browser's language, or empty.
    pub country: String,
    #[sqlx(try_from = "i64")]
    pub locked: Flag,
    pub follow_up_sent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ROW: &str = "SELECT l.id, l.widget_id, w.name AS widget_name, l.visitor_id, c.public_id AS conversation, \
     l.name, l.email, l.phone, l.company, l.message, l.source, l.status, l.notes, l.summary, l.country, \
     l.locked, l.follow_up_sent_at, l.created_at, l.updated_at \
     FROM leads l JOIN widgets w ON w.id = l.widget_id LEFT JOIN conversations c ON c.id = l.conversation_id";

/// Contact details from the widget's lead form, or found in a chat message.
#[derive(Debug, Clone, Default)]
pub struct NewLead<'a> {
    pub visitor_id: &'a str,
    /// The conversation's public id (`c_…`); ignored unless it is this
    /// visitor's on this widget.
    pub conversation: Option<&'a str>,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub company: &'a str,
    pub message: &'a str,
    pub summary: &'a str,
    pub country: &'a str,
}

/// What storing a lead did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new lead; `locked` past the plan's limit.
    Created { id: LeadId, locked: bool },
    /// The visitor's chat lead got a new detail.
    Updated { id: LeadId },
    /// The visitor's chat lead already held these details.
    Unchanged { id: LeadId },
}

/// How a list of leads is narrowed and ordered.
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub status: Option<LeadStatus>,
    pub widget: Option<WidgetId>,
    pub source: Option<LeadSource>,
    /// Created at or after (Unix seconds).
    pub from: Option<i64>,
    /// Created before (Unix seconds).
    pub to: Option<i64>,
    /// Words searched in name, e-mail, phone, company, message, notes and
    /// summary (case-insensitive; locked leads never match).
    pub text: Option<String>,
    pub sort: LeadSort,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadSort {
    #[default]
    Newest,
    Oldest,
    Name,
    Status,
}

impl LeadSort {
    fn order_by(self) -> &'static str {
        match self {
            LeadSort::Newest => "l.created_at DESC, l.id DESC",
            LeadSort::Oldest => "l.created_at, l.id",
            LeadSort::Name => "LOWER(l.name), l.id DESC",
            LeadSort::Status => "l.status, l.created_at DESC, l.id DESC",
        }
    }
}

/// The owner's lead settings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeadSettings {
    #[sqlx(try_from = "String")]
    pub alerts: LeadAlerts,
    /// Send the follow-up e-mail to each new lead (plans with `follow_up_email`).
    #[sqlx(try_from = "i64")]
    pub follow_up: Flag,
    pub subject: String,
    pub body: String,
    pub delay_minutes: i64,
}

impl Default for LeadSettings {
    fn default() -> Self {
        Self {
            alerts: LeadAlerts::Each,
            follow_up: Flag(false),
            subject: String::new(),
            body: String::new(),
            delay_minutes: 0,
        }
    }
}

/// The filter shared by the list and its count: `$1` the account, then the
/// query's fields in order.
const FILTER: &str = "w.account_id = $1 \
     AND ($2 IS NULL OR l.status = $2) \
     AND ($3 IS NULL OR l.widget_id = $3) \
     AND ($4 IS NULL OR l.source = $4) \
     AND ($5 IS NULL OR l.created_at >= $5) \
     AND ($6 IS NULL OR l.created_at < $6) \
     AND ($7 IS NULL OR (l.locked = 0 AND LOWER(l.name || ' ' || l.email || ' ' || l.phone || ' ' || l.company \
          || ' ' || l.message || ' ' || l.notes || ' ' || l.summary) LIKE $7 ESCAPE '\\'))";

/// `text` as a `LIKE` pattern matching it anywhere, its wildcards escaped.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

type Query<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

fn bind_filter<'q, O>(query: Query<'q, O>, account: AccountId, q: &LeadQuery) -> Query<'q, O> {
    query
        .bind(account.get())
        .bind(q.status.map(LeadStatus::as_str))
        .bind(q.widget.map(WidgetId::get))
        .bind(q.source.map(LeadSource::as_str))
        .bind(q.from)
        .bind(q.to)
        .bind(
            q.text
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| like_pattern(t.trim())),
        )
}

impl Store {
    /// Stores a lead from the widget's form; past the account's `limit` of
    /// unlocked leads (`None`: unlimited) it is stored locked. Leads of one
    /// account are counted and stored one at a time (SQLite writes one
    /// transaction at a time; on PostgreSQL the account's row is locked
    /// first), so concurrent leads never exceed the limit.
    pub async fn add_lead(
        &self,
        widget: WidgetId,
        lead: &NewLead<'_>,
        limit: Option<i64>,
        now: i64,
    ) -> StoreResult<Stored> {
        let mut tx = self.begin_write().await?;
        self.lock_account_of(&mut tx, widget).await?;
        let stored = insert(&mut tx, widget, lead, LeadSource::Form, limit, now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Records contact details a visitor typed into the chat: their chat
    /// lead on this widget is created, or updated with the new e-mail
    /// address or phone number (details already held are kept).
    pub async fn capture_chat_lead(
        &self,
        widget: WidgetId,
        lead: &NewLead<'_>,
        limit: Option<i64>,
        now: i64,
    ) -> StoreResult<Stored> {
        let mut tx = self.begin_write().await?;
        self.lock_account_of(&mut tx, widget).await?;
        let existing: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT id, email, phone FROM leads WHERE widget_id = $1 AND visitor_id = $2 AND source = 'chat'",
        )
        .bind(widget.get())
        .bind(lead.visitor_id)
        .fetch_optional(&mut *tx)
        .await?;
        let stored = match existing {
            None => insert(&mut tx, widget, lead, LeadSource::Chat, limit, now).await?,
            Some((id, email, phone)) => {
                let id = LeadId::from_raw(id);
                let email = if lead.email.is_empty() {
                    email
                } else {
                    lead.email.to_owned()
                };
                let phone = if lead.phone.is_empty() {
                    phone
                } else {
                    lead.phone.to_owned()
                };
                let changed = sqlx::query(
                    "UPDATE leads SET email = $1, phone = $2, updated_at = $3 \
                     WHERE id = $4 AND (email <> $1 OR phone <> $2)",
                )
                .bind(&email)
                .bind(&phone)
                .bind(now)
                .bind(id.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    Stored::Unchanged { id }
                } else {
                    Stored::Updated { id }
                }
            }
        };
        tx.commit().await?;
        Ok(stored)
    }

    /// On PostgreSQL, locks the widget's account so its leads are counted
    /// and stored one at a time. `NO KEY UPDATE`: rows that only reference
    /// the account (a foreign-key check's `KEY SHARE`, as the analytics
    /// triggers' rollup writes take) are not blocked, so a lead and a
    /// concurrent message never deadlock.
    async fn lock_account_of(
        &self,
        tx: &mut crate::db::WriteTx,
        widget: WidgetId,
    ) -> StoreResult<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query(
                "SELECT a.id FROM accounts a JOIN widgets w ON w.account_id = a.id \
                 WHERE w.id = $1 FOR NO KEY UPDATE OF a",
            )
            .bind(widget.get())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// One of the account's leads.
    pub async fn lead_of(&self, account: AccountId, id: LeadId) -> StoreResult<LeadRow> {
        let sql = format!("{ROW} WHERE w.account_id = $1 AND l.id = $2");
        sqlx::query_as(&sql)
            .bind(account.get())
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A lead and its account, for background work that has only its id.
    pub async fn lead_by_id(&self, id: LeadId) -> StoreResult<(AccountId, LeadRow)> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT w.account_id FROM leads l JOIN widgets w ON w.id = l.widget_id WHERE l.id = $1",
        )
        .bind(id.get())
        .fetch_optional(self.pool())
        .await?;
        let account = AccountId::from_raw(found.ok_or(StoreError::NotFound)?.0);
        Ok((account, self.lead_of(account, id).await?))
    }

    /// Takes a claimed alert back after its e-mail could not be sent.
    pub async fn release_lead_alert(&self, id: LeadId) -> StoreResult<()> {
        sqlx::query("UPDATE leads SET alerted_at = NULL WHERE id = $1")
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The account's leads matching `query`, in its order and page.
    pub async fn find_leads(
        &self,
        account: AccountId,
        query: &LeadQuery,
    ) -> StoreResult<Vec<LeadRow>> {
        let sql = format!(
            "{ROW} WHERE {FILTER} ORDER BY {} LIMIT $8 OFFSET $9",
            query.sort.order_by()
        );
        Ok(bind_filter(sqlx::query_as(&sql), account, query)
            .bind(query.limit.clamp(1, 1000))
            .bind(query.offset.max(0))
            .fetch_all(self.pool())
            .await?)
    }

    /// How many of the account's leads match `query` (all pages).
    pub async fn count_leads(&self, account: AccountId, query: &LeadQuery) -> StoreResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM leads l JOIN widgets w ON w.id = l.widget_id WHERE {FILTER}"
        );
        let (n,): (i64,) = bind_filter(sqlx::query_as(&sql), account, query)
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    pub async fn leads_count(&self, widget: WidgetId) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM leads WHERE widget_id = $1")
            .bind(widget.get())
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// Sets a lead's status and/or notes; answers the lead as it now is.
    pub async fn update_lead(
        &self,
        account: AccountId,
        id: LeadId,
        status: Option<LeadStatus>,
        notes: Option<&str>,
        now: i64,
    ) -> StoreResult<LeadRow> {
        let updated = sqlx::query(
            "UPDATE leads SET status = COALESCE($1, status), notes = COALESCE($2, notes), updated_at = $3 \
             WHERE id = $4 AND widget_id IN (SELECT id FROM widgets WHERE account_id = $5)",
        )
        .bind(status.map(LeadStatus::as_str))
        .bind(notes)
        .bind(now)
        .bind(id.get())
        .bind(account.get())
        .execute(self.pool())
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.lead_of(account, id).await
    }

    /// Deletes a lead; answers it as it was, so the caller can remove its
    /// details from the conversation too.
    pub async fn delete_lead(&self, account: AccountId, id: LeadId) -> StoreResult<LeadRow> {
        let lead = self.lead_of(account, id).await?;
        sqlx::query("DELETE FROM leads WHERE id = $1")
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(lead)
    }

    /// The visitor's messages of a conversation of the account's widget:
    /// `(message id, body)`, oldest first.
    pub async fn visitor_messages(
        &self,
        account: AccountId,
        conversation: &str,
    ) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT m.id, m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             JOIN widgets w ON w.id = c.widget_id \
             WHERE c.public_id = $1 AND w.account_id = $2 AND m.role = 'visitor' ORDER BY m.id",
        )
        .bind(conversation)
        .bind(account.get())
        .fetch_all(self.pool())
        .await?)
    }

    /// Replaces the bodies of messages (contact details removed).
    pub async fn rewrite_messages(&self, bodies: &[(i64, String)]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for (id, body) in bodies {
            sqlx::query("UPDATE messages SET body = $1 WHERE id = $2")
                .bind(body)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The first questions the visitor asked in their conversation on this
    /// widget (at most `n`).
    pub async fn first_questions(
        &self,
        widget: WidgetId,
        visitor: &str,
        conversation: &str,
        n: i64,
    ) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.public_id = $1 AND c.widget_id = $2 AND c.visitor_id = $3 AND m.role = 'visitor' \
             ORDER BY m.id LIMIT $4",
        )
        .bind(conversation)
        .bind(widget.get())
        .bind(visitor)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(body,)| body).collect())
    }

    /// Sets the summary of what the visitor asked, when it has none yet.
    pub async fn summarise_lead(&self, id: LeadId, summary: &str) -> StoreResult<()> {
        sqlx::query("UPDATE leads SET summary = $1 WHERE id = $2 AND summary = ''")
            .bind(summary)
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn lead_settings(&self, account: AccountId) -> StoreResult<LeadSettings> {
        let found: Option<LeadSettings> = sqlx::query_as(
            "SELECT alerts, follow_up, subject, body, delay_minutes FROM lead_settings WHERE account_id = $1",
        )
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?;
        Ok(found.unwrap_or_default())
    }

    pub async fn save_lead_settings(
        &self,
        account: AccountId,
        settings: &LeadSettings,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO lead_settings (account_id, alerts, follow_up, subject, body, delay_minutes, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (account_id) DO UPDATE SET alerts = $2, follow_up = $3, subject = $4, body = $5, \
                 delay_minutes = $6, updated_at = $7",
        )
        .bind(account.get())
        .bind(settings.alerts.as_str())
        .bind(i64::from(settings.follow_up.0))
        .bind(&settings.subject)
        .bind(&settings.body)
        .bind(settings.delay_minutes)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks the owner told of this lead; `false` when they already were.
    pub async fn claim_lead_alert(&self, id: LeadId, now: i64) -> StoreResult<bool> {
        let claimed =
            sqlx::query("UPDATE leads SET alerted_at = $1 WHERE id = $2 AND alerted_at IS NULL")
                .bind(now)
                .bind(id.get())
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(claimed == 1)
    }

    /// Accounts on daily digests whose digest for `day` is not sent yet and
    /// who have leads they were not told of.
    pub async fn digests_due(&self, day: i64) -> StoreResult<Vec<AccountId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT s.account_id FROM lead_settings s WHERE s.alerts = 'daily' AND s.digest_day < $1 \
             AND EXISTS (SELECT 1 FROM leads l JOIN widgets w ON w.id = l.widget_id \
                         WHERE w.account_id = s.account_id AND l.alerted_at IS NULL)",
        )
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id,)| AccountId::from_raw(id))
            .collect())
    }

    /// Takes the account's digest for `day`: the leads it was not told of,
    /// marked told, once per day whatever the concurrency (empty when the
    /// day's digest was taken already).
    pub async fn claim_digest(
        &self,
        account: AccountId,
        day: i64,
        now: i64,
    ) -> StoreResult<Vec<LeadRow>> {
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE lead_settings SET digest_day = $1 WHERE account_id = $2 AND digest_day < $1",
        )
        .bind(day)
        .bind(account.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let sql = format!("{ROW} WHERE w.account_id = $1 AND l.alerted_at IS NULL ORDER BY l.id");
        let leads: Vec<LeadRow> = sqlx::query_as(&sql)
            .bind(account.get())
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE leads SET alerted_at = $1 WHERE alerted_at IS NULL \
             AND widget_id IN (SELECT id FROM widgets WHERE account_id = $2)",
        )
        .bind(now)
        .bind(account.get())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(leads)
    }

    /// Marks the follow-up e-mail of this lead sent; `false` when it was.
    pub async fn claim_follow_up(&self, id: LeadId, now: i64) -> StoreResult<bool> {
        let claimed = sqlx::query(
            "UPDATE leads SET follow_up_sent_at = $1 WHERE id = $2 AND follow_up_sent_at IS NULL",
        )
        .bind(now)
        .bind(id.get())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Takes a claim back after the e-mail could not be sent, so a retry
    /// sends it.
    pub async fn release_follow_up(&self, id: LeadId) -> StoreResult<()> {
        sqlx::query("UPDATE leads SET follow_up_sent_at = NULL WHERE id = $1")
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Inserts a lead, locked when the account's unlocked leads have reached
/// `limit`.
async fn insert(
    tx: &mut crate::db::WriteTx,
    widget: WidgetId,
    lead: &NewLead<'_>,
    source: LeadSource,
    limit: Option<i64>,
    now: i64,
) -> StoreResult<Stored> {
    let (id, locked): (i64, i64) = sqlx::query_as(
        "INSERT INTO leads (widget_id, conversation_id, visitor_id, name, email, phone, company, message, \
                            summary, country, source, created_at, updated_at, locked) \
         VALUES ($1, (SELECT id FROM conversations WHERE public_id = $2 AND widget_id = $1 AND visitor_id = $3), \
                 $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, \
                 CASE WHEN $13 >= 0 AND (SELECT COUNT(*) FROM leads WHERE locked = 0 AND widget_id IN \
                     (SELECT id FROM widgets WHERE account_id = (SELECT account_id FROM widgets WHERE id = $1))) >= $13 \
                 THEN 1 ELSE 0 END) \
         RETURNING id, locked",
    )
    .bind(widget.get())
    .bind(lead.conversation)
    .bind(lead.visitor_id)
    .bind(lead.name)
    .bind(lead.email)
    .bind(lead.phone)
    .bind(lead.company)
    .bind(lead.message)
    .bind(lead.summary)
    .bind(lead.country)
    .bind(source.as_str())
    .bind(now)
    .bind(limit.unwrap_or(-1))
    .fetch_one(&mut **tx)
    .await?;
    Ok(Stored::Created {
        id: LeadId::from_raw(id),
        locked: locked != 0,
    })
}
