//! Content gaps: visitors' questions that were refused or rated down,
//! grouped by meaning. A group keeps the sum of its questions' vectors
//! (little-endian f32) as its centroid; a new question joins the closest
//! open group of its widget when the cosine reaches the caller's threshold,
//! or starts one. Grouping runs one question at a time per database (a
//! write transaction; the widget's row locked on PostgreSQL).

use serde::Serialize;

use crate::domain::{AccountId, QaId, WidgetId};
use crate::{Backend, Store, StoreError, StoreResult};

/// A group of unanswered questions, as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    pub id: i64,
    pub widget_id: i64,
    pub widget_name: String,
    pub questions: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Up to three of its questions, newest first.
    pub examples: Vec<String>,
    pub resolved_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct GapRow {
    id: i64,
    widget_id: i64,
    widget_name: String,
    questions: i64,
    first_seen: i64,
    last_seen: i64,
    resolved_at: Option<i64>,
}

/// How the report orders its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapOrder {
    /// Most questions first, then most recent.
    Biggest,
    /// Most recently asked first.
    Newest,
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Cosine of a (unnormalised) sum and a unit vector.
fn cosine(sum: &[f32], unit: &[f32]) -> f32 {
    if sum.len() != unit.len() {
        return -1.0;
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return -1.0;
    }
    sum.iter().zip(unit).map(|(a, b)| a * b).sum::<f32>() / norm
}

/// A question to file under a gap.
pub struct GapQuestion<'a> {
    pub widget: WidgetId,
    /// The answer's message (internal id) the question led to.
    pub message: i64,
    pub question: &'a str,
    /// The question's unit vector and its model.
    pub vector: &'a [f32],
    pub model: &'a str,
    pub now: i64,
}

/// A refused question's unit vector, its model and the cosine it needs
/// with a group to join it: filed with its answer ([`crate::turns`]).
#[derive(Debug, Clone)]
pub struct GapVector {
    pub vector: Vec<f32>,
    pub model: String,
    pub threshold: f32,
}

/// Files questions under their groups inside the caller's write
/// transaction, as [`Store::file_gap_question`] does one by one: each
/// widget's open groups read (and, on PostgreSQL, the widget locked, so
/// concurrent filings of one widget group in turn) once, their centroids
/// grown in memory in filing order, written back at [`Filer::finish`].
#[derive(Default)]
pub(crate) struct Filer {
    /// Per widget and model: its open groups.
    open: Vec<(WidgetId, String, Vec<OpenGroup>)>,
    /// (group, message, question, now) to insert.
    filed: Vec<(i64, i64, String, i64)>,
}

/// A group open for questions, as the batch has grown it.
struct OpenGroup {
    id: i64,
    /// The sum of its questions' unit vectors.
    sum: Vec<f32>,
    changed: bool,
}

