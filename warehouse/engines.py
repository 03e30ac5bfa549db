"""Running a rendered query on a data source's engine, read-only, with a time limit and a
row cap. DuckDB is embedded; PostgreSQL through psycopg; ClickHouse on a server through
clickhouse-driver (native protocol; the setting is a ``clickhouse://`` URL) or on chdb (the
embedded engine; the setting is its data directory); BigQuery through google-cloud-bigquery
(warehouse/bigquery.py). Snowflake has no client here: its SQL is rendered and checked
(docs/warehouse.md), not run.
"""

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

from .secrets import SecretMissing, resolve


class QueryFailed(Exception):
    """A query that did not give usable rows; the message says why, for a person."""


@dataclass(frozen=True)
class Connection:
    kind: str
    settings: str  # the resolved connection setting: a path or a DSN (never logged)
    timeout_seconds: int
    row_cap: int
    role: str = ""  # PostgreSQL: the read-only role each query runs as


@dataclass
class QueryOutcome:
    columns: list[str]
    rows: list[tuple]
    duration_ms: int


def connection_for(source) -> Connection:
    try:
        settings = resolve(source.connection_ref)
    except SecretMissing as exc:
        raise QueryFailed(str(exc)) from exc
    return Connection(
        source.kind,
        settings,
        source.statement_timeout_seconds,
        source.row_cap,
        source.read_only_role,
    )


def run(connection: Connection, sql: str) -> QueryOutcome:
    runner = RUNNERS.get(connection.kind)
    if runner is None:
        raise QueryFailed(
            f"{connection.kind} queries are rendered but not run from this server: no client "
            "library for it is installed (docs/warehouse.md)."
        )
    started = time.perf_counter()
    columns, rows = runner(connection, sql)
    duration_ms = round((time.perf_counter() - started) * 1000)
    if len(rows) > connection.row_cap:
        raise QueryFailed(
            f"The query returned more than the row cap of {connection.row_cap:,} rows; nothing "
            "was written. Raise the source's row cap or shorten the experiment's window."
        )
    return QueryOutcome(columns, rows, duration_ms)


def duckdb_config() -> dict:
    """The settings of every DuckDB connection a refresh opens: a memory ceiling (past it,
    DuckDB spills to its temporary folder, by default beside the file), and no insertion order to keep
    (the query aggregates; keeping it costs memory)."""
    return {
        "memory_limit": settings.WAREHOUSE_DUCKDB_MEMORY_LIMIT,
        "preserve_insertion_order": False,
    }


# DuckDB files kept open by ``duckdb_kept_open`` (by path), or None outside one.
_kept_open: ContextVar[dict | None] = ContextVar("warehouse_duckdb_kept_open", default=None)


@contextmanager
def duckdb_kept_open():
    """Within the block a DuckDB file, once opened, stays open for the next query (a batch's
    queries read the same file, and opening it costs about as much as a small query); every
    file is closed when the block ends."""
    if _kept_open.get() is not None:
        yield
        return
    opened: dict = {}
    token = _kept_open.set(opened)
    try:
        yield
    finally:
        _kept_open.reset(token)
        for db in opened.values():
            db.close()


def _duckdb_open(connection: Connection):
    """The file read-only, and whether the caller closes it (not when kept open)."""
    import duckdb

    kept = _kept_open.get()
    if kept is not None and connection.settings in kept:
        return kept[connection.settings], False
    try:
        db = duckdb.connect(
            connection.settings,
            read_only=True,
            config=duckdb_config(),
        )
    except duckdb.Error as exc:
        raise QueryFailed(f"DuckDB could not open the warehouse: {_short(exc)}") from exc
    if kept is None:
        return db, True
    kept[connection.settings] = db
    return db, False


def _duckdb(connection: Connection, sql: str):
    import duckdb

    db, close = _duckdb_open(connection)
    # DuckDB has no statement timeout: a timer interrupts the query.
    timer = threading.Timer(connection.timeout_seconds, db.interrupt)
    timer.start()
    try:
        cursor = db.execute(sql)
        rows = cursor.fetchmany(connection.row_cap + 1)
        columns = [d[0] for d in cursor.description]
    except duckdb.InterruptException as exc:
        raise _timed_out(connection) from exc
    except duckdb.Error as exc:
        raise QueryFailed(f"DuckDB refused the query: {_short(exc)}") from exc
    finally:
        timer.cancel()
        if close:
            db.close()
    return columns, rows


def _postgres(connection: Connection, sql: str):
    import psycopg
    from psycopg import sql as pg_sql

    try:
        with psycopg.connect(connection.settings, connect_timeout=10) as db:
            db.read_only = True
            with db.cursor() as cursor:
                if connection.role:  # the query may read only what that role may
                    cursor.execute(
                        pg_sql.SQL("SET LOCAL ROLE {}").format(pg_sql.Identifier(connection.role))
                    )
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    [f"{connection.timeout_seconds * 1000}"],
                )
                cursor.execute(sql)
                rows = cursor.fetchmany(connection.row_cap + 1)
                columns = [d.name for d in cursor.description]
            db.rollback()
    except psycopg.errors.QueryCanceled as exc:
        raise _timed_out(connection) from exc
    except psycopg.Error as exc:
        raise QueryFailed(f"PostgreSQL refused the query: {_short(exc)}") from exc
    return columns, rows


_CHDB_LOCK = threading.Lock()  # chdb holds one session per process


