-- Only the roll-up writes assignments, under its lock, so a plain INSERT of the new ones is
-- safe (and cheaper than ON CONFLICT's speculative insertion).
UPDATE analytics_assignment a SET variant_id = x.variant_id, first_exposed_at = x.ts
FROM rollup_changes x
WHERE x.old_ts IS NOT NULL AND a.experiment_id = x.experiment_id AND a.user_id = x.user_id
