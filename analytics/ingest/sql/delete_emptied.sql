DELETE FROM analytics_observation o
USING rollup_cohorts c
WHERE o.experiment_id = c.experiment_id AND o.date = c.day AND o.source = 'events'
  AND o.dimension = ''
  AND NOT EXISTS (
      SELECT 1 FROM rollup_result r
      WHERE r.variant_id = o.variant_id AND r.metric_id = o.metric_id AND r.date = o.date
  )
