-- Outgoing webhooks: an owner's endpoints (per account, or per widget)
-- and every delivery of an event to one of them, with its log. The
-- endpoint secret is kept as written (HMAC signing needs it); it is shown
-- once, at creation or rotation. `events` holds the subscribed event
-- names separated by spaces. A delivery's `in_flight` is 1 while an
-- attempt is being sent: a worker that dies mid-attempt leaves it set,
-- and the attempt that recovers the job records the interruption.
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    widget_id   INTEGER REFERENCES widgets (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    events      TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    in_flight       INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    response_code   INTEGER,
    latency_ms      INTEGER,
    response_body   TEXT    NOT NULL DEFAULT '',
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_account ON webhook_deliveries (account_id);
