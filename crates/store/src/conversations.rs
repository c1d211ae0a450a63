//! What visitors say to widgets: conversations and their messages, ratings,
//! widget events, and embed health (leads: [`crate::leads`]).

use serde::Serialize;

use crate::domain::{AccountId, Role, WidgetEventKind, WidgetId};
use crate::gaps::GapVector;
use crate::turns::{Begin, Reply, Write, Written};
use crate::usage::Take;
use crate::{Store, StoreError, StoreResult};

/// A conversation, as the owner lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub public_id: String,
    pub visitor_id: String,
    pub origin: String,
    pub page_url: String,
    pub preview: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: i64,
    /// The first visitor message, for the list.
    pub first_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub public_id: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub body: String,
    /// JSON array of `{title, url}`.
    pub sources: String,
    pub latency_ms: Option<i64>,
    pub rating: Option<i64>,
    pub rating_reason: String,
    pub created_at: i64,
}

/// Where a visitor's message came from.
#[derive(Debug, Clone)]
pub struct Visit<'a> {
    pub visitor_id: &'a str,
    pub origin: &'a str,
    pub page_url: &'a str,
    pub preview: bool,
}

/// A new message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub public_id: &'a str,
    pub role: Role,
    pub body: &'a str,
    pub sources: &'a str,
    pub latency_ms: Option<i64>,
}

/// The conversation a visitor's message goes to.
#[derive(Debug, Clone)]
pub struct Opening<'a> {
    pub widget: WidgetId,
    /// The conversation to continue, when the visitor named one.
    pub public_id: Option<&'a str>,
    /// The public id of a conversation opened now.
    pub new_public_id: &'a str,
    pub visit: &'a Visit<'a>,
}

/// An answer stored with the visitor's message ([`Store::begin_turn`]):
/// marked refused, and the question counted in the widget's top questions
/// when given.
#[derive(Debug, Clone)]
pub struct KnownAnswer<'a> {
    pub message: NewMessage<'a>,
    pub refused: bool,
    pub question: Option<(WidgetId, &'a str)>,
    /// A refusal's question, filed under its content gap with it.
    pub gap: Option<GapVector>,
}

