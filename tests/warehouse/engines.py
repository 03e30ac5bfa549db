"""The same small warehouse in DuckDB, chdb and a ClickHouse server (ClickHouse) and PostgreSQL,
for the tests."""

import os
import tempfile
import uuid

import duckdb

from .data import tables


def duckdb_file(directory) -> str:
    path = os.path.join(directory, "warehouse.duckdb")
    exposures, events = tables()
    db = duckdb.connect(path)
    db.execute(
        "CREATE TABLE exposures (experiment_key VARCHAR, variant_key VARCHAR, "
        "user_pseudo_id VARCHAR, exposed_at TIMESTAMP, device_category VARCHAR)"
    )
    db.executemany("INSERT INTO exposures VALUES (?, ?, ?, ?, ?)", exposures)
    db.execute(
        "CREATE TABLE events (user_pseudo_id VARCHAR, event_name VARCHAR, "
        "event_timestamp TIMESTAMP, value DOUBLE)"
    )
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
    db.close()
    return path


def chdb_directory() -> str:
    from chdb import session

    from warehouse.engines import _CHDB_LOCK

    path = tempfile.mkdtemp(prefix="chdb-")
    exposures, events = tables()
    with _CHDB_LOCK:
        db = session.Session(path)
        db.query(
            "CREATE TABLE exposures (experiment_key String, variant_key String, "
            "user_pseudo_id String, exposed_at DateTime, device_category String) "
            "ENGINE = MergeTree ORDER BY (experiment_key, user_pseudo_id)"
        )
        db.query(
            "CREATE TABLE events (user_pseudo_id String, event_name String, "
            "event_timestamp DateTime, value Float64) ENGINE = MergeTree ORDER BY user_pseudo_id"
        )
        db.query("INSERT INTO exposures VALUES " + ", ".join(_values(r) for r in exposures))
        db.query("INSERT INTO events VALUES " + ", ".join(_values(r) for r in events))
        db.close()
    return path


def _values(row) -> str:
    # Test data of our own (no outside text): plain literals are enough here.
    parts = [f"'{v:%Y-%m-%d %H:%M:%S}'" if hasattr(v, "hour") else repr(v) for v in row]
    return f"({', '.join(parts)})"


def postgres_database(base_dsn: str) -> str:
    """A second database ``gro_warehouse_wh_<random>`` with the tables; returns its DSN."""
    import psycopg

    name = f"gro_warehouse_wh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = base_dsn.rsplit("/", 1)[0] + f"/{name}"
    exposures, events = tables()
    with psycopg.connect(dsn) as db:
        db.execute(
            "CREATE TABLE exposures (experiment_key text, variant_key text, "
            "user_pseudo_id text, exposed_at timestamp, device_category text)"
        )
        db.execute(
            "CREATE TABLE events (user_pseudo_id text, event_name text, "
            "event_timestamp timestamp, value double precision)"
        )
        with db.cursor() as cursor:
            cursor.executemany("INSERT INTO exposures VALUES (%s, %s, %s, %s, %s)", exposures)
            cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s)", events)
    return dsn


def drop_postgres_database(base_dsn: str, dsn: str) -> None:
    import psycopg

    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(base_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clickhouse_server_database(admin_url: str) -> str:
    """A database ``gro_wh_<random>`` with the tables on a ClickHouse server; returns its name."""
    from clickhouse_driver import Client

    name = f"gro_wh_{uuid.uuid4().hex[:8]}"
    exposures, events = tables()
    client = Client.from_url(admin_url)
    try:
        client.execute(f"CREATE DATABASE {name}")
        client.execute(
            f"CREATE TABLE {name}.exposures (experiment_key String, variant_key String, "
            "user_pseudo_id String, exposed_at DateTime, device_category String) "
            "ENGINE = MergeTree ORDER BY (experiment_key, user_pseudo_id)"
        )
        client.execute(
            f"CREATE TABLE {name}.events (user_pseudo_id String, event_name String, "
            "event_timestamp DateTime, value Float64) ENGINE = MergeTree ORDER BY user_pseudo_id"
        )
        client.execute(f"INSERT INTO {name}.exposures VALUES", exposures)
        client.execute(f"INSERT INTO {name}.events VALUES", [(*e[:3], float(e[3])) for e in events])
    finally:
        client.disconnect()
    return name


def drop_clickhouse_server_database(admin_url: str, name: str) -> None:
    from clickhouse_driver import Client

    client = Client.from_url(admin_url)
    try:
        client.execute(f"DROP DATABASE IF EXISTS {name}")
    finally:
        client.disconnect()
