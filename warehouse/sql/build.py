"""A metric's refresh query, written once and rendered for each warehouse's dialect.

The template below is fixed SQL, parsed once by sqlglot. Its placeholders are identifiers
named ``__…`` (tables and columns) and ``:…`` parameters (literals); :func:`render` swaps them
for ``exp.Identifier`` / ``exp.Table`` / ``exp.Literal`` nodes and for the metric's own value
expression, parsed by sqlglot and checked to be a plain expression over columns. No text from
a user is ever pasted into SQL: the library quotes every identifier and literal.

The query returns, per experiment key × variant × day of first exposure: the users, the
metric's sum and sum of squares per user (a conversion metric's per-user value is 0 or 1), and
CUPED's covariate (the same value over the days before exposure) with its sum of squares and
its cross sum with the metric.
"""

import datetime as dt
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

# The data source kinds and sqlglot's name for each dialect.
DIALECTS = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "clickhouse": "clickhouse",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
}

# Users seen in two variants of one experiment are left out (MIN = MAX keeps the others):
# their exposure is ambiguous. Facts are read from the covariate's first day to the last
# exposure's window end.
EXPOSURES = """
WITH exposures AS (
  SELECT __x_exp AS wh_experiment, __x_user AS wh_user, MIN(__x_variant) AS wh_variant,
         MIN(__x_time) AS wh_first_at, MIN(__x_dim) AS wh_dimension
  FROM __exposure_table
  WHERE __x_exp IN (:keys) AND __x_time >= :start AND __x_time < :end
  GROUP BY __x_exp, __x_user
  HAVING MIN(__x_variant) = MAX(__x_variant)
)"""
TEMPLATE = (
    EXPOSURES
    + """, facts AS (
  SELECT __f_user AS fact_user, __f_time AS fact_time, CAST(__value AS DOUBLE) AS fact_value,
         CAST(__denominator AS DOUBLE) AS fact_denominator
  FROM __fact_table
  WHERE __f_time >= :facts_start AND __f_time < :facts_end AND __filters
), per_user AS (
  SELECT e.wh_experiment, e.wh_variant, e.wh_dimension, CAST(e.wh_first_at AS DATE) AS wh_day,
         SUM(CASE WHEN __in_window THEN f.fact_value ELSE 0 END) AS window_total,
         SUM(CASE WHEN __in_window THEN f.fact_denominator ELSE 0 END) AS window_denominator,
         COUNT(CASE WHEN __in_window THEN 1 END) AS window_events,
         SUM(CASE WHEN __in_pre THEN f.fact_value ELSE 0 END) AS pre_total,
         SUM(CASE WHEN __in_pre THEN f.fact_denominator ELSE 0 END) AS pre_denominator,
         COUNT(CASE WHEN __in_pre THEN 1 END) AS pre_events
  FROM exposures AS e
  LEFT JOIN facts AS f ON f.fact_user = e.wh_user
  GROUP BY e.wh_experiment, e.wh_variant, e.wh_user, e.wh_dimension, CAST(e.wh_first_at AS DATE)
), valued AS (
  SELECT wh_experiment, wh_variant, wh_dimension, wh_day, __y AS wh_y, __x AS wh_x FROM per_user
)
SELECT wh_experiment AS experiment_key, wh_variant AS variant_key, wh_day AS exposure_day,
       wh_dimension AS dimension_value,
       COUNT(*) AS users, SUM(wh_y) AS metric_sum, SUM(wh_y * wh_y) AS metric_sum_squares,
       SUM(wh_x) AS covariate_sum, SUM(wh_x * wh_x) AS covariate_sum_squares,
       SUM(wh_x * wh_y) AS cross_sum
FROM valued
GROUP BY wh_experiment, wh_variant, wh_dimension, wh_day
"""
)

