-- The monthly conversation allowance: answers taken in the account's
-- current cycle, a rolling month from `cycle_start` (its sign-up date to
-- begin with). Taken by one atomic check-and-increment per answer.
ALTER TABLE accounts ADD COLUMN cycle_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN conversations_used INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET cycle_start = created_at;
