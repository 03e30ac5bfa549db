"""A ClickHouse *server* (clickhouse-driver, native protocol): the same numbers as DuckDB and
chdb for every metric kind, its time limit, its row cap and its read-only accounts. No mocks:
the tests run against the server on GROWTHOPS_TEST_CLICKHOUSE_URL (.ci/run installs Debian's
clickhouse-server and starts it) and skip, saying why, when none answers there."""

import importlib.util
import os
import time
from urllib.parse import urlparse

import pytest

from tests.conftest import REQUIRE_SERVICES, client_for, person
from warehouse import engines
from warehouse.engines import Connection, QueryFailed, run
from warehouse.sql import render, render_combined

from .data import query
from .engines import (
    chdb_directory,
    clickhouse_server_database,
    drop_clickhouse_server_database,
    duckdb_file,
)
from .helpers import ENV, warehouse_experiment, warehouse_source
from .test_engines import AGGREGATIONS, combined_numbers, combined_queries, expected, numbers

# An account that may create a database (the tables are loaded through it), and the test
# accounts of .ci/clickhouse-users.xml.
ADMIN_URL = os.environ.get(
    "GROWTHOPS_TEST_CLICKHOUSE_URL", "clickhouse://default@127.0.0.1:9000/default"
)
READER = "growthops_reader:growthops-test"  # readonly = 2
STRICT = "growthops_strict:growthops-test"  # readonly = 1


def _url(account: str, database: str) -> str:
    address = urlparse(ADMIN_URL)
    return f"{address.scheme}://{account}@{address.hostname}:{address.port or 9000}/{database}"


def _admin_url(database: str) -> str:
    return urlparse(ADMIN_URL)._replace(path=f"/{database}").geturl()


@pytest.fixture(scope="module")
def clickhouse_db():
    """The test tables in a database of their own on the server; its name."""
    from clickhouse_driver import Client, errors

    host, client = urlparse(ADMIN_URL), None
    try:
        client = Client.from_url(ADMIN_URL)
        client.execute("SELECT 1")
    except (errors.Error, OSError, EOFError) as exc:
        reason = (
            f"no ClickHouse server answers on {host.hostname}:{host.port or 9000} "
            f"(GROWTHOPS_TEST_CLICKHOUSE_URL; .ci/run starts one): {exc}"
        )
        if REQUIRE_SERVICES:
            pytest.fail(f"GROWTHOPS_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    finally:
        if client is not None:
            client.disconnect()
    name = clickhouse_server_database(ADMIN_URL)
    yield name
    drop_clickhouse_server_database(ADMIN_URL, name)


def _test_account(account: str, database: str) -> str:
    """The URL of one of .ci/clickhouse-users.xml's accounts; skips when the server has none."""
    name = account.split(":")[0]
    url = _url(account, database)
    try:
        run(Connection("clickhouse", url, 30, 10), "SELECT 1 AS ok")
    except QueryFailed as exc:
        if f"Unknown user {name}" in str(exc) or "AUTHENTICATION_FAILED" in str(exc):
            reason = f"the test account {name} is missing (.ci/clickhouse-users.xml): {exc}"
            if REQUIRE_SERVICES:
                pytest.fail(reason)
            pytest.skip(reason)
    return url


@pytest.fixture(scope="module")
def server(clickhouse_db):
    """The source's connection: the read-only account (readonly = 2)."""
    return _test_account(READER, clickhouse_db)


@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory):
    return duckdb_file(tmp_path_factory.mktemp("duckdb"))


def connection(url, timeout=30, cap=1000):
    return Connection("clickhouse", url, timeout, cap)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_it_gives_the_numbers_of_duckdb_and_chdb(server, duckdb_path, aggregation):
    on_server = numbers(run(connection(server), render(query(aggregation), "clickhouse")))
    on_duckdb = numbers(
        run(Connection("duckdb", duckdb_path, 30, 1000), render(query(aggregation), "duckdb"))
    )
    assert on_server == on_duckdb == expected(aggregation)
    if importlib.util.find_spec("chdb"):
        chdb = Connection("clickhouse", chdb_directory(), 30, 1000)
        assert numbers(run(chdb, render(query(aggregation), "clickhouse"))) == on_server


