"""From observations to results: the pipeline, significance, freshness and alerts."""
