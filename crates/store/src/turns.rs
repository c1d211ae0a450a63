//! A chat turn's writes, committed together with those of the turns that
//! arrived meanwhile (group commit). Every turn writes the same few hot
//! rows — its account's allowance, its widget's analytics quarter — so a
//! commit per turn bound chat throughput to the database's commit rate
//! (PostgreSQL: one WAL flush each; SQLite: every changed page written to
//! the WAL each time). One writer task takes the turns that are waiting,
//! writes them in one transaction with a few statements whatever their
//! number (each account's allowance read and counted once, conversations
//! and messages inserted many rows at a time), and answers each only once
//! it is committed: a visitor is never told of a turn that is not stored.
//!
//! A write that fails (a conversation deleted meanwhile, say) rolls the
//! batch back; its turns are then written one by one, so only that one
//! fails. A batch that could not begin or commit fails as a whole (a busy
//! or unreachable database: each turn gets a retryable error); it is not
//! written again, since a commit whose reply was lost may have happened.

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use crate::conversations::{NewMessage, Opening};
use crate::db::{Backend, WriteGate, begin_write};
use crate::domain::{AccountId, Role, WidgetId};
use crate::gaps::{Filer, GapQuestion, GapVector};
use crate::usage::{Take, take_in};
use crate::{StoreError, StoreResult};

/// How many turns wait for the writer before senders do.
const QUEUE: usize = 1024;
/// How many turns one commit writes at most.
const BATCH: usize = 64;

/// The queue to the writer task; see the module's documentation.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Queued>,
}

/// A message to store, owned so it can wait in the queue.
#[derive(Debug)]
pub(crate) struct Message {
    public_id: String,
    role: Role,
    body: String,
    sources: String,
    latency_ms: Option<i64>,
}

impl From<&NewMessage<'_>> for Message {
    fn from(message: &NewMessage<'_>) -> Self {
        Self {
            public_id: message.public_id.to_owned(),
            role: message.role,
            body: message.body.to_owned(),
            sources: message.sources.to_owned(),
            latency_ms: message.latency_ms,
        }
    }
}

/// One turn's writes.
#[derive(Debug)]
pub(crate) enum Write {
    Begin(Box<Begin>),
    Answer(Answer),
}

impl Write {
    fn begin(&self) -> Option<&Begin> {
        match self {
            Self::Begin(begin) => Some(begin.as_ref()),
            Self::Answer(_) => None,
        }
    }
}

/// The allowance taken from `take_from` (none for the owner's preview),
/// the conversation continued or opened, the visitor's message stored.
#[derive(Debug)]
pub(crate) struct Begin {
    take_from: Option<AccountId>,
    widget: WidgetId,
    public_id: Option<String>,
    new_public_id: String,
    visitor_id: String,
    origin: String,
    page_url: String,
    preview: bool,
    message: Message,
    /// The answer, when it was known before the turn was written.
    reply: Option<Reply>,
    now: i64,
}

impl Begin {
    pub(crate) fn new(
        take_from: Option<AccountId>,
        opening: &Opening<'_>,
        message: &NewMessage<'_>,
        reply: Option<Reply>,
        now: i64,
    ) -> Self {
        let visit = opening.visit;
        Self {
            take_from,
            widget: opening.widget,
            public_id: opening.public_id.map(str::to_owned),
            new_public_id: opening.new_public_id.to_owned(),
            visitor_id: visit.visitor_id.to_owned(),
            origin: visit.origin.to_owned(),
            page_url: visit.page_url.to_owned(),
            preview: visit.preview,
            message: message.into(),
            reply,
            now,
        }
    }
}

/// An answer stored (marked refused) and the visitor's question counted
/// in the widget's top questions, when given.
#[derive(Debug)]
pub(crate) struct Reply {
    pub message: Message,
    pub refused: bool,
    pub question: Option<(WidgetId, String)>,
    /// A refusal's question filed under its content gap, with the answer.
    pub gap: Option<GapVector>,
}

impl Write {
    /// The answer this write stores, if any.
    fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Begin(begin) => begin.reply.as_ref(),
            Self::Answer(answer) => Some(&answer.reply),
        }
    }

    fn now(&self) -> i64 {
        match self {
            Self::Begin(begin) => begin.now,
            Self::Answer(answer) => answer.now,
        }
    }
}

