-- Owner API keys: `wsk_` and 64 hex digits, shown once; only the hex
-- SHA-256 of the whole key is stored (like sessions), with its first
-- characters for recognising it in a list. `scopes` holds the granted
-- scopes separated by spaces (read, write, chat). A key restricted to a
-- widget sees only that widget. Revoked keys stay listed (revoked_at).
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    widget_id     INTEGER REFERENCES widgets (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    prefix        TEXT    NOT NULL,
    scopes        TEXT    NOT NULL,
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    last_used_ip  TEXT,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_by_account ON api_keys (account_id, id);

-- What a POST with an Idempotency-Key answered, for 24 hours: the same key
-- and body again get the same answer; another body with the key, a 409.
-- A row with status 0 is a request still running.
CREATE TABLE idempotency_keys (
    api_key_id    INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0,
    content_type  TEXT    NOT NULL DEFAULT '',
    body          BLOB,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
