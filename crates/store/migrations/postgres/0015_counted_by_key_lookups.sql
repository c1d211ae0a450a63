-- The analytics triggers joined each statement's new rows to other tables
-- (messages to their conversations, conversations to their accounts). A
-- PL/pgSQL query without parameters keeps the plan made at its first run
-- for the rest of the session: made while `conversations` was small, the
-- join hashed every conversation on each insert, so a chat turn's cost
-- grew with the conversations stored until the connection closed or the
-- table was analysed (seen: 2.7 ms per insert at 40,000 conversations,
-- chat throughput down from 1,100 to 460 a second within half a minute).
-- The other row is now looked up by its key, a subquery per new row:
-- planned on its own, a primary-key lookup is an index scan whatever the
-- statistics say (planning each call afresh instead cost a tenth of the
-- database's time under chat load).
CREATE OR REPLACE FUNCTION witzo_count_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, conversations)
    SELECT widget_id, created_at / 900, COUNT(*) FROM added WHERE preview = 0 GROUP BY 1, 2
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        conversations = analytics_quarters.conversations + excluded.conversations;
    -- A visitor's first row of a (local) day counts them once, exactly:
    -- the insert that wins the unique key is the one that counts.
    WITH first AS (
        INSERT INTO analytics_visitors (widget_id, day, visitor_id)
        SELECT DISTINCT c.widget_id,
               (c.created_at + 60 * COALESCE(
                   (SELECT a.utc_offset_minutes FROM accounts a WHERE a.id = c.account_id), 0)) / 86400,
               c.visitor_id
        FROM added c
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

CREATE OR REPLACE FUNCTION witzo_count_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_quarters (widget_id, quarter, messages, answered, refused)
    SELECT widget_id, quarter,
           COUNT(*) FILTER (WHERE role = 'visitor'),
           COUNT(*) FILTER (WHERE role = 'assistant' AND refused = 0),
           COUNT(*) FILTER (WHERE role = 'assistant' AND refused = 1)
    FROM (
        -- NULL for a conversation of the owner's preview (not counted).
        SELECT (SELECT c.widget_id FROM conversations c
                WHERE c.id = m.conversation_id AND c.preview = 0) AS widget_id,
               m.created_at / 900 AS quarter, m.role, m.refused
        FROM added m
        OFFSET 0 -- kept a subquery: each row looked up once, not again below
    ) AS counted
    WHERE widget_id IS NOT NULL
    GROUP BY 1, 2
    ON CONFLICT (widget_id, quarter) DO UPDATE SET
        messages = analytics_quarters.messages + excluded.messages,
        answered = analytics_quarters.answered + excluded.answered,
        refused = analytics_quarters.refused + excluded.refused;
    RETURN NULL;
END $$;
