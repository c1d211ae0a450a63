//! Knowledge sources and their pages. A source is a website (crawled) or a
//! widget's uploaded documents; each crawled URL or uploaded file is a
//! `pages` row with its clean text and the outcome the owner sees. Work on a
//! source is a job row enqueued in the same transaction as the change.

use serde::Serialize;

use crate::domain::{
    AccountId, JobId, PageId, PageKind, PageStatus, SourceId, SourceKind, SourceStatus, WidgetId,
};
use crate::jobs::{JobStatus, Progress, Task, insert_job};
use crate::{Store, StoreError, StoreResult};

/// Attempts a crawl or extraction gets before it is failed.
const SOURCE_JOB_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Source {
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: SourceId,
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub widget_id: WidgetId,
    #[serde(skip)]
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub kind: SourceKind,
    pub url: String,
    pub max_depth: i64,
    /// Path prefixes, one per line.
    pub include_paths: String,
    pub exclude_paths: String,
    /// Automatic re-scrape every 7, 15 or 30 days, or never.
    pub rescrape_days: Option<i64>,
    pub next_rescrape_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: SourceStatus,
    pub last_error: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A website to add.
#[derive(Debug, Clone)]
pub struct NewWebsite<'a> {
    pub url: &'a str,
    pub max_depth: i64,
    pub include_paths: &'a str,
    pub exclude_paths: &'a str,
    pub rescrape_days: Option<i64>,
}

/// A page or document as the owner lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: PageKind,
    pub url: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub outcome: PageStatus,
    pub reason: String,
    pub chars: i64,
    pub updated_at: i64,
    /// Over the plan's limit: kept and answering, not re-processed.
    #[sqlx(try_from = "i64")]
    pub over_limit: crate::widgets::Flag,
}

/// A page or document with its extracted text.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageText {
    pub id: i64,
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub source_id: SourceId,
    #[sqlx(try_from = "String")]
    pub kind: PageKind,
    pub url: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub outcome: PageStatus,
    pub reason: String,
    /// The text's length in characters.
    pub chars: i64,
    /// The readable text extracted from it (empty when none was).
    pub text: String,
}

/// What the store knows of a URL, for conditional requests.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownPage {
    pub etag: String,
    pub last_modified: String,
    pub content_hash: String,
    /// Over the plan's page limit: kept as it is, not re-processed.
    #[sqlx(try_from = "i64")]
    pub over_limit: crate::widgets::Flag,
}

/// A page's outcome in a run.
#[derive(Debug, Clone)]
pub enum PageOutcome<'a> {
    Indexed {
        title: &'a str,
        lang: &'a str,
        text: &'a str,
        content_hash: &'a str,
        etag: &'a str,
        last_modified: &'a str,
        /// The embedder of the chunks' vectors.
        model: &'a str,
        chunks: &'a [NewChunk],
    },
    Unchanged,
    /// Skipped or failed, with the owner-readable reason. Any knowledge the
    /// page had is removed.
    NoKnowledge {
        /// `Skipped` or `Failed`.
        outcome: PageStatus,
        reason: &'a str,
    },
}

/// A chunk of a page's text and its embedding, as a training run made it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChunk {
    /// Headings above the chunk, one per line.
    pub heading_path: String,
    pub text: String,
    /// Little-endian `f32`s.
    pub vector: Vec<u8>,
}

/// A chunk of a widget's live knowledge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnowledgeChunk {
    pub page_id: i64,
    pub url: String,
    pub title: String,
    /// Headings above the chunk, one per line.
    pub heading_path: String,
    pub text: String,
    pub model: String,
    pub vector: Vec<u8>,
}

/// A job as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub attempts: i64,
    /// Sent as JSON text: stage, done, total, current and the counts.
    #[sqlx(try_from = "String")]
    #[serde(serialize_with = "Progress::serialize_as_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub progress: Progress,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SOURCE_COLUMNS: &str = "id, widget_id, account_id, kind, url, max_depth, include_paths, exclude_paths, rescrape_days, \
     next_rescrape_at, status, last_error, created_at, updated_at";

const KNOWLEDGE: &str = "('indexed', 'unchanged')";

