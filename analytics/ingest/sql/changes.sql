-- Each user's earliest new exposure, kept when the user is new or it is earlier than their
-- stored assignment (the old first exposure travels along, so the old cohort is recomputed
-- too). Reading before writing keeps every later step a join against the old state.
CREATE TEMP TABLE rollup_changes ON COMMIT DROP AS
WITH firsts AS (
    SELECT DISTINCT ON (experiment_id, user_id COLLATE "C")
           experiment_id, user_id, variant_id, "timestamp" AS ts
    FROM analytics_event
    WHERE id > %(lo)s AND id <= %(hi)s AND kind = %(exposure)s
    ORDER BY experiment_id, user_id COLLATE "C", "timestamp", id
)
SELECT f.experiment_id, f.user_id, f.variant_id, f.ts, (f.ts AT TIME ZONE 'UTC')::date AS day,
       a.first_exposed_at AS old_ts
FROM firsts f LEFT JOIN analytics_assignment a USING (experiment_id, user_id)
WHERE a.first_exposed_at IS NULL OR f.ts < a.first_exposed_at