@pytest.mark.parametrize("aggregation", ["conversion", "ratio"])
def test_a_dimensions_rows_are_duckdbs(server, duckdb_path, aggregation):
    by_device = query(aggregation, dimension_column="device_category")
    on_server = run(connection(server), render(by_device, "clickhouse"))
    on_duckdb = run(Connection("duckdb", duckdb_path, 30, 1000), render(by_device, "duckdb"))

    def rows(outcome):
        return sorted((r[:4], tuple(round(float(v), 9) for v in r[4:])) for r in outcome.rows)

    assert rows(on_server) == rows(on_duckdb)
    assert {r[3] for r in on_server.rows} == {"mobile", "desktop"}


def test_one_combined_query_gives_each_metric_its_own_query_numbers(server):
    queries = combined_queries()
    combined = combined_numbers(
        run(connection(server), render_combined(queries, "clickhouse")), len(queries)
    )
    assert combined == [numbers(run(connection(server), render(q, "clickhouse"))) for q in queries]
    assert combined[:4] == [expected(a) for a in AGGREGATIONS]


def test_a_query_past_the_time_limit_is_stopped(server):
    slow = "SELECT count() AS n FROM (SELECT number FROM system.numbers LIMIT 100000000000)"
    started = time.perf_counter()
    with pytest.raises(QueryFailed, match="time limit of 1 s"):
        run(connection(server, timeout=1), slow)
    assert time.perf_counter() - started < 5  # the server stopped it, not the socket's grace


def test_it_stops_reading_past_the_row_cap(server):
    big = "SELECT number FROM system.numbers LIMIT 1000000"
    with pytest.raises(QueryFailed, match="row cap of 5 rows"):
        run(connection(server, cap=5), big)
    assert run(connection(server, cap=5), "SELECT 1 AS one").rows == [(1,)]
    assert (
        len(run(connection(server, cap=5), "SELECT number FROM system.numbers LIMIT 5").rows) == 5
    )


def test_every_account_runs_read_only(server, clickhouse_db):
    for url in (server, _admin_url(clickhouse_db)):  # readonly = 2, and 0 with readonly = 1 sent
        with pytest.raises(QueryFailed, match="readonly mode"):
            run(connection(url), "CREATE TABLE written (a UInt8) ENGINE = Memory")
        with pytest.raises(QueryFailed, match="readonly mode"):
            run(connection(url), "INSERT INTO events VALUES ('x', 'purchase', now(), 1)")


def test_an_account_that_may_set_nothing_is_refused(clickhouse_db):
    with pytest.raises(QueryFailed, match="readonly = 1, which forbids"):
        run(connection(_test_account(STRICT, clickhouse_db)), "SELECT 1 AS ok")


def test_a_wrong_password_and_a_silent_port_say_so_without_the_settings(clickhouse_db):
    wrong = _url("growthops_reader:hunter2", clickhouse_db)
    with pytest.raises(QueryFailed, match="ClickHouse refused") as refused:
        engines.test_connection(connection(wrong))
    assert "hunter2" not in str(refused.value)
    with pytest.raises(QueryFailed, match="ClickHouse did not answer") as silent:
        engines.test_connection(connection("clickhouse://reader:hunter2@127.0.0.1:1/db"))
    assert "hunter2" not in str(silent.value)


@pytest.mark.django_db
def test_the_connection_test_and_a_refresh_run_on_the_server(
    server, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv(ENV, server)
    source = warehouse_source(name="ClickHouse server", kind="clickhouse")
    tested = client_for(person("analyst")).post(f"/api/v1/datasources/{source.pk}/test/")
    assert tested.json()["last_test_ok"] is True
    assert "Connected" in tested.json()["last_test_message"]
    assert "growthops-test" not in tested.content.decode()

    operator = person("operator")
    experiment = warehouse_experiment(operator, source)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(f"/api/v1/experiments/{experiment.pk}/refresh/")
    assert response.status_code == 202
    runs = client_for(operator).get(f"/api/v1/experiments/{experiment.pk}/refreshes/").json()
    assert runs[0]["status"] == "succeeded" and runs[0]["written"] > 0
    assert "WITH" not in runs[0]["statements"][0]["sql"]