impl Store {
    /// Adds a website to a widget of `account` and queues its crawl, in one
    /// transaction. Returns the source and the job.
    pub async fn create_website(
        &self,
        account: AccountId,
        widget: WidgetId,
        site: &NewWebsite<'_>,
        now: i64,
    ) -> StoreResult<(Source, JobId)> {
        let mut tx = self.begin_write().await?;
        crate::widgets::owned_widget(&mut tx, account, widget).await?;
        // The same site twice would index every page twice. Two adds at
        // once: the second waits for the first's commit on this row lock
        // (PostgreSQL; SQLite's write lock is held already).
        sqlx::query("UPDATE widgets SET updated_at = updated_at WHERE id = $1")
            .bind(widget.get())
            .execute(&mut *tx)
            .await?;
        let existing: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM sources WHERE widget_id = $1 AND kind = 'website' AND url = $2",
        )
        .bind(widget.get())
        .bind(site.url)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            return Err(StoreError::Conflict("url"));
        }
        let sql = format!(
            "INSERT INTO sources (widget_id, account_id, kind, url, max_depth, include_paths, exclude_paths, rescrape_days, \
             next_rescrape_at, created_at, updated_at) VALUES ($1, $2, 'website', $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {SOURCE_COLUMNS}"
        );
        let source: Source = sqlx::query_as(&sql)
            .bind(widget.get())
            .bind(account.get())
            .bind(site.url)
            .bind(site.max_depth)
            .bind(site.include_paths)
            .bind(site.exclude_paths)
            .bind(site.rescrape_days)
            .bind(site.rescrape_days.map(|days| now + days * 86_400))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let job = enqueue_source_job(&mut tx, Task::Crawl(source.id), now).await?;
        tx.commit().await?;
        Ok((source, job))
    }

    /// The widget's documents source, created on first use.
    pub async fn documents_source(
        &self,
        account: AccountId,
        widget: WidgetId,
        now: i64,
    ) -> StoreResult<Source> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE widget_id = $1 AND account_id = $2 AND kind = 'documents'"
        );
        if let Some(source) = sqlx::query_as::<_, Source>(&sql)
            .bind(widget.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?
        {
            return Ok(source);
        }
        self.widget_of(account, widget).await?;
        let sql = format!(
            "INSERT INTO sources (widget_id, account_id, kind, status, created_at, updated_at) \
             VALUES ($1, $2, 'documents', 'ready', $3, $3) RETURNING {SOURCE_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(widget.get())
            .bind(account.get())
            .bind(now)
            .fetch_one(self.pool())
            .await?)
    }

    /// Stores uploaded files as pending documents and queues their
    /// extraction, in one transaction. A file with the same name replaces
    /// the earlier one.
    pub async fn add_documents(
        &self,
        source: &Source,
        account: AccountId,
        files: &[(String, Vec<u8>)],
        now: i64,
    ) -> StoreResult<JobId> {
        let mut tx = self.begin_write().await?;
        for (name, bytes) in files {
            let (page,): (i64,) = sqlx::query_as(
                "INSERT INTO pages (source_id, widget_id, account_id, kind, url, outcome, reason, updated_at) \
                 VALUES ($1, $2, $3, 'document', $4, 'queued', '', $5) \
                 ON CONFLICT (source_id, url) DO UPDATE SET outcome = 'queued', reason = '', updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind(source.id.get())
            .bind(source.widget_id.get())
            .bind(account.get())
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO document_files (page_id, bytes) VALUES ($1, $2) ON CONFLICT (page_id) DO UPDATE SET bytes = excluded.bytes",
            )
            .bind(page)
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
        }
        let job = enqueue_source_job(&mut tx, Task::Extract(source.id), now).await?;
        tx.commit().await?;
        Ok(job)
    }

    pub async fn sources_of(
        &self,
        account: AccountId,
        widget: WidgetId,
    ) -> StoreResult<Vec<Source>> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE account_id = $1 AND widget_id = $2 ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account.get())
            .bind(widget.get())
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn source_of(&self, account: AccountId, id: SourceId) -> StoreResult<Source> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1 AND account_id = $2");
        let source: Option<Source> = sqlx::query_as(&sql)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        source.ok_or(StoreError::NotFound)
    }

    /// The source a job works on (workers only; no tenant).
    pub async fn source_by_id(&self, id: SourceId) -> StoreResult<Source> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1");
        let source: Option<Source> = sqlx::query_as(&sql)
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?;
        source.ok_or(StoreError::NotFound)
    }

    /// The account owning a source (workers only).
    pub async fn source_account(&self, id: SourceId) -> StoreResult<AccountId> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT account_id FROM sources WHERE id = $1")
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?;
        row.map(|(id,)| AccountId::from_raw(id))
            .ok_or(StoreError::NotFound)
    }

    /// Queues `task` on a source of `account`, unless the same work is
    /// already queued or running for it: then that job is returned.
    pub async fn queue_source_job(
        &self,
        account: AccountId,
        task: Task,
        now: i64,
    ) -> StoreResult<JobId> {
        let id = task.source().ok_or(StoreError::NotFound)?;
        let mut tx = self.begin_write().await?;
        let owned: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM sources WHERE id = $1 AND account_id = $2")
                .bind(id.get())
                .bind(account.get())
                .fetch_optional(&mut *tx)
                .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let job = enqueue_source_job(&mut tx, task, now).await?;
        tx.commit().await?;
        Ok(job)
    }

    pub async fn set_source_status(
        &self,
        id: SourceId,
        status: SourceStatus,
        error: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sources SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now)
        .bind(id.get())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Changes the automatic re-scrape interval (days) of a website.
    pub async fn set_rescrape(
        &self,
        account: AccountId,
        id: SourceId,
        days: Option<i64>,
        now: i64,
    ) -> StoreResult<Source> {
        let sql = format!(
            "UPDATE sources SET rescrape_days = $1, next_rescrape_at = $2, updated_at = $3 \
             WHERE id = $4 AND account_id = $5 AND kind = 'website' RETURNING {SOURCE_COLUMNS}"
        );
        let source: Option<Source> = sqlx::query_as(&sql)
            .bind(days)
            .bind(days.map(|d| now + d * 86_400))
            .bind(now)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        source.ok_or(StoreError::NotFound)
    }

    /// Websites due for their automatic re-scrape: queues each one's crawl
    /// and moves its next date on, for accounts whose plan still allows it.
    /// Safe to run on several instances.
    pub async fn queue_due_rescrapes(&self, now: i64) -> StoreResult<Vec<JobId>> {
        let due: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE sources SET next_rescrape_at = $1 + rescrape_days * 86400 \
             WHERE kind = 'website' AND rescrape_days IS NOT NULL AND next_rescrape_at <= $1 \
             AND account_id IN (SELECT a.id FROM accounts a JOIN plans p ON p.id = a.plan WHERE p.auto_rescrape = 1) \
             RETURNING id, account_id",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        let mut jobs = Vec::new();
        for (source, account) in due {
            jobs.push(
                self.queue_source_job(
                    AccountId::from_raw(account),
                    Task::Crawl(SourceId::from_raw(source)),
                    now,
                )
                .await?,
            );
        }
        Ok(jobs)
    }

    /// Deletes a source and its pages; its knowledge leaves answers at once.
    pub async fn delete_source(&self, account: AccountId, id: SourceId) -> StoreResult<()> {
        let source = self.source_of(account, id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sources WHERE id = $1 AND account_id = $2")
            .bind(id.get())
            .bind(account.get())
            .execute(&mut *tx)
            .await?;
        bump_knowledge(&mut tx, source.widget_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn pages_of(
        &self,
        account: AccountId,
        source: SourceId,
    ) -> StoreResult<Vec<PageRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, url, title, outcome, reason, CAST(LENGTH(text) AS BIGINT) AS chars, updated_at, over_limit FROM pages \
             WHERE account_id = $1 AND source_id = $2 ORDER BY id",
        )
        .bind(account.get())
        .bind(source.get())
        .fetch_all(self.pool())
        .await?)
    }

    /// One page or document of `account` with the text extracted from it.
    pub async fn page_text(&self, account: AccountId, page: PageId) -> StoreResult<PageText> {
        sqlx::query_as(
            "SELECT id, source_id, kind, url, title, outcome, reason, CAST(LENGTH(text) AS BIGINT) AS chars, text FROM pages \
             WHERE id = $1 AND account_id = $2",
        )
        .bind(page.get())
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Deletes one page or document; its knowledge leaves answers at once.
    pub async fn delete_page(&self, account: AccountId, page: PageId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let widget: Option<(i64,)> = sqlx::query_as(
            "DELETE FROM pages WHERE id = $1 AND account_id = $2 RETURNING widget_id",
        )
        .bind(page.get())
        .bind(account.get())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((widget,)) = widget else {
            return Err(StoreError::NotFound);
        };
        bump_knowledge(&mut tx, WidgetId::from_raw(widget)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn known_page(&self, source: SourceId, url: &str) -> StoreResult<Option<KnownPage>> {
        Ok(sqlx::query_as(&format!(
            "SELECT etag, last_modified, content_hash, over_limit FROM pages WHERE source_id = $1 AND url = $2 AND outcome IN {KNOWLEDGE}"
        ))
        .bind(source.get())
        .bind(url)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Records a page's outcome in run `run` (the job's id) and, when it was
    /// indexed, its chunks under that run, in one transaction. Answers keep
    /// coming from the source's live run until [`Store::finish_run`].
    pub async fn record_page(
        &self,
        source: &Source,
        run: JobId,
        kind: PageKind,
        url: &str,
        outcome: &PageOutcome<'_>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let base = "INSERT INTO pages (source_id, widget_id, account_id, kind, url, title, lang, text, content_hash, etag, \
             last_modified, outcome, reason, seen_run, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (source_id, url) DO UPDATE SET ";
        let returning = " RETURNING id";
        let (sql, values): (String, [&str; 8]) = match outcome {
            PageOutcome::Indexed {
                title,
                lang,
                text,
                content_hash,
                etag,
                last_modified,
                ..
            } => (
                format!(
                    "{base} title = excluded.title, lang = excluded.lang, text = excluded.text, content_hash = excluded.content_hash, \
                         etag = excluded.etag, last_modified = excluded.last_modified, outcome = excluded.outcome, reason = '', \
                         seen_run = excluded.seen_run, updated_at = excluded.updated_at{returning}"
                ),
                [
                    title,
                    lang,
                    text,
                    content_hash,
                    etag,
                    last_modified,
                    "indexed",
                    "",
                ],
            ),
            PageOutcome::Unchanged => (
                format!(
                    "{base} outcome = 'unchanged', reason = '', seen_run = excluded.seen_run, updated_at = excluded.updated_at{returning}"
                ),
                ["", "", "", "", "", "", "unchanged", ""],
            ),
            PageOutcome::NoKnowledge { outcome, reason } => (
                format!(
                    "{base} text = '', content_hash = '', etag = '', last_modified = '', outcome = excluded.outcome, \
                         reason = excluded.reason, seen_run = excluded.seen_run, updated_at = excluded.updated_at{returning}"
                ),
                ["", "", "", "", "", "", outcome.as_str(), reason],
            ),
        };
        let mut query = sqlx::query_as::<_, (i64,)>(&sql)
            .bind(source.id.get())
            .bind(source.widget_id.get())
            .bind(source.account_id.get())
            .bind(kind.as_str())
            .bind(url);
        for value in values {
            query = query.bind(value);
        }
        let (page,): (i64,) = query.bind(run.get()).bind(now).fetch_one(&mut *tx).await?;
        if let PageOutcome::Indexed {
            title,
            model,
            chunks,
            ..
        } = outcome
        {
            // A retried run replaces what its earlier attempt wrote.
            sqlx::query("DELETE FROM chunks WHERE page_id = $1 AND run = $2")
                .bind(page)
                .bind(run.get())
                .execute(&mut *tx)
                .await?;
            for (ordinal, chunk) in chunks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO chunks (source_id, page_id, widget_id, run, ordinal, url, title, heading_path, text, model, vector) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(source.id.get())
                .bind(page)
                .bind(source.widget_id.get())
                .bind(run.get())
                .bind(i64::try_from(ordinal).unwrap_or(i64::MAX))
                .bind(url)
                .bind(*title)
                .bind(&chunk.heading_path)
                .bind(&chunk.text)
                .bind(*model)
                .bind(&chunk.vector)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends training run `run` of a source and makes its knowledge live, in
    /// one transaction: with `remove_unseen` (a complete crawl) the site's
    /// pages not seen in the run are gone from the site and leave; pages
    /// the run did not re-chunk (unchanged, or not reached before a
    /// cancellation) carry their newest chunks into the run; older runs'
    /// chunks go. Returns how many pages left.
    pub async fn finish_run(
        &self,
        source: &Source,
        run: JobId,
        remove_unseen: bool,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let removed = if remove_unseen {
            sqlx::query(
                "DELETE FROM pages WHERE source_id = $1 AND kind = 'page' AND seen_run <> $2",
            )
            .bind(source.id.get())
            .bind(run.get())
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        sqlx::query(&format!(
            "INSERT INTO chunks (source_id, page_id, widget_id, run, ordinal, url, title, heading_path, text, model, vector) \
             SELECT c.source_id, c.page_id, c.widget_id, $2, c.ordinal, c.url, c.title, c.heading_path, c.text, c.model, c.vector \
             FROM chunks c JOIN pages p ON p.id = c.page_id \
             WHERE c.source_id = $1 AND p.outcome IN {KNOWLEDGE} AND c.run <> $2 \
             AND c.run = (SELECT MAX(n.run) FROM chunks n WHERE n.page_id = c.page_id)"
        ))
        .bind(source.id.get())
        .bind(run.get())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM chunks WHERE source_id = $1 AND run <> $2")
            .bind(source.id.get())
            .bind(run.get())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sources SET live_run = $2 WHERE id = $1")
            .bind(source.id.get())
            .bind(run.get())
            .execute(&mut *tx)
            .await?;
        bump_knowledge(&mut tx, source.widget_id).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// One stored document of `source` to extract again, as
    /// [`Store::queued_documents`] gives them (none when it is over the
    /// plan's limit or gone).
    pub async fn document_to_reextract(
        &self,
        source: SourceId,
        page: PageId,
    ) -> StoreResult<Vec<(i64, String, Vec<u8>, bool)>> {
        let rows: Vec<(i64, String, Vec<u8>, i64)> = sqlx::query_as(&format!(
            "SELECT p.id, p.url, f.bytes, CASE WHEN p.outcome IN {KNOWLEDGE} THEN 1 ELSE 0 END \
             FROM pages p JOIN document_files f ON f.page_id = p.id \
             WHERE p.source_id = $1 AND p.id = $2 AND p.over_limit = 0"
        ))
        .bind(source.get())
        .bind(page.get())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, bytes, known)| (id, name, bytes, known == 1))
            .collect())
    }

    /// Documents to extract: page id, file name, bytes, whether it holds
    /// knowledge now — those waiting, or with `all` every document of the
    /// source (retraining) except those over the plan's limit.
    pub async fn queued_documents(
        &self,
        source: SourceId,
        all: bool,
    ) -> StoreResult<Vec<(i64, String, Vec<u8>, bool)>> {
        let rows: Vec<(i64, String, Vec<u8>, i64)> = sqlx::query_as(&format!(
            "SELECT p.id, p.url, f.bytes, CASE WHEN p.outcome IN {KNOWLEDGE} THEN 1 ELSE 0 END \
             FROM pages p JOIN document_files f ON f.page_id = p.id \
             WHERE p.source_id = $1 AND (p.outcome = 'queued' OR ($2 = 1 AND p.over_limit = 0)) ORDER BY p.id"
        ))
        .bind(source.get())
        .bind(i64::from(all))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, bytes, known)| (id, name, bytes, known == 1))
            .collect())
    }

    /// Pages (or documents) of `account` that hold knowledge. Documents
    /// include the account's Q&A pairs: they share the plan's limit.
    pub async fn knowledge_count(&self, account: AccountId, kind: PageKind) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) + CASE WHEN $2 = 'document' THEN \
               (SELECT COUNT(*) FROM qa_pairs WHERE account_id = $1) ELSE 0 END \
             FROM pages WHERE account_id = $1 AND kind = $2 AND outcome IN {KNOWLEDGE}"
        ))
        .bind(account.get())
        .bind(kind.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// A widget's live knowledge, for answering: the chunks of each
    /// source's live run, read in one statement (so from one committed
    /// state). Read [`Store::knowledge_version`] first: a swap committing in
    /// between then only makes the next question rebuild again.
    pub async fn knowledge_of(&self, widget: WidgetId) -> StoreResult<Vec<KnowledgeChunk>> {
        Ok(sqlx::query_as(
            "SELECT c.page_id, c.url, c.title, c.heading_path, c.text, c.model, c.vector \
             FROM chunks c JOIN sources s ON s.id = c.source_id AND s.live_run = c.run \
             WHERE c.widget_id = $1 ORDER BY c.page_id, c.ordinal",
        )
        .bind(widget.get())
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn knowledge_version(&self, widget: WidgetId) -> StoreResult<i64> {
        let (version,): (i64,) =
            sqlx::query_as("SELECT knowledge_version FROM widgets WHERE id = $1")
                .bind(widget.get())
                .fetch_one(self.pool())
                .await?;
        Ok(version)
    }

    /// The newest job of a source, if any.
    pub async fn latest_job(&self, source: SourceId) -> StoreResult<Option<JobView>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, status, attempts, progress, last_error, created_at, updated_at FROM jobs \
             WHERE source_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(source.get())
        .fetch_optional(self.pool())
        .await?)
    }

    /// The source a job of `account` works on.
    pub async fn job_source_of(&self, account: AccountId, id: JobId) -> StoreResult<SourceId> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT s.id FROM jobs j JOIN sources s ON s.id = j.source_id WHERE j.id = $1 AND s.account_id = $2",
        )
        .bind(id.get())
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?;
        row.map(|(id,)| SourceId::from_raw(id))
            .ok_or(StoreError::NotFound)
    }

    /// One of the account's jobs.
    pub async fn job_of(&self, account: AccountId, id: JobId) -> StoreResult<JobView> {
        let job: Option<JobView> = sqlx::query_as(
            "SELECT j.id, j.kind, j.status, j.attempts, j.progress, j.last_error, j.created_at, j.updated_at FROM jobs j \
             JOIN sources s ON s.id = j.source_id WHERE j.id = $1 AND s.account_id = $2",
        )
        .bind(id.get())
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?;
        job.ok_or(StoreError::NotFound)
    }

    /// Records a running job's progress and renews its lease until `lease_until`.
    pub async fn set_job_progress(
        &self,
        id: JobId,
        progress: &Progress,
        lease_until: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET progress = $1, locked_until = $2, updated_at = $3 WHERE id = $4 AND status = 'running'")
            .bind(progress.to_json())
            .bind(lease_until)
            .bind(now)
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends a running job that stopped because it was asked to.
    pub async fn end_cancelled_job(&self, id: JobId, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET status = 'cancelled', locked_until = NULL, updated_at = $1 WHERE id = $2 AND status = 'running'")
            .bind(now)
            .bind(id.get())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Asks a queued or running job of the account to stop.
    pub async fn cancel_job(&self, account: AccountId, id: JobId, now: i64) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE jobs SET cancel_requested = 1, status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, updated_at = $1 \
             WHERE id = $2 AND status IN ('queued', 'running') \
             AND source_id IN (SELECT id FROM sources WHERE account_id = $3)",
        )
        .bind(now)
        .bind(id.get())
        .bind(account.get())
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    pub async fn job_cancel_requested(&self, id: JobId) -> StoreResult<bool> {
        let (flag,): (i64,) = sqlx::query_as("SELECT cancel_requested FROM jobs WHERE id = $1")
            .bind(id.get())
            .fetch_one(self.pool())
            .await?;
        Ok(flag != 0)
    }
}