/// What [`Store::begin_turn`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The allowance is used up: nothing was written.
    Refused(Take),
    /// The message is stored in this conversation (internal and public
    /// id); `take` is the allowance's, when one was taken; `answer` the
    /// internal id of the answer stored with it.
    Started {
        take: Option<Take>,
        conversation: i64,
        public_id: String,
        answer: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedOrigin {
    pub origin: String,
    pub allowed: i64,
    pub hits: i64,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// Refused origins recorded per widget at most, so random `Origin` values
/// cannot grow the table without bound.
const MAX_REFUSED_ORIGINS: i64 = 200;

const SUMMARY: &str = "SELECT c.public_id, c.visitor_id, c.origin, c.page_url, c.preview, c.created_at, c.updated_at, \
     (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages, \
     (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.role = 'visitor' ORDER BY m.id LIMIT 1) AS first_message \
     FROM conversations c JOIN widgets w ON w.id = c.widget_id";

impl Store {
    /// A visitor's message written, committed with the turns around it
    /// ([`crate::turns`]): a conversation taken from `take_from`'s
    /// allowance (none for the owner's preview; refused: nothing written),
    /// the visitor's conversation continued or opened, and the message
    /// stored — with its answer, when it is known already (a remembered
    /// answer, small talk: one commit for the whole turn).
    pub async fn begin_turn(
        &self,
        take_from: Option<AccountId>,
        opening: &Opening<'_>,
        message: &NewMessage<'_>,
        answer: Option<&KnownAnswer<'_>>,
        now: i64,
    ) -> StoreResult<Begun> {
        let reply = answer.map(|answer| Reply {
            message: (&answer.message).into(),
            refused: answer.refused,
            question: answer
                .question
                .map(|(widget, text)| (widget, text.to_owned())),
            gap: answer.gap.clone(),
        });
        let write = Write::Begin(Box::new(Begin::new(
            take_from, opening, message, reply, now,
        )));
        match self.turns().write(write).await? {
            Written::Started {
                take,
                conversation,
                public_id,
                answer,
            } => Ok(Begun::Started {
                take,
                conversation,
                public_id,
                answer,
            }),
            Written::Refused => match take_from {
                Some(account) => Ok(Begun::Refused(self.refused_take(account).await?)),
                None => Err(StoreError::NotFound),
            },
            Written::Answered(_) => Err(StoreError::NotFound),
        }
    }

    /// The last `limit` messages of a conversation as (role, body), oldest
    /// first: the window an LLM answer sees.
    pub async fn recent_messages(
        &self,
        conversation: i64,
        limit: i64,
    ) -> StoreResult<Vec<(Role, String)>> {
        let recent: Vec<(String, String)> = sqlx::query_as(
            "SELECT role, body FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(conversation)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        recent
            .into_iter()
            .rev()
            .map(|(role, body)| {
                let role = Role::try_from(role)
                    .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
                Ok((role, body))
            })
            .collect()
    }

    /// Rates an answer of this widget given to this visitor; anything else is
    /// `NotFound`.
    pub async fn rate_message(
        &self,
        widget: WidgetId,
        visitor_id: &str,
        message: &str,
        rating: i64,
        reason: &str,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE messages SET rating = $1, rating_reason = $2 WHERE public_id = $3 AND role = 'assistant' \
             AND conversation_id IN (SELECT id FROM conversations WHERE widget_id = $4 AND visitor_id = $5)",
        )
        .bind(rating)
        .bind(reason)
        .bind(message)
        .bind(widget.get())
        .bind(visitor_id)
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    /// The newest conversations of one of the account's widgets.
    pub async fn conversations_of(
        &self,
        account: AccountId,
        widget: WidgetId,
        limit: i64,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let sql = format!(
            "{SUMMARY} WHERE w.account_id = $1 AND w.id = $2 ORDER BY c.updated_at DESC, c.id DESC LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account.get())
            .bind(widget.get())
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// One of the account's conversations with its messages and widget.
    pub async fn conversation_of(
        &self,
        account: AccountId,
        public_id: &str,
    ) -> StoreResult<(ConversationSummary, WidgetId, Vec<Message>)> {
        let sql = format!("{SUMMARY} WHERE w.account_id = $1 AND c.public_id = $2");
        let summary: ConversationSummary = sqlx::query_as(&sql)
            .bind(account.get())
            .bind(public_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let (widget,): (i64,) =
            sqlx::query_as("SELECT widget_id FROM conversations WHERE public_id = $1")
                .bind(public_id)
                .fetch_one(self.pool())
                .await?;
        let messages = sqlx::query_as(
            "SELECT m.public_id, m.role, m.body, m.sources, m.latency_ms, m.rating, m.rating_reason, m.created_at \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.public_id = $1 ORDER BY m.id",
        )
        .bind(public_id)
        .fetch_all(self.pool())
        .await?;
        Ok((summary, WidgetId::from_raw(widget), messages))
    }

    /// Adds `hits` uses of the widget by `origin` (allowed or refused),
    /// last seen at `now`.
    pub async fn record_embed_origin(
        &self,
        widget: WidgetId,
        origin: &str,
        allowed: bool,
        hits: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO embed_origins (widget_id, origin, allowed, hits, first_seen, last_seen) \
             SELECT $1, $2, $3, $6, $4, $4 WHERE $3 = 1 OR EXISTS \
               (SELECT 1 FROM embed_origins WHERE widget_id = $1 AND origin = $2 AND allowed = $3) \
               OR (SELECT COUNT(*) FROM embed_origins WHERE widget_id = $1 AND allowed = 0) < $5 \
             ON CONFLICT (widget_id, origin, allowed) DO UPDATE SET hits = embed_origins.hits + excluded.hits, \
             last_seen = excluded.last_seen",
        )
        .bind(widget.get())
        .bind(origin)
        .bind(i64::from(allowed))
        .bind(now)
        .bind(MAX_REFUSED_ORIGINS)
        .bind(hits)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Embed health of one of the account's widgets, most recent first.
    pub async fn embed_origins_of(
        &self,
        account: AccountId,
        widget: WidgetId,
    ) -> StoreResult<Vec<EmbedOrigin>> {
        Ok(sqlx::query_as(
            "SELECT e.origin, e.allowed, e.hits, e.first_seen, e.last_seen FROM embed_origins e \
             JOIN widgets w ON w.id = e.widget_id WHERE w.account_id = $1 AND w.id = $2 \
             ORDER BY e.allowed DESC, e.last_seen DESC LIMIT 100",
        )
        .bind(account.get())
        .bind(widget.get())
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn record_widget_event(
        &self,
        widget: WidgetId,
        kind: WidgetEventKind,
        visit: &Visit<'_>,
        now: i64,
    ) -> StoreResult<()> {
        // Its analytics triggers lock the quarter's and the day's rows,
        // which a chat batch may hold in the other order: a deadlock lost
        // is tried again.
        crate::db::retried(|| async {
            sqlx::query(
                "INSERT INTO widget_events (widget_id, kind, visitor_id, origin, page_url, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(widget.get())
            .bind(kind.as_str())
            .bind(visit.visitor_id)
            .bind(visit.origin)
            .bind(visit.page_url)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(StoreError::from)
        })
        .await?;
        Ok(())
    }
}