def _clickhouse(connection: Connection, sql: str):
    if connection.settings.startswith(CLICKHOUSE_SERVER_SCHEMES):
        return _clickhouse_server(connection, sql)
    return _chdb(connection, sql)


def _chdb(connection: Connection, sql: str):
    try:
        from chdb import session
    except ImportError as exc:
        raise QueryFailed("ClickHouse's embedded engine (chdb) is not installed here.") from exc
    # Past the row cap the server stops reading (``break``): the cap's check then refuses it.
    limits = (
        f" SETTINGS max_execution_time={int(connection.timeout_seconds)}, readonly=1,"
        f" max_result_rows={int(connection.row_cap) + 1}, result_overflow_mode='break'"
    )
    with _CHDB_LOCK:
        db = session.Session(connection.settings)
        try:
            result = db.query(sql + limits, "ArrowTable")
        except Exception as exc:  # chdb raises its own error types
            if "TIMEOUT_EXCEEDED" in str(exc) or "Timeout exceeded" in str(exc):
                raise _timed_out(connection) from exc
            raise QueryFailed(f"ClickHouse refused the query: {_short(exc)}") from exc
        finally:
            db.close()
    columns = list(result.column_names)
    rows = list(zip(*(result.column(c).to_pylist() for c in columns), strict=True))
    return columns, rows


CLICKHOUSE_SERVER_SCHEMES = ("clickhouse://", "clickhouses://")
CLICKHOUSE_TIMEOUT_EXCEEDED = 159
# Past the time limit the server stops the query; the socket waits this much longer before
# the client gives up on a server that did not.
CLICKHOUSE_SOCKET_GRACE_SECONDS = 10


def _clickhouse_server(connection: Connection, sql: str):
    """The query on a ClickHouse server, its limits sent as the query's settings.

    The account must be read-only. An account with ``readonly = 2`` (reads, and may set the
    query's limits) gets the limits alone; one with ``readonly = 0`` gets ``readonly = 1``
    as well; one with ``readonly = 1`` is refused: it may change no setting, so a current
    server rejects the limits and 18.16 ignores them without a word."""
    from clickhouse_driver import Client, errors
    from clickhouse_driver.util.helpers import parse_url

    try:
        host, options = parse_url(connection.settings)
    except ValueError as exc:
        raise QueryFailed("The ClickHouse URL in the connection settings is malformed.") from exc
    options.setdefault("connect_timeout", 10)
    options["send_receive_timeout"] = connection.timeout_seconds + CLICKHOUSE_SOCKET_GRACE_SECONDS
    client = Client(host, **options)
    try:
        account_readonly = client.execute(
            "SELECT value FROM system.settings WHERE name = 'readonly'"
        )[0][0]
        if account_readonly == "1":
            raise QueryFailed(
                "The ClickHouse account has readonly = 1, which forbids the query's time limit "
                "and row cap; give it a profile with readonly = 2 (docs/warehouse.md)."
            )
        limits = {
            "max_execution_time": int(connection.timeout_seconds),
            # Past the cap the server stops reading (``break``): the cap's check refuses it.
            "max_result_rows": int(connection.row_cap) + 1,
            "result_overflow_mode": "break",
            **({"readonly": 1} if account_readonly == "0" else {}),
        }
        result = client.execute_iter(sql, settings=limits, with_column_types=True)
        columns = [name for name, _ in next(result)]
        rows = []
        for row in result:
            rows.append(row)
            if len(rows) > connection.row_cap:
                break
    except errors.SocketTimeoutError as exc:
        raise _timed_out(connection) from exc
    except errors.ServerException as exc:
        if exc.code == CLICKHOUSE_TIMEOUT_EXCEEDED:
            raise _timed_out(connection) from exc
        raise QueryFailed(f"ClickHouse refused the query: {_server_message(exc)}") from exc
    except (errors.Error, OSError, EOFError) as exc:
        raise QueryFailed(f"ClickHouse did not answer: {_short(exc)}") from exc
    finally:
        client.disconnect()  # also stops a query whose rows were not all read
    return columns, rows


def _server_message(exc) -> str:
    """ClickHouse's own message, without the stack trace older servers append."""
    message = (exc.message or "").split("Stack trace:")[0].strip()
    return message.splitlines()[0][:300] if message else f"error code {exc.code}"


def _timed_out(connection: Connection) -> QueryFailed:
    return QueryFailed(
        f"The query ran past the source's time limit of {connection.timeout_seconds} s and was "
        "stopped; nothing was written."
    )


def _short(exc) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def _bigquery(connection: Connection, sql: str, dry_run: bool = False):
    from . import bigquery

    try:
        return bigquery.run(
            connection.settings,
            sql,
            timeout_seconds=connection.timeout_seconds,
            row_cap=connection.row_cap,
            dry_run=dry_run,
        )
    except bigquery.BigQueryTimedOut as exc:
        raise _timed_out(connection) from exc
    except bigquery.BigQueryFailed as exc:
        raise QueryFailed(str(exc)) from exc


RUNNERS = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "clickhouse": _clickhouse,
    "bigquery": _bigquery,
}


def test_connection(connection: Connection) -> QueryOutcome:
    """``SELECT 1`` on the source: does it answer? BigQuery dry-runs it (nothing is billed)."""
    if connection.kind != "bigquery":
        return run(connection, "SELECT 1 AS ok")
    started = time.perf_counter()
    _bigquery(connection, "SELECT 1 AS ok", dry_run=True)
    return QueryOutcome([], [], round((time.perf_counter() - started) * 1000))
