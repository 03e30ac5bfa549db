"""From observations to results: the pipeline, freshness and alerts."""
