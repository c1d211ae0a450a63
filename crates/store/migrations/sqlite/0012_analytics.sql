-- Conversations inbox, analytics rollups, content gaps and privacy
-- settings (issue 17).

-- An answer that said "I don't know" (retrieval found nothing to quote, or
-- the widget has no knowledge yet); an answer the owner corrected with a
-- Q&A pair.
ALTER TABLE messages ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_rated_down ON messages (conversation_id) WHERE rating = -1;
CREATE INDEX messages_refused ON messages (conversation_id) WHERE refused = 1;
CREATE INDEX messages_corrected ON messages (conversation_id) WHERE corrected = 1;

-- The inbox lists an account's conversations across widgets, newest
-- activity first, by keyset: (account_id, updated_at, id).
ALTER TABLE conversations ADD COLUMN account_id INTEGER;
UPDATE conversations SET account_id =
    (SELECT w.account_id FROM widgets w WHERE w.id = conversations.widget_id);
CREATE INDEX conversations_by_account ON conversations (account_id, updated_at, id);
CREATE INDEX conversations_by_visitor ON conversations (visitor_id);
CREATE TRIGGER conversations_account AFTER INSERT ON conversations
WHEN NEW.account_id IS NULL BEGIN
    UPDATE conversations SET account_id =
        (SELECT account_id FROM widgets WHERE id = NEW.widget_id) WHERE id = NEW.id;
END;

-- Forgetting a visitor finds their rows by visitor id or lead e-mail.
CREATE INDEX leads_by_visitor ON leads (visitor_id);
CREATE INDEX leads_by_email ON leads (email);
CREATE INDEX leads_by_conversation ON leads (conversation_id);
CREATE INDEX widget_events_by_visitor ON widget_events (visitor_id);

-- Privacy and reporting settings of an account: conversations kept
-- `retention_days` (NULL: forever); days counted at a fixed UTC offset in
-- minutes; the weekly content-gap digest (opt-in) and when it last went.
ALTER TABLE accounts ADD COLUMN retention_days INTEGER;
ALTER TABLE accounts ADD COLUMN utc_offset_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN gap_digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN gap_digest_sent_at INTEGER NOT NULL DEFAULT 0;

-- Full-text search over messages (FTS5, external content: the index holds
-- tokens only, removed with the message).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (NEW.id, NEW.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
END;

-- Rollups: counts per widget and UTC quarter hour (created_at / 900), kept
-- by triggers as the raw rows arrive (one upsert per event, atomic with
-- it). Quarter hours let any UTC offset (+05:30, +05:45) cut days exactly.
-- Counts are aggregates: deleting transcripts later does not change them.
CREATE TABLE analytics_quarters (
    widget_id      INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    quarter        INTEGER NOT NULL,
    loads          INTEGER NOT NULL DEFAULT 0,
    opens          INTEGER NOT NULL DEFAULT 0,
    conversations  INTEGER NOT NULL DEFAULT 0,
    messages       INTEGER NOT NULL DEFAULT 0,
    answered       INTEGER NOT NULL DEFAULT 0,
    refused        INTEGER NOT NULL DEFAULT 0,
    rated_up       INTEGER NOT NULL DEFAULT 0,
    rated_down     INTEGER NOT NULL DEFAULT 0,
    leads          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, quarter)
);

-- Distinct visitors per widget and local day (the account's offset when
-- the event arrived).
CREATE TABLE analytics_visitors (
    widget_id   INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    visitor_id  TEXT    NOT NULL,
    PRIMARY KEY (widget_id, day, visitor_id)
);

-- Distinct visitors per widget and local day, counted as their first row
-- of the day arrives; and, for days the scheduler has compacted, a
-- HyperLogLog sketch of the day's visitors (the raw ids then deleted), so
-- a period's distinct visitors are estimated from a few sketches.
CREATE TABLE analytics_day_visitors (
    widget_id  INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    visitors   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, day)
);
CREATE TABLE analytics_visitor_sketches (
    widget_id  INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    sketch     BLOB    NOT NULL,
    PRIMARY KEY (widget_id, day)
);

CREATE TRIGGER analytics_new_visitor BEFORE INSERT ON analytics_visitors
WHEN NOT EXISTS (SELECT 1 FROM analytics_visitors
    WHERE widget_id = NEW.widget_id AND day = NEW.day AND visitor_id = NEW.visitor_id) BEGIN
    INSERT INTO analytics_day_visitors (widget_id, day, visitors) VALUES (NEW.widget_id, NEW.day, 1)
    ON CONFLICT (widget_id, day) DO UPDATE SET visitors = visitors + 1;
END;

-- Visitors' questions, normalised (lower case, punctuation out), per local day.
CREATE TABLE analytics_questions (
    widget_id  INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    question   TEXT    NOT NULL,
    asked      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, day, question)
);

