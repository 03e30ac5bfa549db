-- Events write only their own rows: an uploaded row for the same variant × metric × day is
-- the analyst's data and stays as it is. The roll-up writes overall rows only (no dimension).
INSERT INTO analytics_observation (
    experiment_id, variant_id, metric_id, date, users, conversions, sum, sum_squares,
    covariate_sum, covariate_sum_squares, cross_sum, source, dimension, dimension_value,
    updated_at
)
SELECT experiment_id, variant_id, metric_id, date, users, conversions, sum, sum_squares,
       NULL, NULL, NULL, 'events', '', '', now()
FROM rollup_result
ON CONFLICT (variant_id, metric_id, date, dimension, dimension_value) DO UPDATE SET
    users = EXCLUDED.users, conversions = EXCLUDED.conversions, sum = EXCLUDED.sum,
    sum_squares = EXCLUDED.sum_squares, covariate_sum = NULL, covariate_sum_squares = NULL,
    cross_sum = NULL, source = 'events', updated_at = EXCLUDED.updated_at
WHERE analytics_observation.source = 'events'
