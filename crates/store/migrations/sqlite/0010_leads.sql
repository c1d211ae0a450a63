-- Leads a business can work: a status and notes per lead, what the visitor
-- asked, where they are, and whether the owner's alert and the follow-up
-- e-mail went out. One chat-captured lead per visitor and widget.
ALTER TABLE leads ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
ALTER TABLE leads ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
-- Set once the owner was told (at once or in the daily digest).
ALTER TABLE leads ADD COLUMN alerted_at INTEGER;
-- Set once the follow-up e-mail to the lead was sent.
ALTER TABLE leads ADD COLUMN follow_up_sent_at INTEGER;
UPDATE leads SET updated_at = created_at, alerted_at = created_at;
CREATE UNIQUE INDEX leads_chat_visitor ON leads (widget_id, visitor_id) WHERE source = 'chat';
CREATE INDEX leads_by_status ON leads (status, created_at);

-- The owner's lead settings: how they hear of new leads, and the follow-up
-- e-mail sent to each lead (plans with `follow_up_email`).
CREATE TABLE lead_settings (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- 'each' (an e-mail per lead), 'daily' (one digest a day) or 'off'.
    alerts            TEXT    NOT NULL DEFAULT 'each',
    follow_up         INTEGER NOT NULL DEFAULT 0,
    subject           TEXT    NOT NULL DEFAULT '',
    body              TEXT    NOT NULL DEFAULT '',
    delay_minutes     INTEGER NOT NULL DEFAULT 0,
    -- The UTC day (days since 1970) whose digest was last sent.
    digest_day        INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL
);

-- The owner's time zone (IANA name), for dates on pages and in exports.
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
