SELECT
  wh_experiment AS experiment_key,
  wh_variant AS variant_key,
  wh_day AS exposure_day,
  '' AS dimension_value,
  COUNT(*) AS users,
  SUM(wh_y_0) AS metric_sum_0,
  SUM(wh_y_0 * wh_y_0) AS metric_sum_squares_0,
  SUM(wh_x_0) AS covariate_sum_0,
  SUM(wh_x_0 * wh_x_0) AS covariate_sum_squares_0,
  SUM(wh_x_0 * wh_y_0) AS cross_sum_0,
  SUM(wh_y_1) AS metric_sum_1,
  SUM(wh_y_1 * wh_y_1) AS metric_sum_squares_1,
  SUM(wh_x_1) AS covariate_sum_1,
  SUM(wh_x_1 * wh_x_1) AS covariate_sum_squares_1,
  SUM(wh_x_1 * wh_y_1) AS cross_sum_1,
  SUM(wh_y_2) AS metric_sum_2,
  SUM(wh_y_2 * wh_y_2) AS metric_sum_squares_2,
  SUM(wh_x_2) AS covariate_sum_2,
  SUM(wh_x_2 * wh_x_2) AS covariate_sum_squares_2,
  SUM(wh_x_2 * wh_y_2) AS cross_sum_2
FROM (
  SELECT
    wh_experiment,
    wh_variant,
    wh_day,
    CASE WHEN window_events_0 > 0 THEN 1 ELSE 0 END AS wh_y_0,
    CASE WHEN pre_events_0 > 0 THEN 1 ELSE 0 END AS wh_x_0,
    window_total_1 AS wh_y_1,
    pre_total_1 AS wh_x_1,
    CASE
      WHEN window_denominator_2 <> 0
      THEN window_total_2 / window_denominator_2
      ELSE 0
    END AS wh_y_2,
    CASE WHEN pre_denominator_2 <> 0 THEN pre_total_2 / pre_denominator_2 ELSE 0 END AS wh_x_2
  FROM (
    SELECT
      e.wh_experiment,
      e.wh_variant,
      CAST(e.wh_first_at AS Nullable(DATE)) AS wh_day,
      COUNT(
        CASE
          WHEN f.fact_time >= e.wh_first_at
          AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          AND f.fact_match_0 = 1
          THEN 1
        END
      ) AS window_events_0,
      COUNT(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY
          AND f.fact_time < e.wh_first_at
          AND f.fact_match_0 = 1
          THEN 1
        END
      ) AS pre_events_0,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at
          AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          AND f.fact_match_1 = 1
          THEN f.fact_value_1
          ELSE 0
        END
      ) AS window_total_1,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY
          AND f.fact_time < e.wh_first_at
          AND f.fact_match_1 = 1
          THEN f.fact_value_1
          ELSE 0
        END
      ) AS pre_total_1,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at
          AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          AND f.fact_match_2 = 1
          THEN f.fact_value_2
          ELSE 0
        END
      ) AS window_total_2,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at
          AND f.fact_time < e.wh_first_at + INTERVAL 48 HOUR
          AND f.fact_match_2 = 1
          THEN f.fact_denominator_2
          ELSE 0
        END
      ) AS window_denominator_2,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY
          AND f.fact_time < e.wh_first_at
          AND f.fact_match_2 = 1
          THEN f.fact_value_2
          ELSE 0
        END
      ) AS pre_total_2,
      SUM(
        CASE
          WHEN f.fact_time >= e.wh_first_at - INTERVAL 7 DAY
          AND f.fact_time < e.wh_first_at
          AND f.fact_match_2 = 1
          THEN f.fact_denominator_2
          ELSE 0
        END
      ) AS pre_denominator_2
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
        CASE WHEN "event_name" = 'purchase' AND "country" IN ('FR', 'DE') THEN 1 ELSE 0 END AS fact_match_0,
        CASE WHEN "event_name" = 'purchase' AND "country" IN ('FR', 'DE') THEN 1 ELSE 0 END AS fact_match_1,
        CAST(COALESCE(value, 0) AS Nullable(Float64)) AS fact_value_1,
        CASE WHEN "event_name" = 'purchase' AND "country" IN ('FR', 'DE') THEN 1 ELSE 0 END AS fact_match_2,
        CAST(COALESCE(value, 0) AS Nullable(Float64)) AS fact_value_2,
        CAST(quantity AS Nullable(Float64)) AS fact_denominator_2
      FROM "analytics_123456"."events_flat"
      WHERE
        "event_timestamp" >= CAST('2026-10-26 00:00:00' AS Nullable(DateTime))
        AND "event_timestamp" < CAST('2026-11-07 00:00:00' AS Nullable(DateTime))
        AND (
          (
            "event_name" = 'purchase' AND "country" IN ('FR', 'DE')
          )
          OR (
            "event_name" = 'purchase' AND "country" IN ('FR', 'DE')
          )
          OR (
            "event_name" = 'purchase' AND "country" IN ('FR', 'DE')
          )
        )
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