# The per-user value y (and the covariate x, the same over the pre-period) per aggregation.
PER_USER = {
    "conversion": "CASE WHEN {n} > 0 THEN 1 ELSE 0 END",
    "sum": "{total}",
    "mean": "CASE WHEN {n} > 0 THEN {total} / {n} ELSE 0 END",
    "ratio": "CASE WHEN {denominator} <> 0 THEN {total} / {denominator} ELSE 0 END",
}
IN_WINDOW = "f.fact_time >= e.wh_first_at AND f.fact_time < e.wh_first_at + :window_hours"
IN_PRE = "f.fact_time >= e.wh_first_at - :pre_days AND f.fact_time < e.wh_first_at"
OPERATORS = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
# What a metric's value expression may contain: columns, literals, arithmetic, CASE, casts,
# a few functions. No query, no table, no star.
ALLOWED_FUNCTIONS = (exp.Coalesce, exp.Abs, exp.Round, exp.Least, exp.Greatest, exp.Nullif)
FORBIDDEN = (exp.Query, exp.Table, exp.Star, exp.Command, exp.Placeholder, exp.Parameter)


class QueryProblem(ValueError):
    """A definition that cannot become SQL; ``field`` names the input at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class MetricQuery:
    """Everything a refresh query needs, as plain values (no model: tests build it too)."""

    exposure_table: str
    experiment_column: str
    variant_column: str
    exposure_user_column: str
    exposure_time_column: str
    fact_table: str
    user_column: str
    time_column: str
    aggregation: str
    value_expression: str = "1"
    denominator_expression: str = ""
    filters: list = field(default_factory=list)
    conversion_window_hours: int = 72
    covariate_days: int = 14
    experiment_keys: tuple = ()
    start: dt.date = dt.date(2026, 1, 1)
    end: dt.date = dt.date(2026, 1, 31)  # the last day of exposures, inclusive
    source_dialect: str = "duckdb"  # the dialect the value expression is written in
    # A column of the exposure table to slice by (its value at the user's exposures); "" for
    # the overall rows.
    dimension_column: str = ""
    # ((key, first day), ...) for an incremental refresh: only the users of those keys first
    # exposed from that day on (their first exposure still read from ``start``).
    key_starts: tuple = ()


def parse_expression(text: str, dialect: str = "duckdb", field_name="value_expression"):
    """``text`` as a sqlglot expression over columns, or :class:`QueryProblem`."""
    text = (text or "").strip()
    if not text:
        raise QueryProblem(field_name, "Give a SQL expression, e.g. 1 or revenue.")
    try:
        parsed = sqlglot.parse(text, read=DIALECTS[dialect])
    except sqlglot.errors.SqlglotError as exc:
        raise QueryProblem(field_name, f"Not a SQL expression: {_first_line(exc)}") from exc
    if len(parsed) != 1 or parsed[0] is None:
        raise QueryProblem(field_name, "Give one expression, without ';'.")
    tree = parsed[0]
    for node in tree.walk():
        if isinstance(node, FORBIDDEN):
            raise QueryProblem(field_name, "Only columns, numbers and arithmetic: no queries.")
        if isinstance(node, exp.Func) and not isinstance(
            node, ALLOWED_FUNCTIONS + (exp.Case, exp.If, exp.Cast, exp.Paren)
        ):
            name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__
            raise QueryProblem(field_name, f"The function {name} is not allowed here.")
        if isinstance(node, exp.Column) and node.table:
            raise QueryProblem(field_name, "Name the fact table's columns without a table.")
    return tree


def _first_line(exc) -> str:
    return str(exc).splitlines()[0][:200]


def _table(name: str) -> exp.Table:
    parts = name.split(".")
    identifiers = [exp.to_identifier(p, quoted=True) for p in parts]
    table = exp.Table(this=identifiers[-1])
    if len(identifiers) > 1:
        table.set("db", identifiers[-2])
    if len(identifiers) > 2:
        table.set("catalog", identifiers[-3])
    return table


def _column(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _literal(value):
    if isinstance(value, bool) or value is None:
        raise QueryProblem("filters", "A filter's value is a number or a text.")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _filters(filters) -> exp.Expression:
    conditions = []
    if not isinstance(filters, list):
        raise QueryProblem("filters", "Give a list of {column, op, value} filters.")
    for number, item in enumerate(filters, start=1):
        if not isinstance(item, dict) or set(item) != {"column", "op", "value"}:
            raise QueryProblem("filters", f"Filter {number}: give exactly column, op and value.")
        column = _column(_checked_column(item["column"], "filters"))
        op, value = item["op"], item["value"]
        if op == "in":
            if not isinstance(value, list) or not value:
                raise QueryProblem("filters", f"Filter {number}: “in” takes a list of values.")
            conditions.append(exp.In(this=column, expressions=[_literal(v) for v in value]))
        elif op in OPERATORS:
            conditions.append(OPERATORS[op](this=column, expression=_literal(value)))
        else:
            raise QueryProblem(
                "filters", f"Filter {number}: op is one of {', '.join([*OPERATORS, 'in'])}."
            )
    return exp.and_(*conditions) if conditions else exp.true()


def _checked_column(name, field_name) -> str:
    if not isinstance(name, str) or not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise QueryProblem(field_name, f"“{name}” is not a column name (letters, digits, _).")
    return name


def _timestamp(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), exp.DataType.Type.TIMESTAMP)


def _interval(amount: int, unit: str) -> exp.Interval:
    return exp.Interval(this=exp.Literal.number(int(amount)), unit=exp.var(unit))


def _per_user(aggregation: str, prefix: str) -> exp.Expression:
    text = PER_USER[aggregation].format(
        n=f"{prefix}_events", total=f"{prefix}_total", denominator=f"{prefix}_denominator"
    )
    return sqlglot.parse_one(text)


def build(query: MetricQuery) -> exp.Expression:
    """The refresh query as a sqlglot tree (dialect-neutral until rendered)."""
    if query.aggregation not in PER_USER:
        raise QueryProblem("aggregation", f"One of {', '.join(PER_USER)}.")
    value, denominator = _value_and_denominator(query)
    identifiers = {
        **_shared_identifiers(query),
        "__value": value,
        "__denominator": denominator,
        "__filters": _filters(query.filters),
        "__in_window": sqlglot.parse_one(IN_WINDOW),
        "__in_pre": sqlglot.parse_one(IN_PRE),
        "__y": _per_user(query.aggregation, "window"),
        "__x": _per_user(query.aggregation, "pre"),
    }
    return _filled(sqlglot.parse_one(TEMPLATE), identifiers, _tables(query), _parameters(query))


def _value_and_denominator(query: MetricQuery):
    value = parse_expression(query.value_expression, query.source_dialect)
    if query.aggregation == "ratio":
        denominator = parse_expression(
            query.denominator_expression, query.source_dialect, "denominator_expression"
        )
    else:
        denominator = exp.Literal.number(1)
    return value, denominator


def _shared_identifiers(query: MetricQuery) -> dict:
    """The placeholders every metric of one query shares (exposure and fact columns)."""
    if not query.experiment_keys:
        raise QueryProblem("experiment_keys", "Name at least one experiment key.")
    return {
        "__x_exp": _column(query.experiment_column),
        "__x_user": _column(query.exposure_user_column),
        "__x_variant": _column(query.variant_column),
        "__x_time": _column(query.exposure_time_column),
        "__x_dim": (
            _column(_checked_column(query.dimension_column, "dimension_columns"))
            if query.dimension_column
            else exp.Literal.string("")
        ),
        "__f_user": _column(query.user_column),
        "__f_time": _column(query.time_column),
    }


def _tables(query: MetricQuery) -> dict:
    return {
        "__exposure_table": _table(query.exposure_table),
        "__fact_table": _table(query.fact_table),
    }


def _parameters(query: MetricQuery) -> dict:
    end = query.end + dt.timedelta(days=1)
    window_days = -(-int(query.conversion_window_hours) // 24)
    return {
        "keys": [exp.Literal.string(str(k)) for k in query.experiment_keys],
        "start": _timestamp(query.start),
        "end": _timestamp(end),
        "facts_start": _timestamp(query.start - dt.timedelta(days=int(query.covariate_days))),
        "facts_end": _timestamp(end + dt.timedelta(days=window_days)),
        "window_hours": _interval(query.conversion_window_hours, "HOUR"),
        "pre_days": _interval(query.covariate_days, "DAY"),
        "key_starts": _key_starts(query),
    }


def _key_starts(query: MetricQuery) -> exp.Expression | None:
    """``MIN(time) >= CASE key WHEN k THEN its first day … END``: each user is counted on the
    day of their first exposure, so a user first exposed before a key's day is left out, not
    moved to a later day. None without ``key_starts``."""
    if not query.key_starts:
        return None
    starts = exp.Case(
        this=_column(query.experiment_column),
        ifs=[
            exp.If(this=exp.Literal.string(str(key)), true=_timestamp(day))
            for key, day in query.key_starts
        ],
        default=_timestamp(query.start),
    )
    return exp.GTE(this=exp.Min(this=_column(query.exposure_time_column)), expression=starts)


def _without_dimension(tree):
    """The overall rows (no dimension column): nothing to carry through the steps or group
    by (the per-user step groups tens of millions of users); ``dimension_value`` is ''."""
    for select in tree.find_all(exp.Select):
        kept = []
        for column in select.expressions:
            if column.alias_or_name == "wh_dimension":
                continue
            if column.alias == "dimension_value":
                column = exp.alias_(exp.Literal.string(""), "dimension_value")
            kept.append(column)
        select.set("expressions", kept)
        if group := select.args.get("group"):
            group.set("expressions", [g for g in group.expressions if g.name != "wh_dimension"])
    return tree


def _filled(tree, identifiers, tables, parameters):
    """Swap the template's names for the query's nodes, then its parameters for literals (a
    second pass: the swapped-in conditions hold parameters of their own). Without a
    dimension column, the dimension is left out (:func:`_without_dimension`)."""
    if isinstance(identifiers["__x_dim"], exp.Literal):
        tree = _without_dimension(tree)

    def names(node):
        if isinstance(node, exp.Table) and node.name in tables:
            replacement = tables[node.name].copy()
            if node.alias:
                replacement.set("alias", node.args["alias"].copy())
            return replacement
        if isinstance(node, exp.Column) and not node.table and node.name in identifiers:
            return identifiers[node.name].copy()
        return node

    def values(node):
        if isinstance(node, exp.In) and [e.name for e in node.expressions] == ["keys"]:
            return exp.In(this=node.this.copy(), expressions=[k.copy() for k in parameters["keys"]])
        if isinstance(node, exp.Placeholder) and node.name in parameters:
            return parameters[node.name].copy()
        return node

    tree = tree.transform(names).transform(values)
    if parameters.get("key_starts") is not None:
        having = tree.find(exp.Having)
        having.set("this", exp.and_(having.this, parameters["key_starts"].copy()))
    return tree


def with_ctes_inlined(tree: exp.Expression) -> exp.Expression:
    """``tree`` with each ``WITH`` step written as a derived table where it is read.

    ClickHouse servers before 20.x have no ``WITH name AS (SELECT …)`` (18.16 stops at its
    first bracket); a derived table runs on every version and on chdb. Each step of our
    templates is read once, so nothing is computed twice. A step named like a real table
    (``exposures``) replaces only the references after it, not the table it reads."""
    tree = tree.copy()
    with_ = tree.args.get("with_")
    if with_ is None:
        return tree
    tree.set("with_", None)
    steps: list[tuple[str, exp.Expression]] = []
    for cte in with_.expressions:
        body = cte.this
        for name, earlier in steps:
            body = body.transform(_reading(name, earlier))
        steps.append((cte.alias, body))
    for name, body in steps:
        tree = tree.transform(_reading(name, body))
    return tree


def _reading(name: str, body: exp.Expression):
    def swap(node):
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name == name:
            return exp.Subquery(
                this=body.copy(), alias=exp.TableAlias(this=exp.to_identifier(node.alias or name))
            )
        return node

    return swap


def as_sql(tree: exp.Expression, dialect: str, *, pretty: bool = True) -> str:
    """``tree`` in ``dialect`` (a data source's kind); ClickHouse's without ``WITH`` steps."""
    if dialect not in DIALECTS:
        raise QueryProblem("kind", f"Unknown warehouse kind “{dialect}”.")
    if dialect == "clickhouse":
        tree = with_ctes_inlined(tree)
    return tree.sql(dialect=DIALECTS[dialect], pretty=pretty)


def render(query: MetricQuery, dialect: str, *, pretty: bool = True) -> str:
    """The refresh query in ``dialect`` (a data source's kind)."""
    if dialect not in DIALECTS:
        raise QueryProblem("kind", f"Unknown warehouse kind “{dialect}”.")
    return as_sql(build(query), dialect, pretty=pretty)
