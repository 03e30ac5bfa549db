"""The metric SQL: one template, built as a sqlglot tree and rendered per dialect; metrics
of one fact table combined into one query (``combined``)."""

from .build import DIALECTS, MetricQuery, QueryProblem, parse_expression, render
from .combined import PER_METRIC_COLUMNS, render_combined, shared_key

__all__ = [
    "DIALECTS",
    "PER_METRIC_COLUMNS",
    "MetricQuery",
    "QueryProblem",
    "parse_expression",
    "render",
    "render_combined",
    "shared_key",
]
