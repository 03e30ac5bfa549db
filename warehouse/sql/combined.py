"""Several metrics of one fact table in one query: the fact table is read once.

Metrics that share a data source, a fact table, its user and time columns, the conversion
window and the covariate's days differ only in their value, denominator and filters. The
combined query reads the facts matching any metric's filters once, keeps per fact row one
0/1 match flag, value and denominator per metric, and computes every metric's per-user sums
in the same GROUP BY (conditional aggregates). Its columns are the single query's, the
per-metric ones suffixed ``_0``, ``_1``… in the order the metrics were given.

The template's text is generated from the number of metrics only (its placeholders are
names of our own); everything from a definition goes in as sqlglot nodes, as in
:mod:`.build`.
"""

import dataclasses

import sqlglot
from sqlglot import exp

from .build import (
    DIALECTS,
    EXPOSURES,
    IN_PRE,
    IN_WINDOW,
    PER_USER,
    MetricQuery,
    QueryProblem,
    _filled,
    _filters,
    _parameters,
    _shared_identifiers,
    _tables,
    _value_and_denominator,
    as_sql,
)

# What each metric may have of its own; everything else must be the same to share a query.
OWN = ("aggregation", "value_expression", "denominator_expression", "filters")
PER_METRIC_COLUMNS = (
    "metric_sum",
    "metric_sum_squares",
    "covariate_sum",
    "covariate_sum_squares",
    "cross_sum",
)


def shared_key(query: MetricQuery) -> MetricQuery:
    """``query`` without what a metric may have of its own: equal keys share a query."""
    return dataclasses.replace(query, **{name: "" for name in OWN})


# The per-user sums each aggregation's value needs (see ``PER_USER``): the others are not
# computed, so the GROUP BY carries only what the metrics use.
NEEDS = {
    "conversion": ("events",),
    "sum": ("total",),
    "mean": ("total", "events"),
    "ratio": ("total", "denominator"),
}
PER_USER_SUM = {
    "total": "SUM(CASE WHEN __in_{period} AND f.fact_match_{i} = 1 THEN f.fact_value_{i} ELSE 0 END)",
    "denominator": (
        "SUM(CASE WHEN __in_{period} AND f.fact_match_{i} = 1 THEN f.fact_denominator_{i} "
        "ELSE 0 END)"
    ),
    "events": "COUNT(CASE WHEN __in_{period} AND f.fact_match_{i} = 1 THEN 1 END)",
}


def _template(aggregations: list[str]) -> str:
    metrics = range(len(aggregations))
    facts = ",\n".join(
        f"CASE WHEN __filters_{i} THEN 1 ELSE 0 END AS fact_match_{i}"
        + (f", CAST(__value_{i} AS DOUBLE) AS fact_value_{i}" if "total" in NEEDS[a] else "")
        + (
            f", CAST(__denominator_{i} AS DOUBLE) AS fact_denominator_{i}"
            if "denominator" in NEEDS[a]
            else ""
        )
        for i, a in enumerate(aggregations)
    )
    per_user = ",\n".join(
        PER_USER_SUM[need].format(period=period, i=i) + f" AS {period}_{need}_{i}"
        for i, a in enumerate(aggregations)
        for period in ("window", "pre")
        for need in NEEDS[a]
    )
    valued = ", ".join(f"__y_{i} AS wh_y_{i}, __x_{i} AS wh_x_{i}" for i in metrics)
    sums = ",\n".join(
        f"SUM(wh_y_{i}) AS metric_sum_{i}, SUM(wh_y_{i} * wh_y_{i}) AS metric_sum_squares_{i}, "
        f"SUM(wh_x_{i}) AS covariate_sum_{i}, SUM(wh_x_{i} * wh_x_{i}) AS covariate_sum_squares_{i},"
        f" SUM(wh_x_{i} * wh_y_{i}) AS cross_sum_{i}"
        for i in metrics
    )
    return (
        EXPOSURES
        + f""", facts AS (
  SELECT __f_user AS fact_user, __f_time AS fact_time, {facts}
  FROM __fact_table
  WHERE __f_time >= :facts_start AND __f_time < :facts_end AND (__any_filter)
), per_user AS (
  SELECT e.wh_experiment, e.wh_variant, e.wh_dimension, CAST(e.wh_first_at AS DATE) AS wh_day,
         {per_user}
  FROM exposures AS e
  LEFT JOIN facts AS f ON f.fact_user = e.wh_user
  GROUP BY e.wh_experiment, e.wh_variant, e.wh_user, e.wh_dimension, CAST(e.wh_first_at AS DATE)
), valued AS (
  SELECT wh_experiment, wh_variant, wh_dimension, wh_day, {valued} FROM per_user
)
SELECT wh_experiment AS experiment_key, wh_variant AS variant_key, wh_day AS exposure_day,
       wh_dimension AS dimension_value, COUNT(*) AS users,
       {sums}
FROM valued
GROUP BY wh_experiment, wh_variant, wh_dimension, wh_day
"""
    )


def _per_user(aggregation: str, prefix: str, i: int) -> exp.Expression:
    text = PER_USER[aggregation].format(
        n=f"{prefix}_events_{i}",
        total=f"{prefix}_total_{i}",
        denominator=f"{prefix}_denominator_{i}",
    )
    return sqlglot.parse_one(text)


def build_combined(queries: list[MetricQuery]) -> exp.Expression:
    """One query computing every metric of ``queries`` (which must share :func:`shared_key`)."""
    if not queries:
        raise QueryProblem("metrics", "Give at least one metric.")
    first = queries[0]
    if any(shared_key(q) != shared_key(first) for q in queries[1:]):
        raise QueryProblem(
            "metrics", "Metrics share a query only with the same fact table, columns and windows."
        )
    identifiers = _shared_identifiers(first)
    identifiers["__in_window"] = sqlglot.parse_one(IN_WINDOW)
    identifiers["__in_pre"] = sqlglot.parse_one(IN_PRE)
    filters = []
    for i, query in enumerate(queries):
        if query.aggregation not in PER_USER:
            raise QueryProblem("aggregation", f"One of {', '.join(PER_USER)}.")
        value, denominator = _value_and_denominator(query)
        filters.append(_filters(query.filters))
        identifiers[f"__filters_{i}"] = filters[-1]
        identifiers[f"__value_{i}"] = value
        identifiers[f"__denominator_{i}"] = denominator
        identifiers[f"__y_{i}"] = _per_user(query.aggregation, "window", i)
        identifiers[f"__x_{i}"] = _per_user(query.aggregation, "pre", i)
    identifiers["__any_filter"] = exp.or_(*[exp.paren(f.copy()) for f in filters])
    tree = sqlglot.parse_one(_template([q.aggregation for q in queries]))
    return _filled(tree, identifiers, _tables(first), _parameters(first))


def render_combined(queries: list[MetricQuery], dialect: str, *, pretty: bool = True) -> str:
    """The combined query in ``dialect`` (a data source's kind)."""
    if dialect not in DIALECTS:
        raise QueryProblem("kind", f"Unknown warehouse kind “{dialect}”.")
    return as_sql(build_combined(queries), dialect, pretty=pretty)
