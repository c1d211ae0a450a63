-- The searchable knowledge: each page's chunks with their embedding.
-- A training run (job) writes its chunks under its own `run`; the source's
-- `live_run` says which run's chunks answer questions, and moving it is one
-- transaction, so answers come from the old knowledge or the new, never a
-- mix. `model` names the embedder of `vector` (little-endian f32s):
-- vectors of different models are never compared.
CREATE TABLE chunks (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    page_id       INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    widget_id     INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    run           INTEGER NOT NULL,
    ordinal       INTEGER NOT NULL,
    url           TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    heading_path  TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    vector        BLOB    NOT NULL,
    UNIQUE (page_id, run, ordinal)
);
CREATE INDEX chunks_by_widget ON chunks (widget_id, run);
CREATE INDEX chunks_by_source ON chunks (source_id, run);

ALTER TABLE sources ADD COLUMN live_run INTEGER NOT NULL DEFAULT 0;
