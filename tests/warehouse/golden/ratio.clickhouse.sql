SELECT
  wh_experiment AS experiment_key,
  wh_variant AS variant_key,
  wh_day AS exposure_day,
  '' AS dimension_value,
  COUNT(*) AS users,
  SUM(wh_y) AS metric_sum,
  SUM(wh_y * wh_y) AS metric_sum_squares,
  SUM(wh_x) AS covariate_sum,
  SUM(wh_x * wh_x) AS covariate_sum_squares,
  SUM(wh_x * wh_y) AS cross_sum
FROM (
  SELECT
    wh_experiment,
    wh_variant,
    wh_day,
    CASE WHEN window_denominator <> 0 THEN window_total / window_denominator ELSE 0 END AS wh_y,
    CASE WHEN pre_denominator <> 0 THEN pre_total / pre_denominator ELSE 0 END AS wh_x
  FROM (
    SELECT
      e.wh_experiment,
      e.wh_variant,
      CAST(e.wh_first_at AS Nullable(DATE)) AS wh_day,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          THEN f.fact_value
          ELSE 0
        END
      ) AS window_total,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          THEN f.fact_denominator
          ELSE 0
        END
      ) AS window_denominator,
      COUNT(
        CASE
          WHEN f.fact_time >= e.wh_first_at AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          THEN 1
        END
      ) AS window_events,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY AND f.fact_time < e.wh_first_at
          THEN f.fact_value
          ELSE 0
        END
      ) AS pre_total,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY AND f.fact_time < e.wh_first_at
          THEN f.fact_denominator
          ELSE 0
        END
      ) AS pre_denominator,
      COUNT(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY AND f.fact_time < e.wh_first_at
          THEN 1
        END
      ) AS pre_events
    FROM (
      SELECT
        "experiment_key" AS wh_experiment,
        "user_pseudo_id" AS wh_user,
        MIN("variant_key") AS wh_variant,
        MIN("exposed_at") AS wh_first_at
      FROM "exposures"
      WHERE
        "experiment_key" IN ('checkout-test')
        AND "exposed_at" >= CAST('2026-11-02 00:00:00' AS Nullable(DateTime))
        AND "exposed_at" < CAST('2026-11-05 00:00:00' AS Nullable(DateTime))
      GROUP BY
        "experiment_key",
        "user_pseudo_id"
      HAVING
        MIN("variant_key") = MAX("variant_key")
    ) AS e
    LEFT JOIN (
      SELECT
        "user_pseudo_id" AS fact_user,
        "event_timestamp" AS fact_time,
        CAST(COALESCE(value, 0) AS Nullable(Float64)) AS fact_value,
        CAST(quantity AS Nullable(Float64)) AS fact_denominator
      FROM "analytics_123456"."events_flat"
      WHERE
        "event_timestamp" >= CAST('2026-10-26 00:00:00' AS Nullable(DateTime))
        AND "event_timestamp" < CAST('2026-11-07 00:00:00' AS Nullable(DateTime))
        AND "event_name" = 'purchase'
        AND "country" IN ('FR', 'DE')
    ) AS f
      ON f.fact_user = e.wh_user
    GROUP BY
      e.wh_experiment,
      e.wh_variant,
      e.wh_user,
      CAST(e.wh_first_at AS Nullable(DATE))
  ) AS per_user
) AS valued
GROUP BY
  wh_experiment,
  wh_variant,
  wh_day