/// An answer to a conversation's turn begun before.
#[derive(Debug)]
pub(crate) struct Answer {
    pub conversation: i64,
    pub reply: Reply,
    pub now: i64,
}

/// What a [`Write`] did.
#[derive(Debug)]
pub(crate) enum Written {
    /// The allowance is used up: nothing was written.
    Refused,
    /// The message is stored in this conversation (internal and public
    /// id), and the answer given with it, with this id.
    Started {
        take: Option<Take>,
        conversation: i64,
        public_id: String,
        answer: Option<i64>,
    },
    /// The answer's internal id.
    Answered(i64),
}

#[derive(Debug)]
struct Queued {
    write: Write,
    reply: oneshot::Sender<StoreResult<Written>>,
}

impl Writer {
    /// Starts the writer; it ends when every [`Writer`] is dropped. On
    /// SQLite it runs on a thread of its own, with its own single-threaded
    /// runtime: on the request runtime its wake-ups (from sqlx's
    /// connection threads, so through Tokio's global queue) waited behind
    /// requests retrieving on both workers (measured: 2,884 → 3,472
    /// repeated chats/s). On PostgreSQL it stays on the request runtime,
    /// whose reactor drives the pool's sockets (on a runtime of its own:
    /// 1,677 → 1,213 chats/s).
    pub(crate) fn start(pool: AnyPool, backend: Backend, gate: WriteGate) -> StoreResult<Self> {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let writer = run(pool, backend, gate, waiting);
        match backend {
            Backend::Sqlite => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                std::thread::Builder::new()
                    .name("witzo-turns".into())
                    .spawn(move || runtime.block_on(writer))?;
            }
            Backend::Postgres => {
                tokio::spawn(writer);
            }
        }
        Ok(Self { queue })
    }

    /// Writes `write` with the turns around it; returns once committed.
    pub(crate) async fn write(&self, write: Write) -> StoreResult<Written> {
        let (reply, written) = oneshot::channel();
        // The writer is gone only once the pool closed (shutting down).
        let closed = || StoreError::Busy(sqlx::Error::PoolClosed);
        self.queue
            .send(Queued { write, reply })
            .await
            .map_err(|_| closed())?;
        written.await.map_err(|_| closed())?
    }
}

async fn run(
    pool: AnyPool,
    backend: Backend,
    gate: WriteGate,
    mut waiting: mpsc::Receiver<Queued>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while waiting.recv_many(&mut batch, BATCH).await > 0 {
        tracing::trace!(writes = batch.len(), "writing a batch of turns");
        match write_batch(&pool, backend, &gate, &batch).await {
            Ok(written) => {
                for (queued, written) in batch.drain(..).zip(written) {
                    // The turn's request may have gone; what it wrote stays.
                    let _ = queued.reply.send(Ok(written));
                }
            }
            Err(Failed::Write(_)) if batch.len() > 1 => {
                for queued in batch.drain(..) {
                    let alone = write_batch(&pool, backend, &gate, std::slice::from_ref(&queued))
                        .await
                        .map_err(Failed::into_error)
                        .and_then(|written| written.into_iter().next().ok_or(StoreError::NotFound));
                    let _ = queued.reply.send(alone);
                }
            }
            Err(failed) => {
                let err = failed.into_error();
                for queued in batch.drain(..) {
                    let _ = queued.reply.send(Err(err.copied()));
                }
            }
        }
    }
}

/// Why a batch was not written.
enum Failed {
    /// The transaction could not begin or commit.
    Batch(StoreError),
    /// One of its writes failed; nothing was committed.
    Write(StoreError),
}

impl Failed {
    fn into_error(self) -> StoreError {
        match self {
            Self::Batch(err) | Self::Write(err) => err,
        }
    }
}

/// Every write of `batch` in one transaction.
async fn write_batch(
    pool: &AnyPool,
    backend: Backend,
    gate: &WriteGate,
    batch: &[Queued],
) -> Result<Vec<Written>, Failed> {
    let mut tx = begin_write(pool, backend, gate)
        .await
        .map_err(Failed::Batch)?;
    let writes: Vec<&Write> = batch.iter().map(|queued| &queued.write).collect();
    let written = write_all(&mut tx, backend, &writes)
        .await
        .map_err(Failed::Write)?;
    tx.commit().await.map_err(|err| Failed::Batch(err.into()))?;
    Ok(written)
}

