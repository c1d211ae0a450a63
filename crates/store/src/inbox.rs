//! The conversations inbox: an account's conversations across widgets,
//! filtered and searched, listed by keyset (newest activity first), read,
//! deleted one at a time or as a filtered set, and exported page by page.

use serde::Serialize;

use crate::domain::{AccountId, Role, WidgetId};
use crate::{Backend, Store, StoreError, StoreResult};

/// What the owner filters the inbox by. Every field narrows the set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxFilter {
    pub widget: Option<WidgetId>,
    /// Last activity at or after (Unix seconds).
    pub from: Option<i64>,
    /// Last activity before (Unix seconds).
    pub to: Option<i64>,
    /// A visitor rated an answer down.
    pub rated_down: bool,
    /// An answer said "I don't know".
    pub unanswered: bool,
    /// The visitor left a lead.
    pub with_lead: bool,
    /// The owner corrected an answer.
    pub corrected: bool,
    /// Words every matching conversation holds in one of its messages
    /// (whole words, any case); `Some` with no words matches nothing.
    pub search: Option<Vec<String>>,
    /// One visitor's conversations.
    pub visitor: Option<String>,
}

/// Where the next page starts: the last row's `(updated_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: i64,
    pub id: i64,
}

impl Cursor {
    /// `"{updated_at}.{id}"`, opaque to clients.
    pub fn encode(self) -> String {
        format!("{}.{}", self.updated_at, self.id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('.')?;
        let ok = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
        if !ok(at) || !ok(id) {
            return None;
        }
        Some(Self {
            updated_at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A conversation as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxRow {
    #[serde(skip)]
    pub id: i64,
    pub public_id: String,
    pub widget_id: i64,
    pub widget_name: String,
    pub visitor_id: String,
    pub origin: String,
    pub page_url: String,
    pub preview: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: i64,
    /// The first visitor message.
    pub first_message: Option<String>,
    /// 1 when a visitor rated an answer down.
    pub rated_down: i64,
    /// 1 when an answer said "I don't know".
    pub unanswered: i64,
    /// 1 when the visitor left a lead.
    pub with_lead: i64,
    /// 1 when the owner corrected an answer.
    pub corrected: i64,
}

impl InboxRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            updated_at: self.updated_at,
            id: self.id,
        }
    }
}

/// A message of an exported or read conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxMessage {
    #[serde(skip)]
    pub conversation_id: i64,
    pub public_id: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub body: String,
    /// JSON array of `{title, url, score, similarity}`.
    pub sources: String,
    pub latency_ms: Option<i64>,
    pub rating: Option<i64>,
    pub rating_reason: String,
    pub refused: i64,
    pub corrected: i64,
    pub created_at: i64,
}

/// A value bound to a built query.
enum Bind {
    Int(i64),
    Text(String),
}

const FLAG: &str = "CAST(CASE WHEN EXISTS";

/// The `FROM … WHERE …` of the filtered set, and its binds.
fn filtered(backend: Backend, account: AccountId, filter: &InboxFilter) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Int(account.get())];
    let mut sql = String::from(
        " FROM conversations c JOIN widgets w ON w.id = c.widget_id WHERE c.account_id = $1",
    );
    let mut push = |sql: &mut String, clause: &str, bind: Bind| {
        binds.push(bind);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    if let Some(widget) = filter.widget {
        push(&mut sql, " AND c.widget_id = $?", Bind::Int(widget.get()));
    }
    if let Some(from) = filter.from {
        push(&mut sql, " AND c.updated_at >= $?", Bind::Int(from));
    }
    if let Some(to) = filter.to {
        push(&mut sql, " AND c.updated_at < $?", Bind::Int(to));
    }
    if let Some(visitor) = &filter.visitor {
        push(
            &mut sql,
            " AND c.visitor_id = $?",
            Bind::Text(visitor.clone()),
        );
    }
    let exists = |cond: &str| {
        format!(" AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND {cond})")
    };
    if filter.rated_down {
        sql.push_str(&exists("m.rating = -1"));
    }
    if filter.unanswered {
        sql.push_str(&exists("m.refused = 1"));
    }
    if filter.corrected {
        sql.push_str(&exists("m.corrected = 1"));
    }
    if filter.with_lead {
        sql.push_str(" AND EXISTS (SELECT 1 FROM leads l WHERE l.conversation_id = c.id)");
    }
    if let Some(words) = &filter.search {
        if words.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            match backend {
                Backend::Sqlite => {
                    // Each word a quoted FTS5 string: no operator can be injected.
                    let query = words
                        .iter()
                        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    push(
                        &mut sql,
                        " AND c.id IN (SELECT m.conversation_id FROM messages m WHERE m.id IN \
                         (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $?))",
                        Bind::Text(query),
                    );
                }
                Backend::Postgres => push(
                    &mut sql,
                    " AND c.id IN (SELECT m.conversation_id FROM messages m WHERE \
                     to_tsvector('simple', m.body) @@ plainto_tsquery('simple', $?))",
                    Bind::Text(words.join(" ")),
                ),
            }
        }
    }
    (sql, binds)
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

