"""The same metric on DuckDB, ClickHouse (chdb, embedded) and PostgreSQL (a second database):
identical numbers, equal to a hand computation. No mocks."""

import os

import pytest
from django.conf import settings

from tests.conftest import REQUIRE_SERVICES
from warehouse.engines import Connection, QueryFailed, run
from warehouse.sql import PER_METRIC_COLUMNS, render, render_combined

from .data import by_hand, query, tables
from .engines import chdb_directory, drop_postgres_database, duckdb_file, postgres_database

AGGREGATIONS = ["conversion", "sum", "mean", "ratio"]


@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory):
    return duckdb_file(tmp_path_factory.mktemp("duckdb"))


@pytest.fixture(scope="module")
def chdb_path():
    pytest.importorskip("chdb")
    return chdb_directory()


@pytest.fixture(scope="module")
def postgres_dsn():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        if REQUIRE_SERVICES:
            pytest.fail("GROWTHOPS_REQUIRE_SERVICES=1 but the tests run on SQLite")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    base = f"postgresql://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    dsn = postgres_database(base)
    yield dsn
    drop_postgres_database(base, dsn)


def numbers(outcome):
    return {
        (row[0], row[1], row[2]): tuple(round(float(v), 9) for v in row[4:]) for row in outcome.rows
    }


def expected(aggregation):
    exposures, events = tables()
    return {
        ("checkout-test", variant, day): tuple(round(float(v), 9) for v in cell)
        for (variant, day), cell in by_hand(exposures, events, query(aggregation)).items()
    }


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_duckdb_gives_the_hand_computation(duckdb_path, aggregation):
    outcome = run(Connection("duckdb", duckdb_path, 30, 1000), render(query(aggregation), "duckdb"))
    assert numbers(outcome) == expected(aggregation)
    assert sum(v[0] for v in numbers(outcome).values()) == 59  # 60 users, one in both variants


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_clickhouse_gives_the_same_numbers(chdb_path, aggregation):
    sql = render(query(aggregation), "clickhouse")
    outcome = run(Connection("clickhouse", chdb_path, 30, 1000), sql)
    assert numbers(outcome) == expected(aggregation)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_postgresql_gives_the_same_numbers(postgres_dsn, aggregation):
    sql = render(query(aggregation), "postgres")
    outcome = run(Connection("postgres", postgres_dsn, 30, 1000), sql)
    assert numbers(outcome) == expected(aggregation)


def combined_numbers(outcome, count):
    """The combined query's rows, per metric, in the single query's shape."""
    index = {name: i for i, name in enumerate(outcome.columns)}
    return [
        {
            (row[0], row[1], row[2]): tuple(
                round(float(row[index[c]]), 9)
                for c in ["users", *(f"{name}_{n}" for name in PER_METRIC_COLUMNS)]
            )
            for row in outcome.rows
        }
        for n in range(count)
    ]


def combined_queries():
    """Every aggregation, one with filters of its own (page views), on one fact table."""
    views = query("conversion", filters=[{"column": "event_name", "op": "=", "value": "page_view"}])
    return [*(query(a) for a in AGGREGATIONS), views]


@pytest.mark.parametrize("kind", ["duckdb", "clickhouse", "postgres"])
def test_one_combined_query_gives_each_metric_its_own_query_numbers(request, kind):
    path = {"duckdb": "duckdb_path", "clickhouse": "chdb_path", "postgres": "postgres_dsn"}[kind]
    connection = Connection(kind, request.getfixturevalue(path), 30, 1000)
    queries = combined_queries()
    combined = combined_numbers(run(connection, render_combined(queries, kind)), len(queries))
    alone = [numbers(run(connection, render(q, kind))) for q in queries]
    assert combined == alone
    assert combined[:4] == [expected(a) for a in AGGREGATIONS]


def test_postgresql_runs_read_only(postgres_dsn):
    with pytest.raises(QueryFailed, match="read-only"):
        run(Connection("postgres", postgres_dsn, 30, 10), "CREATE TABLE x (a int)")


def test_a_result_over_the_row_cap_is_refused(duckdb_path):
    with pytest.raises(QueryFailed, match="row cap of 2 rows"):
        run(Connection("duckdb", duckdb_path, 30, 2), render(query("sum"), "duckdb"))


def test_clickhouse_stops_reading_past_the_row_cap(chdb_path):
    big = "SELECT number FROM system.numbers LIMIT 1000000"
    with pytest.raises(QueryFailed, match="row cap of 5 rows"):
        run(Connection("clickhouse", chdb_path, 30, 5), big)
    assert len(run(Connection("clickhouse", chdb_path, 30, 5), "SELECT 1 AS one").rows) == 1


def test_a_query_past_the_time_limit_is_stopped(duckdb_path):
    slow = "SELECT count(*) FROM range(100000000000) a"
    with pytest.raises(QueryFailed, match="time limit of 1 s"):
        run(Connection("duckdb", duckdb_path, 1, 10), slow)


def test_duckdb_opens_the_warehouse_read_only(duckdb_path):
    with pytest.raises(QueryFailed, match="DuckDB refused"):
        run(Connection("duckdb", duckdb_path, 30, 10), "CREATE TABLE x (a INTEGER)")


def test_a_missing_warehouse_says_so(tmp_path):
    with pytest.raises(QueryFailed, match="could not open"):
        run(Connection("duckdb", os.fspath(tmp_path / "none.duckdb"), 30, 10), "SELECT 1")


def test_snowflake_is_rendered_not_run():
    with pytest.raises(QueryFailed, match="rendered but not run"):
        run(Connection("snowflake", "", 30, 10), "SELECT 1")


def test_postgresql_queries_run_as_the_sources_read_only_role(postgres_dsn):
    import uuid

    import psycopg

    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as db:
        db.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        as_role = Connection("postgres", postgres_dsn, 30, 100_000, role)
        with pytest.raises(QueryFailed, match="permission denied"):
            run(as_role, render(query("sum"), "postgres"))
        with psycopg.connect(postgres_dsn, autocommit=True) as db:
            db.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        assert numbers(run(as_role, render(query("sum"), "postgres"))) == expected("sum")
        assert run(as_role, "SELECT current_user AS who").rows == [(role,)]
        with pytest.raises(QueryFailed, match="does not exist"):
            run(Connection("postgres", postgres_dsn, 30, 10, "no_such_role"), "SELECT 1")
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as db:
            db.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
            db.execute(f'DROP ROLE "{role}"')


def test_a_kept_open_duckdb_file_is_opened_once_and_closed_after(tmp_path):
    import duckdb

    from warehouse.engines import _kept_open, duckdb_kept_open

    path = duckdb_file(tmp_path)
    connection = Connection("duckdb", path, 10, 100)
    with duckdb_kept_open():
        assert run(connection, "SELECT count(*) FROM exposures").rows[0][0] > 0
        kept = dict(_kept_open.get())
        assert list(kept) == [path]
        assert run(connection, "SELECT 2 AS two").rows == [(2,)]
        assert _kept_open.get() == kept  # the same connection answered
        with pytest.raises(QueryFailed, match="DuckDB refused the query"):
            run(connection, "SELECT * FROM no_such_table")
        assert run(connection, "SELECT 3 AS three").rows == [(3,)]
    assert _kept_open.get() is None
    # Closed: the file opens for writing again.
    db = duckdb.connect(path)
    db.execute("CREATE TABLE written (x INTEGER)")
    db.close()