/// Queues `task` on its source, unless the same job (kind and payload: the
/// same page, for the per-page tasks) is already queued or running for it:
/// then that job is returned.
async fn enqueue_source_job(
    tx: &mut crate::db::WriteTx,
    task: Task,
    now: i64,
) -> StoreResult<JobId> {
    let source = task.source().ok_or(StoreError::NotFound)?;
    let active: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM jobs WHERE source_id = $1 AND kind = $2 AND payload = $3 AND status IN ('queued', 'running') ORDER BY id LIMIT 1",
    )
    .bind(source.get())
    .bind(task.kind())
    .bind(task.payload())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id,)) = active {
        return Ok(JobId::from_raw(id));
    }
    let id = insert_job(&mut **tx, task, SOURCE_JOB_ATTEMPTS, now, now).await?;
    sqlx::query("UPDATE sources SET status = 'queued', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(source.get())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Moves a widget's knowledge version on: every instance's cached index
/// and Q&A matcher of it rebuild on their next question.
pub(crate) async fn bump_knowledge(
    tx: &mut crate::db::WriteTx,
    widget: WidgetId,
) -> StoreResult<()> {
    sqlx::query("UPDATE widgets SET knowledge_version = knowledge_version + 1 WHERE id = $1")
        .bind(widget.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
