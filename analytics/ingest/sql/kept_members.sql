-- The members of the affected cohorts are the changed users (``rollup_changes``) plus these:
-- the stored assignments of those cohorts that did not change. Kept apart rather than copied
-- into one table (the first run would copy every user); their statistics (ANALYZE) steer the
-- aggregate's plan: index look-ups for a few cohorts, a hash join for many. The time window of
-- the affected days is a cheap filter that drops most stored assignments before the joins
-- (new events mostly touch recent cohorts).
CREATE TEMP TABLE rollup_kept ON COMMIT DROP AS
SELECT a.experiment_id, a.user_id, a.variant_id, a.first_exposed_at, c.day
FROM analytics_assignment a
JOIN rollup_cohorts c
  ON c.experiment_id = a.experiment_id AND c.day = (a.first_exposed_at AT TIME ZONE 'UTC')::date
WHERE a.experiment_id = ANY(%(experiment_ids)s)
  AND a.first_exposed_at >= (SELECT min(day) FROM rollup_cohorts)::timestamp AT TIME ZONE 'UTC'
  AND a.first_exposed_at < (SELECT max(day) + 1 FROM rollup_cohorts)::timestamp AT TIME ZONE 'UTC'
  AND NOT EXISTS (
    SELECT 1 FROM rollup_changes x
    WHERE x.experiment_id = a.experiment_id AND x.user_id = a.user_id
)
