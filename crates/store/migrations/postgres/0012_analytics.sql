-- Conversations inbox, analytics rollups, content gaps and privacy
-- settings (issue 17). See the SQLite tree for the commentary; the
-- triggers here are PL/pgSQL functions doing the same upserts.

ALTER TABLE messages ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN corrected BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_rated_down ON messages (conversation_id) WHERE rating = -1;
CREATE INDEX messages_refused ON messages (conversation_id) WHERE refused = 1;
CREATE INDEX messages_corrected ON messages (conversation_id) WHERE corrected = 1;
-- Full-text search over messages.
CREATE INDEX messages_search ON messages USING GIN (to_tsvector('simple', body));

ALTER TABLE conversations ADD COLUMN account_id BIGINT;
UPDATE conversations SET account_id =
    (SELECT w.account_id FROM widgets w WHERE w.id = conversations.widget_id);
CREATE INDEX conversations_by_account ON conversations (account_id, updated_at, id);
CREATE INDEX conversations_by_visitor ON conversations (visitor_id);

CREATE INDEX leads_by_visitor ON leads (visitor_id);
CREATE INDEX leads_by_email ON leads (email);
CREATE INDEX leads_by_conversation ON leads (conversation_id);
CREATE INDEX widget_events_by_visitor ON widget_events (visitor_id);

ALTER TABLE accounts ADD COLUMN retention_days BIGINT;
ALTER TABLE accounts ADD COLUMN utc_offset_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN gap_digest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN gap_digest_sent_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE analytics_quarters (
    widget_id      BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    quarter        BIGINT NOT NULL,
    loads          BIGINT NOT NULL DEFAULT 0,
    opens          BIGINT NOT NULL DEFAULT 0,
    conversations  BIGINT NOT NULL DEFAULT 0,
    messages       BIGINT NOT NULL DEFAULT 0,
    answered       BIGINT NOT NULL DEFAULT 0,
    refused        BIGINT NOT NULL DEFAULT 0,
    rated_up       BIGINT NOT NULL DEFAULT 0,
    rated_down     BIGINT NOT NULL DEFAULT 0,
    leads          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, quarter)
);

CREATE TABLE analytics_visitors (
    widget_id   BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day         BIGINT NOT NULL,
    visitor_id  TEXT   NOT NULL,
    PRIMARY KEY (widget_id, day, visitor_id)
);

CREATE TABLE analytics_day_visitors (
    widget_id  BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    visitors   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, day)
);
CREATE TABLE analytics_visitor_sketches (
    widget_id  BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    sketch     BYTEA  NOT NULL,
    PRIMARY KEY (widget_id, day)
);

-- A visitor's first row of a day counts them once, exactly: the insert
-- that wins the unique key is the one that counts.
CREATE FUNCTION witzo_count_visitor(widget BIGINT, d BIGINT, visitor TEXT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    added BIGINT;
BEGIN
    INSERT INTO analytics_visitors (widget_id, day, visitor_id) VALUES (widget, d, visitor)
    ON CONFLICT (widget_id, day, visitor_id) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    IF added > 0 THEN
        INSERT INTO analytics_day_visitors (widget_id, day, visitors) VALUES (widget, d, 1)
        ON CONFLICT (widget_id, day) DO UPDATE SET visitors = analytics_day_visitors.visitors + 1;
    END IF;
END $$;

CREATE TABLE analytics_questions (
    widget_id  BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    question   TEXT   NOT NULL,
    asked      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, day, question)
);

CREATE FUNCTION witzo_local_day(widget BIGINT, at BIGINT) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
    SELECT (at + 60 * COALESCE((SELECT a.utc_offset_minutes FROM widgets w
        JOIN accounts a ON a.id = w.account_id WHERE w.id = widget), 0)) / 86400
$$;

CREATE FUNCTION witzo_conversation_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.account_id IS NULL THEN
        NEW.account_id := (SELECT account_id FROM widgets WHERE id = NEW.widget_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER conversations_account BEFORE INSERT ON conversations
FOR EACH ROW EXECUTE FUNCTION witzo_conversation_account();

CREATE FUNCTION witzo_count_widget_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, loads, opens)
    VALUES (NEW.widget_id, NEW.created_at / 900,
            CASE WHEN NEW.kind = 'widget_loaded' THEN 1 ELSE 0 END,
            CASE WHEN NEW.kind = 'opened' THEN 1 ELSE 0 END)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        loads = analytics_quarters.loads + excluded.loads,
        opens = analytics_quarters.opens + excluded.opens;
    PERFORM witzo_count_visitor(NEW.widget_id, witzo_local_day(NEW.widget_id, NEW.created_at), NEW.visitor_id);
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_widget_events AFTER INSERT ON widget_events
FOR EACH ROW EXECUTE FUNCTION witzo_count_widget_event();

