-- Knowledge sources of a widget: a website to crawl, or uploaded documents.
CREATE TABLE sources (
    id                INTEGER PRIMARY KEY,
    widget_id         INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    account_id        INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL,
    url               TEXT    NOT NULL DEFAULT '',
    max_depth         INTEGER NOT NULL DEFAULT 3,
    include_paths     TEXT    NOT NULL DEFAULT '',
    exclude_paths     TEXT    NOT NULL DEFAULT '',
    rescrape_days     INTEGER,
    next_rescrape_at  INTEGER,
    status            TEXT    NOT NULL DEFAULT 'queued',
    last_error        TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX sources_by_widget ON sources (widget_id);
CREATE INDEX sources_due ON sources (next_rescrape_at);

-- One row per crawled URL or uploaded document, with its clean text and
-- the outcome the owner sees. `outcome` is indexed, unchanged, skipped or
-- failed; only indexed/unchanged rows carry knowledge.
CREATE TABLE pages (
    id             INTEGER PRIMARY KEY,
    source_id      INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    widget_id      INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    url            TEXT    NOT NULL,
    title          TEXT    NOT NULL DEFAULT '',
    lang           TEXT    NOT NULL DEFAULT '',
    text           TEXT    NOT NULL DEFAULT '',
    content_hash   TEXT    NOT NULL DEFAULT '',
    etag           TEXT    NOT NULL DEFAULT '',
    last_modified  TEXT    NOT NULL DEFAULT '',
    outcome        TEXT    NOT NULL,
    reason         TEXT    NOT NULL DEFAULT '',
    seen_run       INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    UNIQUE (source_id, url)
);
CREATE INDEX pages_by_widget ON pages (widget_id, outcome);
CREATE INDEX pages_by_account ON pages (account_id, kind, outcome);

-- Uploaded files, kept so a document can be re-processed.
CREATE TABLE document_files (
    page_id  INTEGER PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
    bytes    BLOB    NOT NULL
);

-- Bumped whenever a widget's knowledge changes, so every instance's
-- in-memory index knows to rebuild.
ALTER TABLE widgets ADD COLUMN knowledge_version INTEGER NOT NULL DEFAULT 0;

-- Jobs: what they work on, how far they are, and cancellation.
ALTER TABLE jobs ADD COLUMN source_id INTEGER REFERENCES sources (id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_by_source ON jobs (source_id, status);