/// What the batch's takes gave one begin write.
enum Allowance {
    /// Nothing to take: the owner's preview.
    Untaken,
    Granted(Take),
    Refused,
}

/// Writes `writes` in a few statements whatever their number: the
/// allowance of each account counted once, new conversations and messages
/// inserted many rows at a time, the questions counted once each.
async fn write_all(
    conn: &mut AnyConnection,
    backend: Backend,
    writes: &[&Write],
) -> StoreResult<Vec<Written>> {
    let allowances = take_all(conn, backend, writes).await?;
    let mut written: Vec<Option<Written>> = writes.iter().map(|_| None).collect();
    // Begin writes: the conversation continued, else opened.
    let mut opened = Vec::new();
    for (i, (write, allowance)) in writes.iter().zip(allowances).enumerate() {
        let Write::Begin(begin) = write else {
            continue;
        };
        let take = match allowance {
            Allowance::Refused => {
                written[i] = Some(Written::Refused);
                continue;
            }
            Allowance::Granted(take) => Some(take),
            Allowance::Untaken => None,
        };
        let continued = match &begin.public_id {
            Some(public_id) => continue_in(conn, begin, public_id)
                .await?
                .map(|id| (id, public_id.clone())),
            None => None,
        };
        // A conversation opened gets its id once inserted, below.
        let (conversation, public_id) = continued.unwrap_or_else(|| {
            opened.push(i);
            (0, begin.new_public_id.clone())
        });
        written[i] = Some(Written::Started {
            take,
            conversation,
            public_id,
            answer: None,
        });
    }
    let new: Vec<&Begin> = opened.iter().filter_map(|&i| writes[i].begin()).collect();
    let ids = insert_conversations(conn, backend, &new).await?;
    for (&i, id) in opened.iter().zip(ids) {
        if let Some(Written::Started { conversation, .. }) = &mut written[i] {
            *conversation = id;
        }
    }
    // Every message, the visitors' and the answers, in one insert.
    let mut rows = Rows::default();
    for (i, (&write, done)) in writes.iter().zip(&written).enumerate() {
        match (write, done) {
            (Write::Begin(begin), Some(Written::Started { conversation, .. })) => {
                rows.messages.push(Row {
                    conversation: *conversation,
                    message: &begin.message,
                    refused: false,
                    now: begin.now,
                });
                if let Some(reply) = &begin.reply {
                    rows.reply(i, *conversation, reply, begin.now);
                }
            }
            (Write::Answer(answer), _) => {
                rows.reply(i, answer.conversation, &answer.reply, answer.now);
            }
            _ => {}
        }
    }
    let Rows {
        messages,
        answered,
        questions,
        asked_at,
    } = rows;
    let ids = insert_messages(conn, backend, &messages).await?;
    let mut gaps = Filer::default();
    for (i, nth) in answered {
        let id = ids.get(nth).copied().ok_or(StoreError::NotFound)?;
        match &mut written[i] {
            Some(Written::Started { answer, .. }) => *answer = Some(id),
            done => *done = Some(Written::Answered(id)),
        }
        // Refusals filed in the order they were asked (grouping against a
        // growing centroid depends on it).
        if let Some(Reply {
            question: Some((widget, question)),
            gap: Some(gap),
            ..
        }) = writes[i].reply()
        {
            let filed = GapQuestion {
                widget: *widget,
                message: id,
                question,
                vector: &gap.vector,
                model: &gap.model,
                now: writes[i].now(),
            };
            gaps.file(conn, backend, &filed, gap.threshold).await?;
        }
    }
    gaps.finish(conn).await?;
    count_questions(conn, backend, &questions, asked_at).await?;
    written
        .into_iter()
        .map(|done| done.ok_or(StoreError::NotFound))
        .collect()
}

/// A batch's messages, and what its answers count.
#[derive(Default)]
struct Rows<'a> {
    messages: Vec<Row<'a>>,
    /// For each answer, its write's index and its row's.
    answered: Vec<(usize, usize)>,
    /// `(widget, normalised question, times asked)`.
    questions: Vec<(WidgetId, String, i64)>,
    /// When the last of them was asked.
    asked_at: i64,
}

