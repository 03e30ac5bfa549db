"""The metric SQL: one template, built as a sqlglot tree and rendered per dialect."""

from .build import DIALECTS, MetricQuery, QueryProblem, parse_expression, render

__all__ = ["DIALECTS", "MetricQuery", "QueryProblem", "parse_expression", "render"]