CREATE TRIGGER analytics_widget_events AFTER INSERT ON widget_events BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, loads, opens)
    VALUES (NEW.widget_id, NEW.created_at / 900,
            CASE WHEN NEW.kind = 'widget_loaded' THEN 1 ELSE 0 END,
            CASE WHEN NEW.kind = 'opened' THEN 1 ELSE 0 END)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        loads = loads + excluded.loads, opens = opens + excluded.opens;
    INSERT INTO analytics_visitors (widget_id, day, visitor_id)
    VALUES (NEW.widget_id,
            (NEW.created_at + 60 * COALESCE((SELECT a.utc_offset_minutes FROM widgets w
                JOIN accounts a ON a.id = w.account_id WHERE w.id = NEW.widget_id), 0)) / 86400,
            NEW.visitor_id)
    ON CONFLICT (widget_id, day, visitor_id) DO NOTHING;
END;

CREATE TRIGGER analytics_conversations AFTER INSERT ON conversations
WHEN NEW.preview = 0 BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, conversations)
    VALUES (NEW.widget_id, NEW.created_at / 900, 1)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET conversations = conversations + 1;
    INSERT INTO analytics_visitors (widget_id, day, visitor_id)
    VALUES (NEW.widget_id,
            (NEW.created_at + 60 * COALESCE((SELECT a.utc_offset_minutes FROM widgets w
                JOIN accounts a ON a.id = w.account_id WHERE w.id = NEW.widget_id), 0)) / 86400,
            NEW.visitor_id)
    ON CONFLICT (widget_id, day, visitor_id) DO NOTHING;
END;

CREATE TRIGGER analytics_messages AFTER INSERT ON messages
WHEN (SELECT preview FROM conversations WHERE id = NEW.conversation_id) = 0 BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, refused)
    VALUES ((SELECT widget_id FROM conversations WHERE id = NEW.conversation_id),
            NEW.created_at / 900,
            CASE WHEN NEW.role = 'visitor' THEN 1 ELSE 0 END,
            CASE WHEN NEW.role = 'assistant' AND NEW.refused = 0 THEN 1 ELSE 0 END,
            CASE WHEN NEW.role = 'assistant' AND NEW.refused = 1 THEN 1 ELSE 0 END)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET messages = messages + excluded.messages,
        answered = answered + excluded.answered, refused = refused + excluded.refused;
END;

-- A rating is counted in the quarter of the answer it rates; a changed
-- rating moves the count in the same statement.
CREATE TRIGGER analytics_ratings AFTER UPDATE OF rating ON messages
WHEN COALESCE(OLD.rating, 0) <> COALESCE(NEW.rating, 0)
 AND (SELECT preview FROM conversations WHERE id = NEW.conversation_id) = 0 BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, rated_up, rated_down)
    VALUES ((SELECT widget_id FROM conversations WHERE id = NEW.conversation_id),
            NEW.created_at / 900,
            (CASE WHEN NEW.rating = 1 THEN 1 ELSE 0 END) - (CASE WHEN OLD.rating = 1 THEN 1 ELSE 0 END),
            (CASE WHEN NEW.rating = -1 THEN 1 ELSE 0 END) - (CASE WHEN OLD.rating = -1 THEN 1 ELSE 0 END))
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        rated_up = rated_up + excluded.rated_up, rated_down = rated_down + excluded.rated_down;
END;

CREATE TRIGGER analytics_leads AFTER INSERT ON leads BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, leads)
    VALUES (NEW.widget_id, NEW.created_at / 900, 1)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET leads = leads + 1;
END;

-- Backfill the rollups from what is already stored.
INSERT INTO analytics_quarters (widget_id, quarter, loads, opens)
SELECT widget_id, created_at / 900,
       SUM(CASE WHEN kind = 'widget_loaded' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'opened' THEN 1 ELSE 0 END)
FROM widget_events WHERE true GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET loads = loads + excluded.loads, opens = opens + excluded.opens;
INSERT INTO analytics_quarters (widget_id, quarter, conversations)
SELECT widget_id, created_at / 900, COUNT(*) FROM conversations WHERE preview = 0
GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET conversations = conversations + excluded.conversations;
INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, rated_up, rated_down)
SELECT c.widget_id, m.created_at / 900,
       SUM(CASE WHEN m.role = 'visitor' THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.role = 'assistant' THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.rating = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.rating = -1 THEN 1 ELSE 0 END)
FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.preview = 0
GROUP BY c.widget_id, m.created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET messages = messages + excluded.messages,
    answered = answered + excluded.answered, rated_up = rated_up + excluded.rated_up,
    rated_down = rated_down + excluded.rated_down;
INSERT INTO analytics_quarters (widget_id, quarter, leads)
SELECT widget_id, created_at / 900, COUNT(*) FROM leads WHERE true GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET leads = leads + excluded.leads;

-- Content gaps: questions refused or rated down, grouped by meaning. A
-- group's centroid is the normalised sum of its questions' vectors.
CREATE TABLE content_gaps (
    id           INTEGER PRIMARY KEY,
    widget_id    INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    model        TEXT    NOT NULL,
    centroid     BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    qa_id        INTEGER REFERENCES qa_pairs (id) ON DELETE SET NULL
);
CREATE INDEX content_gaps_by_account ON content_gaps (account_id, resolved_at);
CREATE INDEX content_gaps_by_widget ON content_gaps (widget_id, resolved_at);

CREATE TABLE gap_questions (
    id          INTEGER PRIMARY KEY,
    gap_id      INTEGER NOT NULL REFERENCES content_gaps (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    question    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX gap_questions_by_gap ON gap_questions (gap_id, created_at);
