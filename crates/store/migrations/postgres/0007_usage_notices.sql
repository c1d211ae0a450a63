-- The cycle (its `cycle_start`) in which the owner was last e-mailed about
-- reaching 90 % and 100 % of the allowance: each notice once per cycle.
ALTER TABLE accounts ADD COLUMN warned_cycle BIGINT NOT NULL DEFAULT -1;
ALTER TABLE accounts ADD COLUMN exhausted_cycle BIGINT NOT NULL DEFAULT -1;