impl Filer {
    /// Files `q` under the closest open group of its widget (cosine ≥
    /// `threshold`) or a new one; returns the group's id.
    pub(crate) async fn file(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        q: &GapQuestion<'_>,
        threshold: f32,
    ) -> StoreResult<i64> {
        let at = match self
            .open
            .iter()
            .position(|(widget, model, _)| *widget == q.widget && model == q.model)
        {
            Some(at) => at,
            None => {
                if backend == Backend::Postgres {
                    sqlx::query("SELECT id FROM widgets WHERE id = $1 FOR NO KEY UPDATE")
                        .bind(q.widget.get())
                        .execute(&mut *conn)
                        .await?;
                }
                let open: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, centroid FROM content_gaps WHERE widget_id = $1 AND model = $2 AND resolved_at IS NULL",
                )
                .bind(q.widget.get())
                .bind(q.model)
                .fetch_all(&mut *conn)
                .await?;
                let groups = open
                    .into_iter()
                    .map(|(id, bytes)| OpenGroup {
                        id,
                        sum: from_bytes(&bytes),
                        changed: false,
                    })
                    .collect();
                self.open.push((q.widget, q.model.to_owned(), groups));
                self.open.len() - 1
            }
        };
        let groups = &mut self.open[at].2;
        let best = groups
            .iter_mut()
            .map(|group| (cosine(&group.sum, q.vector), group))
            .filter(|(score, _)| *score >= threshold)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let gap = match best {
            Some((_, group)) => {
                for (a, b) in group.sum.iter_mut().zip(q.vector) {
                    *a += b;
                }
                group.changed = true;
                group.id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO content_gaps (widget_id, account_id, model, centroid, created_at) \
                     SELECT id, account_id, $2, $3, $4 FROM widgets WHERE id = $1 RETURNING id",
                )
                .bind(q.widget.get())
                .bind(q.model)
                .bind(to_bytes(q.vector))
                .bind(q.now)
                .fetch_one(&mut *conn)
                .await?;
                groups.push(OpenGroup {
                    id,
                    sum: q.vector.to_vec(),
                    changed: false,
                });
                id
            }
        };
        // The question as listed: its first 500 characters.
        let question: String = q.question.chars().take(500).collect();
        self.filed.push((gap, q.message, question, q.now));
        Ok(gap)
    }

    /// Writes the grown centroids and the filed questions.
    pub(crate) async fn finish(self, conn: &mut sqlx::AnyConnection) -> StoreResult<()> {
        for (_, _, groups) in &self.open {
            for group in groups.iter().filter(|group| group.changed) {
                sqlx::query("UPDATE content_gaps SET centroid = $1 WHERE id = $2")
                    .bind(to_bytes(&group.sum))
                    .bind(group.id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        for (gap, message, question, now) in &self.filed {
            sqlx::query(
                "INSERT INTO gap_questions (gap_id, message_id, question, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(gap)
            .bind(message)
            .bind(question)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Files `q` under the closest open group of its widget (cosine ≥
    /// `threshold`) or a new one; a message already filed is left alone.
    /// Returns the group's id.
    pub async fn file_gap_question(&self, q: &GapQuestion<'_>, threshold: f32) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let filed: Option<(i64,)> =
            sqlx::query_as("SELECT gap_id FROM gap_questions WHERE message_id = $1")
                .bind(q.message)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((gap,)) = filed {
            return Ok(gap);
        }
        let mut filer = Filer::default();
        let gap = filer.file(&mut tx, self.backend(), q, threshold).await?;
        filer.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(gap)
    }

    /// The account's content gaps (open, or resolved), at most `limit`.
    pub async fn gaps_of(
        &self,
        account: AccountId,
        widget: Option<WidgetId>,
        resolved: bool,
        order: GapOrder,
        limit: i64,
    ) -> StoreResult<Vec<Gap>> {
        let order = match order {
            GapOrder::Biggest => "questions DESC, last_seen DESC, g.id DESC",
            GapOrder::Newest => "last_seen DESC, g.id DESC",
        };
        let state = if resolved {
            "g.resolved_at IS NOT NULL"
        } else {
            "g.resolved_at IS NULL"
        };
        let rows: Vec<GapRow> = sqlx::query_as(&format!(
            "SELECT g.id, g.widget_id, w.name AS widget_name, COUNT(q.id) AS questions, \
             MIN(q.created_at) AS first_seen, MAX(q.created_at) AS last_seen, g.resolved_at \
             FROM content_gaps g JOIN widgets w ON w.id = g.widget_id \
             JOIN gap_questions q ON q.gap_id = g.id \
             WHERE g.account_id = $1 AND ($2 < 0 OR g.widget_id = $2) AND {state} \
             GROUP BY g.id, g.widget_id, w.name, g.resolved_at ORDER BY {order} LIMIT $3"
        ))
        .bind(account.get())
        .bind(widget.map_or(-1, WidgetId::get))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut gaps = Vec::with_capacity(rows.len());
        for row in rows {
            let examples: Vec<(String,)> = sqlx::query_as(
                "SELECT question FROM gap_questions WHERE gap_id = $1 ORDER BY created_at DESC, id DESC LIMIT 3",
            )
            .bind(row.id)
            .fetch_all(self.pool())
            .await?;
            gaps.push(Gap {
                id: row.id,
                widget_id: row.widget_id,
                widget_name: row.widget_name,
                questions: row.questions,
                first_seen: row.first_seen,
                last_seen: row.last_seen,
                examples: examples.into_iter().map(|(q,)| q).collect(),
                resolved_at: row.resolved_at,
            });
        }
        Ok(gaps)
    }

    /// One of the account's gaps.
    pub async fn gap_of(&self, account: AccountId, id: i64) -> StoreResult<Gap> {
        for resolved in [false, true] {
            let found = self
                .gaps_of(account, None, resolved, GapOrder::Newest, i64::MAX)
                .await?
                .into_iter()
                .find(|g| g.id == id);
            if let Some(gap) = found {
                return Ok(gap);
            }
        }
        Err(StoreError::NotFound)
    }

    /// Marks one of the account's open gaps resolved by a Q&A pair.
    pub async fn resolve_gap(
        &self,
        account: AccountId,
        id: i64,
        qa: Option<QaId>,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE content_gaps SET resolved_at = $1, qa_id = $2 \
             WHERE id = $3 AND account_id = $4 AND resolved_at IS NULL",
        )
        .bind(now)
        .bind(qa.map(QaId::get))
        .bind(id)
        .bind(account.get())
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    /// Accounts that want the weekly digest and have not had one since
    /// `before`, with their e-mail address; each claimed (sent-at moved to
    /// `now`) in one conditional update, so two instances send it once.
    pub async fn claim_gap_digests(
        &self,
        before: i64,
        now: i64,
    ) -> StoreResult<Vec<(AccountId, String)>> {
        let due: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, email FROM accounts WHERE gap_digest = 1 AND gap_digest_sent_at < $1",
        )
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = Vec::new();
        for (id, email) in due {
            let done = sqlx::query(
                "UPDATE accounts SET gap_digest_sent_at = $1 WHERE id = $2 AND gap_digest_sent_at < $3",
            )
            .bind(now)
            .bind(id)
            .bind(before)
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 1 {
                claimed.push((AccountId::from_raw(id), email));
            }
        }
        Ok(claimed)
    }

    /// An answer of the widget (by public id) and the visitor's question
    /// before it: `(answer's internal id, question)`.
    pub async fn question_of_answer(
        &self,
        widget: WidgetId,
        message: &str,
    ) -> StoreResult<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT a.id, q.body FROM messages a JOIN conversations c ON c.id = a.conversation_id \
             JOIN messages q ON q.conversation_id = a.conversation_id AND q.role = 'visitor' AND q.id < a.id \
             WHERE a.public_id = $1 AND a.role = 'assistant' AND c.widget_id = $2 AND c.preview = 0 \
             ORDER BY q.id DESC LIMIT 1",
        )
        .bind(message)
        .bind(widget.get())
        .fetch_optional(self.pool())
        .await?)
    }
}
