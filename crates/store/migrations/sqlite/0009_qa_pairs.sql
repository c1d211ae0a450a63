-- Owner corrections: a question and the answer the owner wants given,
-- per widget. Kept apart from the trained knowledge, so retraining or
-- re-crawling never touches them. Lengths are bounded where they are
-- parsed (question 500, answer 4,000 characters).
CREATE TABLE qa_pairs (
    id          INTEGER PRIMARY KEY,
    widget_id   INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX qa_pairs_by_widget ON qa_pairs (widget_id, id);
CREATE INDEX qa_pairs_by_account ON qa_pairs (account_id);
