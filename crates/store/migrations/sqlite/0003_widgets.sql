-- Plans arrive as data later; until then an account's plan is its name.
ALTER TABLE accounts ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';

-- Chat widgets. `allowed_domains` holds one normalised pattern per line
-- (`shop.example.com` or `*.example.com`); `settings` is JSON validated by
-- the server before it is written. `active` is 0 or 1.
CREATE TABLE widgets (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    public_key       TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1,
    allowed_domains  TEXT    NOT NULL DEFAULT '',
    settings         TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX widgets_by_account ON widgets (account_id);

CREATE TABLE widget_logos (
    widget_id     INTEGER PRIMARY KEY REFERENCES widgets (id) ON DELETE CASCADE,
    content_type  TEXT    NOT NULL,
    bytes         BLOB    NOT NULL,
    hash          TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Visitors' conversations. Page URLs are stored without query or fragment.
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    widget_id   INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    public_id   TEXT    NOT NULL UNIQUE,
    visitor_id  TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    page_url    TEXT    NOT NULL DEFAULT '',
    preview     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX conversations_by_widget ON conversations (widget_id, updated_at);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    public_id        TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    sources          TEXT    NOT NULL DEFAULT '[]',
    latency_ms       INTEGER,
    rating           INTEGER,
    rating_reason    TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

-- Embed health: the origins seen using a widget, allowed or refused.
CREATE TABLE embed_origins (
    widget_id   INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    origin      TEXT    NOT NULL,
    allowed     INTEGER NOT NULL,
    hits        INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (widget_id, origin, allowed)
);

-- Contact details visitors leave through the widget's lead form.
CREATE TABLE leads (
    id               INTEGER PRIMARY KEY,
    widget_id        INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    conversation_id  INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    visitor_id       TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    phone            TEXT    NOT NULL DEFAULT '',
    company          TEXT    NOT NULL DEFAULT '',
    message          TEXT    NOT NULL DEFAULT '',
    source           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX leads_by_widget ON leads (widget_id, created_at);

-- Widget loads and opens, for analytics.
CREATE TABLE widget_events (
    id          INTEGER PRIMARY KEY,
    widget_id   INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    visitor_id  TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    page_url    TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX widget_events_by_widget ON widget_events (widget_id, created_at);