impl Store {
    /// One page of the account's conversations matching `filter`, newest
    /// activity first, after `cursor`.
    pub async fn inbox(
        &self,
        account: AccountId,
        filter: &InboxFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> StoreResult<Vec<InboxRow>> {
        let (mut from, mut binds) = filtered(self.backend(), account, filter);
        if let Some(cursor) = after {
            let n = binds.len();
            from.push_str(&format!(
                " AND (c.updated_at < ${} OR (c.updated_at = ${} AND c.id < ${}))",
                n + 1,
                n + 1,
                n + 2
            ));
            binds.push(Bind::Int(cursor.updated_at));
            binds.push(Bind::Int(cursor.id));
        }
        binds.push(Bind::Int(limit));
        let sql = format!(
            "SELECT c.id, c.public_id, c.widget_id, w.name AS widget_name, c.visitor_id, c.origin, c.page_url, \
             c.preview, c.created_at, c.updated_at, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages, \
             (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.role = 'visitor' ORDER BY m.id LIMIT 1) AS first_message, \
             {FLAG} (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.rating = -1) THEN 1 ELSE 0 END AS BIGINT) AS rated_down, \
             {FLAG} (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.refused = 1) THEN 1 ELSE 0 END AS BIGINT) AS unanswered, \
             {FLAG} (SELECT 1 FROM leads l WHERE l.conversation_id = c.id) THEN 1 ELSE 0 END AS BIGINT) AS with_lead, \
             {FLAG} (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.corrected = 1) THEN 1 ELSE 0 END AS BIGINT) AS corrected\
             {from} ORDER BY c.updated_at DESC, c.id DESC LIMIT ${}",
            binds.len()
        );
        Ok(bind_all!(sqlx::query_as(&sql), &binds)
            .fetch_all(self.pool())
            .await?)
    }

    /// How many of the account's conversations match `filter`.
    pub async fn inbox_count(&self, account: AccountId, filter: &InboxFilter) -> StoreResult<i64> {
        let (from, binds) = filtered(self.backend(), account, filter);
        let sql = format!("SELECT COUNT(*){from}");
        let (n,): (i64,) = bind_all!(sqlx::query_as(&sql), &binds)
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// The messages of the given conversations (internal ids), in order.
    pub async fn inbox_messages(&self, conversations: &[i64]) -> StoreResult<Vec<InboxMessage>> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let list = conversations
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT conversation_id, public_id, role, body, sources, latency_ms, rating, rating_reason, \
             refused, corrected, created_at FROM messages WHERE conversation_id IN ({list}) \
             ORDER BY conversation_id, id"
        );
        Ok(sqlx::query_as(&sql).fetch_all(self.pool()).await?)
    }

    /// One of the account's conversations, as the inbox shows it, and its
    /// messages.
    pub async fn inbox_conversation(
        &self,
        account: AccountId,
        public_id: &str,
    ) -> StoreResult<(InboxRow, Vec<InboxMessage>)> {
        let (id,): (i64,) =
            sqlx::query_as("SELECT id FROM conversations WHERE account_id = $1 AND public_id = $2")
                .bind(account.get())
                .bind(public_id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound)?;
        let (updated_at,): (i64,) =
            sqlx::query_as("SELECT updated_at FROM conversations WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        // The row itself: the page that starts just after it.
        let after = Cursor {
            updated_at,
            id: id + 1,
        };
        let filter = InboxFilter::default();
        let row = self
            .inbox(account, &filter, Some(after), 1)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)?;
        let messages = self.inbox_messages(&[id]).await?;
        Ok((row, messages))
    }

    /// Deletes one of the account's conversations (its messages go with it;
    /// a lead from it stays, without the link).
    pub async fn delete_conversation(
        &self,
        account: AccountId,
        public_id: &str,
    ) -> StoreResult<()> {
        let done =
            sqlx::query("DELETE FROM conversations WHERE account_id = $1 AND public_id = $2")
                .bind(account.get())
                .bind(public_id)
                .execute(self.pool())
                .await?;
        StoreError::found(done.rows_affected())
    }

    /// Deletes every conversation of the account matching `filter`; returns
    /// how many.
    pub async fn delete_conversations(
        &self,
        account: AccountId,
        filter: &InboxFilter,
    ) -> StoreResult<u64> {
        let (from, binds) = filtered(self.backend(), account, filter);
        let sql = format!("DELETE FROM conversations WHERE id IN (SELECT c.id{from})");
        let done = bind_all!(sqlx::query(&sql), &binds)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores an assistant's answer, marked refused when it said "I don't
    /// know", and counts the visitor's `question` in the widget's top
    /// questions when given, and files a refusal's question under its
    /// content `gap`, committed with the turns around it
    /// ([`crate::turns`]). Returns the message's internal id.
    pub async fn add_answer(
        &self,
        conversation: i64,
        message: &crate::conversations::NewMessage<'_>,
        refused: bool,
        question: Option<(WidgetId, &str)>,
        gap: Option<crate::gaps::GapVector>,
        now: i64,
    ) -> StoreResult<i64> {
        let write = crate::turns::Write::Answer(crate::turns::Answer {
            conversation,
            reply: crate::turns::Reply {
                message: message.into(),
                refused,
                question: question.map(|(widget, text)| (widget, text.to_owned())),
                gap,
            },
            now,
        });
        match self.turns().write(write).await? {
            crate::turns::Written::Answered(id) => Ok(id),
            _ => Err(StoreError::NotFound),
        }
    }

    /// Marks an assistant message of the account as corrected by the owner.
    pub async fn mark_corrected(&self, account: AccountId, message: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE messages SET corrected = 1 WHERE public_id = $1 AND conversation_id IN \
             (SELECT id FROM conversations WHERE account_id = $2)",
        )
        .bind(message)
        .bind(account.get())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
