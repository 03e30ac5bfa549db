"""The demo organisation, seeded once and loaded where a test needs it.

Seeding the demo (a year of history, walked through the services) takes seconds; a dozen
modules read it. On SQLite (the quick suite) it is seeded once for all the run's processes
and saved (tests/saved_demo.py); each process keeps an in-memory copy, and a test module,
class or browser test loads that copy with SQLite's online backup in milliseconds, then the
empty database back when it is done. On PostgreSQL (CI) each use seeds
anew inside a transaction rolled back afterwards (``built_once``), as before.

Load only outside a test's own transaction: ``demo_for_class`` (conftest) for a class's or
module's ``django_db`` tests (each test's writes still roll back), ``demo_for_test`` for one
``transaction=True`` test (its flush follows).
"""

import sqlite3
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from .conftest import built_once
from .saved_demo import SavedDemo


class Snapshot:
    """A copy of the test database with the demo in it (SQLite), and what seeding printed."""

    def __init__(self, seeded: sqlite3.Connection | None, empty, printed: str, *, large: bool):
        self.seeded, self.empty, self.printed, self.large = seeded, empty, printed, large


def _copy_of_the_database() -> sqlite3.Connection:
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.ensure_connection()
    connection.connection.backup(copy)
    return copy


def _replace_the_database_with(copy: sqlite3.Connection) -> None:
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
    """Seed once and keep a copy (SQLite); elsewhere, remember only what to seed. ``on``: the
    demo's snapshot, to which the large set is added."""
    large = on is not None
    with django_db_blocker.unblock():
        if connection.vendor != "sqlite":
            return Snapshot(None, None, "", large=large)
        empty = _copy_of_the_database()
        saved = SavedDemo(large=large)
        with saved.locked():
            if saved.exists():
                seeded, printed = saved.load()
            else:
                try:
                    if on is not None:
                        _replace_the_database_with(on.seeded)
                    printed = seed_demo(large=large, demo=on is None) or (on.printed if on else "")
                    seeded = _copy_of_the_database()
                finally:
                    _replace_the_database_with(empty)
                saved.store(seeded, printed)
    return Snapshot(seeded, empty, printed, large=large)


@contextmanager
def demo_loaded(snapshot: Snapshot, django_db_blocker, *, committed: bool = False):
    """The demo in the test database while the block runs; gives what seeding printed.

    ``committed``: for a ``transaction=True`` test, whose server thread must see the rows (on
    PostgreSQL the rows are then seeded for real, and the test's flush removes them)."""
    if snapshot.seeded is None and committed:
        with django_db_blocker.unblock():
            yield seed_demo(large=snapshot.large)
        return
    if snapshot.seeded is None:  # PostgreSQL: seed in a transaction rolled back afterwards
        seeding = built_once(django_db_blocker, lambda: seed_demo(large=snapshot.large))
        try:
            yield next(seeding)
        finally:
            seeding.close()  # rolls the transaction back
        return
    with django_db_blocker.unblock():
        _replace_the_database_with(snapshot.seeded)
    try:
        yield snapshot.printed
    finally:
        with django_db_blocker.unblock():
            _replace_the_database_with(snapshot.empty)
