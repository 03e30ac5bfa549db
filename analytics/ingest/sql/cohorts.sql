-- The cohorts to recompute: the new and the old exposure day of every changed user, and the
-- cohort of every already-assigned user with a new conversion.
CREATE TEMP TABLE rollup_cohorts ON COMMIT DROP AS
SELECT experiment_id, day FROM rollup_changes
UNION
SELECT experiment_id, (old_ts AT TIME ZONE 'UTC')::date FROM rollup_changes
WHERE old_ts IS NOT NULL
UNION
SELECT a.experiment_id, (a.first_exposed_at AT TIME ZONE 'UTC')::date
FROM analytics_event e JOIN analytics_assignment a USING (experiment_id, user_id)
WHERE e.id > %(lo)s AND e.id <= %(hi)s AND e.kind = %(conversion)s
