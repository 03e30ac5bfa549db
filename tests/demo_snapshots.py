"""The demo organisation, seeded once and loaded where a test needs it.

Seeding the demo (a year of history, walked through the services) takes seconds; a dozen
modules read it. On SQLite (the quick suite) it is seeded once for all the run's processes
and saved (tests/saved_demo.py); each process keeps an in-memory copy, and a test module,
class or browser test loads that copy with SQLite's online backup in milliseconds, then the
empty database back when it is done. On PostgreSQL (CI) each test process seeds it once and
keeps the rows in a schema of its own in the test database; loading empties every table and
copies the rows back, a statement per table (seeding anew for every class and browser test
that read it was about twenty seedings a run).

Load only outside a test's own transaction: ``demo_for_class`` (conftest) for a class's or
module's ``django_db`` tests (each test's writes still roll back), ``demo_for_test`` for one
``transaction=True`` test (its flush follows).
"""

import sqlite3
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from .conftest import built_once
from .saved_demo import SavedDemo


class PostgresCopy:
    """The test database's rows, copied into a schema of their own in the same database.

    ``restore`` empties every table and copies the rows back, one ``INSERT … SELECT`` per
    table, inside the caller's transaction if there is one (rolled back with it, as
    ``built_once`` does). It moves no sequence backwards: a later insert never meets an id
    the copy brought back, nor one that rows outside the copy still hold."""

    def __init__(self, name: str):
        self.schema = connection.ops.quote_name(f"growthops_copy_{name}")
        quote = connection.ops.quote_name
        self.tables = [
            quote(table)
            for table in connection.introspection.django_table_names(
                only_existing=True, include_views=False
            )
        ]
        self.sequences = [
            (sequence["table"], sequence["column"])
            for sequence in connection.introspection.sequence_list()
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA {self.schema}")
            self.filled = []
            for table in self.tables:
                cursor.execute(f"CREATE UNLOGGED TABLE {self.schema}.{table} AS TABLE {table}")
                cursor.execute(f"SELECT EXISTS (SELECT FROM {self.schema}.{table})")
                if cursor.fetchone()[0]:
                    self.filled.append(table)

    def restore(self) -> None:
        quote = connection.ops.quote_name
        # One transaction (a savepoint inside the caller's): the foreign keys are checked at
        # its end, once every table is back.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(self.tables)}")
            for table in self.filled:
                cursor.execute(f"INSERT INTO {table} SELECT * FROM {self.schema}.{table}")
            for table, column in self.sequences:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST("
                    f"COALESCE(MAX({quote(column)}), 0) + 1, "
                    f"nextval(pg_get_serial_sequence(%s, %s))), false) FROM {quote(table)}",
                    [quote(table), column, quote(table), column],
                )


class Snapshot:
    """A copy of the test database with the demo in it (an in-memory SQLite database, or a
    ``PostgresCopy``), the copy of the database without it, and what seeding printed."""

    def __init__(self, seeded, empty, printed: str):
        self.seeded, self.empty, self.printed = seeded, empty, printed


def _copy_of_the_database(name: str):
    if connection.vendor == "postgresql":
        return PostgresCopy(name)
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.ensure_connection()
    connection.connection.backup(copy)
    return copy


def _replace_the_database_with(copy) -> None:
    if isinstance(copy, PostgresCopy):
        copy.restore()
        return
    connection.ensure_connection()
    copy.backup(connection.connection)


def seed_demo(*, large: bool = False, demo: bool = True) -> str:
    """``manage.py seed_demo`` (unless ``demo`` is False: it is there already); with ``large``,
    the cockpit tests' smaller benchmark set (as ``--large``, 400 experiments) and the night's
    roll-up. Returns what the command printed."""
    from demo.bench import seed_large
    from programme.portfolio.rollup import portfolio_rollup_run

    out = StringIO()
    if demo:
        with override_settings(DEBUG=True):  # the command runs in debug mode only
            call_command("seed_demo", stdout=out)
    if large:
        seed_large(count=400, out=lambda *_: None)
        portfolio_rollup_run()
    return out.getvalue()


def take_snapshot(django_db_blocker, *, on: Snapshot | None = None) -> Snapshot:
    """Seed once and keep a copy: on SQLite one for the whole run (tests/saved_demo.py), on
    PostgreSQL one for this process. ``on``: the demo's snapshot, to which the large set is
    added."""
    large = on is not None
    name = "large_demo" if large else "demo"
    with django_db_blocker.unblock():
        empty = _copy_of_the_database(f"{name}_empty")
        if connection.vendor != "sqlite":
            seeded, printed = _seeded(on, empty, name)
            return Snapshot(seeded, empty, printed)
        saved = SavedDemo(large=large)
        with saved.locked():
            if saved.exists():
                seeded, printed = saved.load()
            else:
                seeded, printed = _seeded(on, empty, name)
                saved.store(seeded, printed)
    return Snapshot(seeded, empty, printed)


def _seeded(on: Snapshot | None, empty, name: str):
    """Seed the demo (or the large set on ``on``'s demo), copy the database, and put ``empty``
    back; gives the copy and what seeding printed."""
    try:
        if on is not None:
            _replace_the_database_with(on.seeded)
        printed = seed_demo(large=on is not None, demo=on is None) or (on.printed if on else "")
        return _copy_of_the_database(name), printed
    finally:
        _replace_the_database_with(empty)


@contextmanager
def demo_loaded(snapshot: Snapshot, django_db_blocker, *, committed: bool = False):
    """The demo in the test database while the block runs; gives what seeding printed.

    ``committed``: for a ``transaction=True`` test, whose server thread must see the rows (on
    PostgreSQL they stay until the test's flush removes them). Otherwise, on PostgreSQL the
    rows are copied in inside a transaction rolled back afterwards (``built_once``)."""
    if isinstance(snapshot.seeded, PostgresCopy) and not committed:
        loading = built_once(django_db_blocker, snapshot.seeded.restore)
        try:
            next(loading)
            yield snapshot.printed
        finally:
            loading.close()  # rolls the transaction back
        return
    with django_db_blocker.unblock():
        _replace_the_database_with(snapshot.seeded)
    try:
        yield snapshot.printed
    finally:
        if not isinstance(snapshot.seeded, PostgresCopy):
            with django_db_blocker.unblock():
                _replace_the_database_with(snapshot.empty)
