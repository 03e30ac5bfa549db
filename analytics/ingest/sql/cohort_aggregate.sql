-- One aggregate over the affected cohorts: users per variant × day, and per metric the users
-- who converted at or after their first exposure, with the sum and the sum of squares of each
-- user's total value. It runs with sorting discouraged: the planner underestimates the join
-- (experiment and user are correlated) and would sort a million rows a hash table groups
-- faster.
CREATE TEMP TABLE rollup_result ON COMMIT DROP AS
WITH members AS NOT MATERIALIZED (
    SELECT experiment_id, user_id, variant_id, ts AS first_exposed_at, day FROM rollup_changes
    UNION ALL
    SELECT experiment_id, user_id, variant_id, first_exposed_at, day FROM rollup_kept
), sizes AS (
    SELECT experiment_id, variant_id, day, count(*) AS users
    FROM members GROUP BY experiment_id, variant_id, day
), per_user AS (
    SELECT m.experiment_id, m.variant_id, m.day, e.metric_id, sum(e.value) AS total
    FROM members m
    JOIN analytics_event e ON e.experiment_id = m.experiment_id AND e.user_id = m.user_id
    WHERE e.kind = %(conversion)s AND e.id <= %(hi)s AND e."timestamp" >= m.first_exposed_at
    GROUP BY m.experiment_id, m.user_id, e.metric_id, m.variant_id, m.day
), converted AS (
    SELECT experiment_id, variant_id, day, metric_id, count(*) AS conversions,
           sum(coalesce(total, 0)) AS value_sum,
           sum(coalesce(total, 0) * coalesce(total, 0)) AS value_sum_squares
    FROM per_user GROUP BY experiment_id, variant_id, day, metric_id
), metrics AS (
    SELECT * FROM unnest(%(exp_ids)s::bigint[], %(metric_ids)s::bigint[], %(is_mean)s::boolean[])
        AS m(experiment_id, metric_id, is_mean)
)
SELECT s.experiment_id, s.variant_id, m.metric_id, s.day AS date, s.users,
       CASE WHEN m.is_mean THEN NULL ELSE coalesce(c.conversions, 0) END AS conversions,
       CASE WHEN m.is_mean THEN coalesce(c.value_sum, 0) END AS sum,
       CASE WHEN m.is_mean THEN coalesce(c.value_sum_squares, 0) END AS sum_squares
FROM sizes s
JOIN metrics m ON m.experiment_id = s.experiment_id
LEFT JOIN converted c ON c.experiment_id = s.experiment_id AND c.variant_id = s.variant_id
     AND c.day = s.day AND c.metric_id = m.metric_id
