-- The analytics triggers join each statement's new rows to other tables
-- (messages to their conversations, conversations to their accounts). A
-- PL/pgSQL query without parameters keeps the plan made at its first run
-- for the rest of the session: made while `conversations` was small, it
-- scanned every conversation on each insert, so a chat turn's cost grew
-- with the conversations stored until the connection closed or the table
-- was analysed (seen: 2.7 ms per insert at 40,000 conversations, chat
-- throughput down from 1,100 to 460 a second within half a minute).
-- `EXECUTE` plans these joins afresh each time, as the tables are now: a
-- few key lookups for the few rows a statement adds.
CREATE OR REPLACE FUNCTION witzo_count_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, conversations)
    SELECT widget_id, created_at / 900, COUNT(*) FROM added WHERE preview = 0 GROUP BY 1, 2
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        conversations = analytics_quarters.conversations + excluded.conversations;
    -- A visitor's first row of a (local) day counts them once, exactly:
    -- the insert that wins the unique key is the one that counts.
    EXECUTE $q$
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
        visitors = analytics_day_visitors.visitors + excluded.visitors
    $q$;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION witzo_count_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
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
        refused = analytics_quarters.refused + excluded.refused
    $q$;
    RETURN NULL;
END $$;