impl<'a> Rows<'a> {
    /// The answer of write `i`, and its question counted.
    fn reply(&mut self, i: usize, conversation: i64, reply: &'a Reply, now: i64) {
        self.answered.push((i, self.messages.len()));
        self.messages.push(Row {
            conversation,
            message: &reply.message,
            refused: reply.refused,
            now,
        });
        let Some((widget, text)) = &reply.question else {
            return;
        };
        let Some(question) = crate::analytics::normalise_question(text) else {
            return;
        };
        self.asked_at = self.asked_at.max(now);
        match self
            .questions
            .iter_mut()
            .find(|(w, q, _)| w == widget && *q == question)
        {
            Some((_, _, asked)) => *asked += 1,
            None => self.questions.push((*widget, question, 1)),
        }
    }
}

/// Each begin write's allowance: per account, one read and one count for
/// all of its turns in the batch, granted in turn order while it lasts.
async fn take_all(
    conn: &mut AnyConnection,
    backend: Backend,
    writes: &[&Write],
) -> StoreResult<Vec<Allowance>> {
    let mut allowances: Vec<Allowance> = writes.iter().map(|_| Allowance::Untaken).collect();
    let asking = |account: AccountId| {
        writes
            .iter()
            .enumerate()
            .filter_map(move |(i, write)| (write.begin()?.take_from == Some(account)).then_some(i))
    };
    let mut accounts: Vec<AccountId> = Vec::new();
    for write in writes {
        if let Some(account) = write.begin().and_then(|begin| begin.take_from)
            && !accounts.contains(&account)
        {
            accounts.push(account);
        }
    }
    for account in accounts {
        let wanted = i64::try_from(asking(account).count()).unwrap_or(i64::MAX);
        let grant = take_in(conn, backend, account, wanted).await?;
        for (nth, i) in (0..).zip(asking(account)) {
            allowances[i] = match grant.as_ref().and_then(|grant| grant.take(nth)) {
                Some(take) => Allowance::Granted(take),
                None => Allowance::Refused,
            };
        }
    }
    Ok(allowances)
}

/// The visitor's conversation `public_id` on the begin write's widget,
/// touched; `None` when it is absent or not theirs.
async fn continue_in(
    conn: &mut AnyConnection,
    begin: &Begin,
    public_id: &str,
) -> StoreResult<Option<i64>> {
    let found: Option<(i64,)> = sqlx::query_as(
        "UPDATE conversations SET updated_at = $1 WHERE public_id = $2 AND widget_id = $3 AND visitor_id = $4 RETURNING id",
    )
    .bind(begin.now)
    .bind(public_id)
    .bind(begin.widget.get())
    .bind(&begin.visitor_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map(|(id,)| id))
}

/// The rows of the JSON array of objects bound as `$1`, as a table `r`
/// with `columns` (name, PostgreSQL type): a batch's rows, however many,
/// in one statement of one prepared form (so one run of each statement
/// trigger, which on PostgreSQL plans its join afresh each time).
fn json_rows(backend: Backend, columns: &[(&str, &str)]) -> String {
    match backend {
        Backend::Postgres => {
            let typed: Vec<String> = columns
                .iter()
                .map(|(name, kind)| format!("{name} {kind}"))
                .collect();
            format!("json_to_recordset($1::json) AS r({})", typed.join(", "))
        }
        Backend::Sqlite => {
            let read: Vec<String> = columns
                .iter()
                .map(|(name, _)| format!("value ->> '{name}' AS {name}"))
                .collect();
            format!("(SELECT {} FROM json_each($1)) AS r", read.join(", "))
        }
    }
}

/// `rows` as the JSON array [`json_rows`] reads.
fn json_array<T>(rows: &[T], row: impl Fn(&T) -> serde_json::Value) -> String {
    serde_json::Value::Array(rows.iter().map(row).collect()).to_string()
}

