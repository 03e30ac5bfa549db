INSERT INTO analytics_assignment (experiment_id, user_id, variant_id, first_exposed_at)
SELECT experiment_id, user_id, variant_id, ts FROM rollup_changes WHERE old_ts IS NULL
