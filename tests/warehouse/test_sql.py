"""The metric SQL: one definition rendered per dialect (golden files), parsed back, and
nothing from a user pasted into it."""

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot

from warehouse.sql import (
    DIALECTS,
    PER_METRIC_COLUMNS,
    QueryProblem,
    parse_expression,
    render,
    render_combined,
    shared_key,
)

from .data import query

GOLDEN = Path(__file__).parent / "golden"
AGGREGATIONS = ["conversion", "sum", "mean", "ratio"]
# GROWTHOPS_UPDATE_GOLDEN=1 rewrites the files (then read the diff before committing).
UPDATE = os.environ.get("GROWTHOPS_UPDATE_GOLDEN") == "1"


def golden_query(aggregation):
    return query(
        aggregation,
        fact_table="analytics_123456.events_flat",
        value_expression="COALESCE(value, 0)",
        denominator_expression="quantity" if aggregation == "ratio" else "",
        filters=[
            {"column": "event_name", "op": "=", "value": "purchase"},
            {"column": "country", "op": "in", "value": ["FR", "DE"]},
        ],
    )


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_each_metric_kind_renders_as_its_golden_file(aggregation, dialect):
    sql = render(golden_query(aggregation), dialect) + "\n"
    path = GOLDEN / f"{aggregation}.{dialect}.sql"
    if UPDATE:
        path.write_text(sql)
    assert sql == path.read_text()


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "clickhouse", "postgres"])
@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_rendered_sql_parses_back_in_its_dialect(aggregation, dialect):
    sql = render(golden_query(aggregation), dialect)
    tree = sqlglot.parse_one(sql, read=dialect)
    names = [c.alias_or_name for c in tree.selects]
    assert names == [
        "experiment_key",
        "variant_key",
        "exposure_day",
        "dimension_value",
        "users",
        "metric_sum",
        "metric_sum_squares",
        "covariate_sum",
        "covariate_sum_squares",
        "cross_sum",
    ]
    tables = {t.name for t in tree.find_all(sqlglot.exp.Table)}
    assert {"exposures", "events_flat"} <= tables
    lists = [[lit.this for lit in node.expressions] for node in tree.find_all(sqlglot.exp.In)]
    assert sorted(lists) == [["FR", "DE"], ["checkout-test"]]


def test_identifiers_and_literals_are_quoted_by_the_library():
    hostile = query(
        "conversion",
        fact_table='events"; DROP TABLE x; --',
        experiment_keys=("k'); DROP TABLE exposures; --",),
        filters=[{"column": "event_name", "op": "=", "value": "a' OR '1'='1"}],
    )
    sql = render(hostile, "postgres")
    assert "'k''); DROP TABLE exposures; --'" in sql
    assert "'a'' OR ''1''=''1'" in sql
    assert '"events""; DROP TABLE x; --"' in sql
    assert len(sqlglot.parse(sql, read="postgres")) == 1


@pytest.mark.parametrize(
    "expression, message",
    [
        ("(SELECT 1)", "no queries"),
        ("1; DROP TABLE events", "one expression"),
        ("pg_sleep(10)", "not allowed"),
        ("e.value", "without a table"),
        ("", "Give a SQL expression"),
        ("value +", "Not a SQL expression"),
    ],
)
def test_a_value_expression_is_only_arithmetic_over_columns(expression, message):
    with pytest.raises(QueryProblem) as caught:
        parse_expression(expression)
    assert caught.value.field == "value_expression"
    assert message in caught.value.message


@pytest.mark.parametrize(
    "filters, message",
    [
        ([{"column": "a b", "op": "=", "value": 1}], "not a column name"),
        ([{"column": "a", "op": "like", "value": "x"}], "op is one of"),
        ([{"column": "a", "op": "in", "value": []}], "takes a list"),
        ([{"column": "a", "op": "=", "value": None}], "number or a text"),
        ([{"column": "a", "op": "="}], "exactly column, op and value"),
    ],
)
def test_bad_filters_are_refused(filters, message):
    with pytest.raises(QueryProblem) as caught:
        render(query("sum", filters=filters), "duckdb")
    assert caught.value.field == "filters"
    assert message in caught.value.message


def combined_golden_queries():
    """Three metrics of one fact table: the shape beat's batched refresh runs."""
    return [
        golden_query("conversion"),
        golden_query("sum"),
        golden_query("ratio"),
    ]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_metrics_of_one_fact_table_render_as_one_query_golden_file(dialect):
    sql = render_combined(combined_golden_queries(), dialect) + "\n"
    path = GOLDEN / f"combined.{dialect}.sql"
    if UPDATE:
        path.write_text(sql)
    assert sql == path.read_text()
    tree = sqlglot.parse_one(sql, read=dialect)
    names = [c.alias_or_name for c in tree.selects]
    per_metric = [f"{c}_{i}" for i in range(3) for c in PER_METRIC_COLUMNS]
    assert names[:5] == [
        "experiment_key",
        "variant_key",
        "exposure_day",
        "dimension_value",
        "users",
    ]
    assert names[5:] == per_metric
    # The fact table is read once.
    assert sql.count("analytics_123456") == 1


def test_metrics_with_different_windows_do_not_share_a_query():
    other = dataclasses.replace(golden_query("sum"), conversion_window_hours=24)
    with pytest.raises(QueryProblem, match="share a query"):
        render_combined([golden_query("conversion"), other], "duckdb")
    assert shared_key(other) != shared_key(golden_query("sum"))
    assert shared_key(golden_query("conversion")) == shared_key(golden_query("sum"))


def test_a_combined_query_pastes_no_filter_value_into_sql():
    hostile = dataclasses.replace(
        golden_query("sum"),
        filters=[{"column": "event_name", "op": "=", "value": "x' OR 1=1 --"}],
    )
    sql = render_combined([golden_query("conversion"), hostile], "postgres")
    assert "'x'' OR 1=1 --'" in sql
    tree = sqlglot.parse_one(sql, read="postgres")
    tables = [t.name for t in tree.find_all(sqlglot.exp.Table) if t.this.quoted]
    assert sorted(tables) == ["events_flat", "exposures"]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_an_incremental_query_counts_only_the_users_first_exposed_from_each_keys_day(dialect):
    first, later = dt.date(2026, 1, 1), dt.date(2026, 1, 8)
    staggered = query(
        "conversion",
        experiment_keys=("a", "b"),
        start=first,
        key_starts=(("a", first), ("b", later)),
    )
    sql = render(staggered, dialect)
    assert "CASE" in sql and "2026-01-08" in sql
    having = sqlglot.parse_one(sql, read=DIALECTS[dialect]).find(sqlglot.exp.Having)
    assert having.find(sqlglot.exp.Case) is not None
    # A full refresh names no key's day: the SQL is the plain one (the golden files').
    assert (
        "CASE"
        not in render(dataclasses.replace(staggered, key_starts=()), "duckdb").split("facts AS")[0]
    )