/// Opens a conversation for each begin write; returns their ids, in order.
async fn insert_conversations(
    conn: &mut AnyConnection,
    backend: Backend,
    new: &[&Begin],
) -> StoreResult<Vec<i64>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO conversations (widget_id, account_id, public_id, visitor_id, origin, page_url, preview, created_at, updated_at) \
         SELECT r.widget_id, (SELECT account_id FROM widgets WHERE id = r.widget_id), r.public_id, r.visitor_id, \
         r.origin, r.page_url, r.preview, r.now, r.now FROM {} RETURNING id, public_id",
        json_rows(
            backend,
            &[
                ("widget_id", "bigint"),
                ("public_id", "text"),
                ("visitor_id", "text"),
                ("origin", "text"),
                ("page_url", "text"),
                ("preview", "bigint"),
                ("now", "bigint"),
            ]
        )
    );
    let rows = json_array(new, |begin| {
        serde_json::json!({
            "widget_id": begin.widget.get(),
            "public_id": begin.new_public_id,
            "visitor_id": begin.visitor_id,
            "origin": begin.origin,
            "page_url": begin.page_url,
            "preview": i64::from(begin.preview),
            "now": begin.now,
        })
    });
    inserted_ids(conn, &sql, rows, new, |begin| &begin.new_public_id).await
}

/// A message to insert into its conversation.
struct Row<'a> {
    conversation: i64,
    message: &'a Message,
    refused: bool,
    now: i64,
}

/// Stores each message; returns their internal ids, in order.
async fn insert_messages(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Row<'_>],
) -> StoreResult<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO messages (conversation_id, public_id, role, body, sources, latency_ms, refused, created_at) \
         SELECT r.conversation_id, r.public_id, r.role, r.body, r.sources, r.latency_ms, r.refused, r.created_at \
         FROM {} RETURNING id, public_id",
        json_rows(
            backend,
            &[
                ("conversation_id", "bigint"),
                ("public_id", "text"),
                ("role", "text"),
                ("body", "text"),
                ("sources", "text"),
                ("latency_ms", "bigint"),
                ("refused", "bigint"),
                ("created_at", "bigint"),
            ]
        )
    );
    let json = json_array(rows, |row| {
        let message = &row.message;
        serde_json::json!({
            "conversation_id": row.conversation,
            "public_id": message.public_id,
            "role": message.role.as_str(),
            "body": message.body,
            "sources": message.sources,
            "latency_ms": message.latency_ms,
            "refused": i64::from(row.refused),
            "created_at": row.now,
        })
    });
    inserted_ids(conn, &sql, json, rows, |row| &row.message.public_id).await
}

/// Runs `sql`, an `INSERT … RETURNING id, public_id` of `rows` bound as
/// the JSON array `json`; returns each row's internal id, in order.
async fn inserted_ids<T>(
    conn: &mut AnyConnection,
    sql: &str,
    json: String,
    rows: &[T],
    public_id: impl Fn(&T) -> &str,
) -> StoreResult<Vec<i64>> {
    let stored: Vec<(i64, String)> = sqlx::query_as(sql).bind(json).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            stored
                .iter()
                .find(|(_, returned)| returned == public_id(row))
                .map(|(id, _)| *id)
                .ok_or(StoreError::NotFound)
        })
        .collect()
}

/// Counts each `(widget, normalised question, times asked)` on its
/// widget's local day of `now`, in one statement.
async fn count_questions(
    conn: &mut AnyConnection,
    backend: Backend,
    questions: &[(WidgetId, String, i64)],
    now: i64,
) -> StoreResult<()> {
    if questions.is_empty() {
        return Ok(());
    }
    // `WHERE true`: SQLite would read `ON CONFLICT` as a join's `ON`.
    let sql = format!(
        "INSERT INTO analytics_questions (widget_id, day, question, asked) \
         SELECT r.widget_id, (r.now + 60 * COALESCE((SELECT a.utc_offset_minutes FROM widgets w \
         JOIN accounts a ON a.id = w.account_id WHERE w.id = r.widget_id), 0)) / 86400, r.question, r.asked \
         FROM {} WHERE true \
         ON CONFLICT (widget_id, day, question) DO UPDATE SET asked = analytics_questions.asked + excluded.asked",
        json_rows(
            backend,
            &[
                ("widget_id", "bigint"),
                ("question", "text"),
                ("asked", "bigint"),
                ("now", "bigint"),
            ]
        )
    );
    let rows = json_array(questions, |(widget, question, asked)| {
        serde_json::json!({
            "widget_id": widget.get(),
            "question": question,
            "asked": asked,
            "now": now,
        })
    });
    sqlx::query(&sql).bind(rows).execute(&mut *conn).await?;
    Ok(())
}