CREATE FUNCTION witzo_count_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, conversations)
    VALUES (NEW.widget_id, NEW.created_at / 900, 1)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        conversations = analytics_quarters.conversations + 1;
    PERFORM witzo_count_visitor(NEW.widget_id, witzo_local_day(NEW.widget_id, NEW.created_at), NEW.visitor_id);
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_conversations AFTER INSERT ON conversations
FOR EACH ROW WHEN (NEW.preview = 0) EXECUTE FUNCTION witzo_count_conversation();

CREATE FUNCTION witzo_count_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    widget BIGINT;
BEGIN
    SELECT widget_id INTO widget FROM conversations WHERE id = NEW.conversation_id AND preview = 0;
    IF widget IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, refused)
    VALUES (widget, NEW.created_at / 900,
            CASE WHEN NEW.role = 'visitor' THEN 1 ELSE 0 END,
            CASE WHEN NEW.role = 'assistant' AND NEW.refused = 0 THEN 1 ELSE 0 END,
            CASE WHEN NEW.role = 'assistant' AND NEW.refused = 1 THEN 1 ELSE 0 END)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        messages = analytics_quarters.messages + excluded.messages,
        answered = analytics_quarters.answered + excluded.answered,
        refused = analytics_quarters.refused + excluded.refused;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_messages AFTER INSERT ON messages
FOR EACH ROW EXECUTE FUNCTION witzo_count_message();

CREATE FUNCTION witzo_count_rating() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    widget BIGINT;
BEGIN
    SELECT widget_id INTO widget FROM conversations WHERE id = NEW.conversation_id AND preview = 0;
    IF widget IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_quarters (widget_id, quarter, rated_up, rated_down)
    VALUES (widget, NEW.created_at / 900,
            (CASE WHEN NEW.rating = 1 THEN 1 ELSE 0 END) - (CASE WHEN OLD.rating = 1 THEN 1 ELSE 0 END),
            (CASE WHEN NEW.rating = -1 THEN 1 ELSE 0 END) - (CASE WHEN OLD.rating = -1 THEN 1 ELSE 0 END))
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        rated_up = analytics_quarters.rated_up + excluded.rated_up,
        rated_down = analytics_quarters.rated_down + excluded.rated_down;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_ratings AFTER UPDATE OF rating ON messages
FOR EACH ROW WHEN (OLD.rating IS DISTINCT FROM NEW.rating)
EXECUTE FUNCTION witzo_count_rating();

CREATE FUNCTION witzo_count_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, leads)
    VALUES (NEW.widget_id, NEW.created_at / 900, 1)
    ON CONFLICT (widget_id, quarter) DO UPDATE SET leads = analytics_quarters.leads + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_leads AFTER INSERT ON leads
FOR EACH ROW EXECUTE FUNCTION witzo_count_lead();

INSERT INTO analytics_quarters (widget_id, quarter, loads, opens)
SELECT widget_id, created_at / 900,
       SUM(CASE WHEN kind = 'widget_loaded' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'opened' THEN 1 ELSE 0 END)
FROM widget_events GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET
    loads = analytics_quarters.loads + excluded.loads, opens = analytics_quarters.opens + excluded.opens;
INSERT INTO analytics_quarters (widget_id, quarter, conversations)
SELECT widget_id, created_at / 900, COUNT(*) FROM conversations WHERE preview = 0
GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET
    conversations = analytics_quarters.conversations + excluded.conversations;
INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, rated_up, rated_down)
SELECT c.widget_id, m.created_at / 900,
       SUM(CASE WHEN m.role = 'visitor' THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.role = 'assistant' THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.rating = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.rating = -1 THEN 1 ELSE 0 END)
FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.preview = 0
GROUP BY c.widget_id, m.created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET
    messages = analytics_quarters.messages + excluded.messages,
    answered = analytics_quarters.answered + excluded.answered,
    rated_up = analytics_quarters.rated_up + excluded.rated_up,
    rated_down = analytics_quarters.rated_down + excluded.rated_down;
INSERT INTO analytics_quarters (widget_id, quarter, leads)
SELECT widget_id, created_at / 900, COUNT(*) FROM leads GROUP BY widget_id, created_at / 900
ON CONFLICT (widget_id, quarter) DO UPDATE SET leads = analytics_quarters.leads + excluded.leads;

CREATE TABLE content_gaps (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    widget_id    BIGINT NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    model        TEXT   NOT NULL,
    centroid     BYTEA  NOT NULL,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT,
    qa_id        BIGINT REFERENCES qa_pairs (id) ON DELETE SET NULL
);
CREATE INDEX content_gaps_by_account ON content_gaps (account_id, resolved_at);
CREATE INDEX content_gaps_by_widget ON content_gaps (widget_id, resolved_at);

CREATE TABLE gap_questions (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    gap_id      BIGINT NOT NULL REFERENCES content_gaps (id) ON DELETE CASCADE,
    message_id  BIGINT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    question    TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX gap_questions_by_gap ON gap_questions (gap_id, created_at);
