-- Chat turns are written in groups, many rows per statement
-- (crates/store/src/turns.rs): conversations and messages are counted
-- once per statement from its new rows, no longer once per row (each a
-- PL/pgSQL call, a lookup and an update of the same hot quarter row).
-- A conversation's account is named by the insert; the trigger only
-- fills it in when not (as on SQLite).
DROP TRIGGER conversations_account ON conversations;
CREATE TRIGGER conversations_account BEFORE INSERT ON conversations
FOR EACH ROW WHEN (NEW.account_id IS NULL) EXECUTE FUNCTION witzo_conversation_account();

DROP TRIGGER analytics_conversations ON conversations;
DROP TRIGGER analytics_messages ON messages;
DROP FUNCTION witzo_count_conversation();
DROP FUNCTION witzo_count_message();

CREATE FUNCTION witzo_count_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, conversations)
    SELECT widget_id, created_at / 900, COUNT(*) FROM added WHERE preview = 0 GROUP BY 1, 2
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        conversations = analytics_quarters.conversations + excluded.conversations;
    -- A visitor's first row of a (local) day counts them once, exactly:
    -- the insert that wins the unique key is the one that counts. The day
    -- is joined, not witzo_local_day(), a SQL function planned per call.
    WITH first AS (
        INSERT INTO analytics_visitors (widget_id, day, visitor_id)
        SELECT DISTINCT c.widget_id,
               (c.created_at + 60 * COALESCE(a.utc_offset_minutes, 0)) / 86400, c.visitor_id
        FROM added c LEFT JOIN accounts a ON a.id = c.account_id
        WHERE c.preview = 0
        ON CONFLICT (widget_id, day, visitor_id) DO NOTHING
        RETURNING widget_id, day
    )
    INSERT INTO analytics_day_visitors (widget_id, day, visitors)
    SELECT widget_id, day, COUNT(*) FROM first GROUP BY 1, 2
    ON CONFLICT (widget_id, day) DO UPDATE SET
        visitors = analytics_day_visitors.visitors + excluded.visitors;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_conversations AFTER INSERT ON conversations
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION witzo_count_conversations();

CREATE FUNCTION witzo_count_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, refused)
    SELECT c.widget_id, m.created_at / 900,
           COUNT(*) FILTER (WHERE m.role = 'visitor'),
           COUNT(*) FILTER (WHERE m.role = 'assistant' AND m.refused = 0),
           COUNT(*) FILTER (WHERE m.role = 'assistant' AND m.refused = 1)
    FROM added m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.preview = 0
    GROUP BY 1, 2
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        messages = analytics_quarters.messages + excluded.messages,
        answered = analytics_quarters.answered + excluded.answered,
        refused = analytics_quarters.refused + excluded.refused;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_messages AFTER INSERT ON messages
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION witzo_count_messages();
