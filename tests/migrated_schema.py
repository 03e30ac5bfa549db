"""The migrated test database on SQLite, built once per set of migrations instead of once per
test process.

Migrating an empty database costs about 6 s of CPU (most of it Django rendering the model
states of 70 migrations), and under ``-n auto`` every worker did it. Here the first process
that needs the database migrates it as always, then saves it to a file in the temporary
directory named by a hash of every installed app's migration files (and the versions of Django
and SQLite); the others, and later runs with the same migrations, copy that file into their
in-memory database with SQLite's online backup, which takes milliseconds. The copy is the
whole database: the schema, the ``django_migrations`` rows, what data migrations and
``post_migrate`` (content types, permissions) wrote. A file lock makes the other processes wait
for the first one instead of migrating beside it.

Only for the in-memory test database (SQLite without a test ``NAME``); PostgreSQL and a named
SQLite file migrate as before.
"""

import fcntl
import hashlib
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command


def applies_to(connection) -> bool:
    return connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.creation._get_test_db_name()
    )


def saved_copy_path() -> Path:
    digest = hashlib.sha256(
        f"{django.get_version()} {sqlite3.sqlite_version} {settings.INSTALLED_APPS}".encode()
    )
    for app in apps.get_app_configs():
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(f"{app.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    name = f"growthops-test-db-{digest.hexdigest()[:20]}.sqlite3"
    return Path(tempfile.gettempdir()) / name


@contextmanager
def _locked(path: Path):
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _save(connection, path: Path) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    target = sqlite3.connect(partial)
    try:
        connection.ensure_connection()
        connection.connection.backup(target)
    finally:
        target.close()
    os.replace(partial, path)  # no process ever opens a half-written copy


def _load(connection, path: Path) -> str:
    """What ``create_test_db`` does for an in-memory database, with the saved copy in place
    of ``migrate``."""
    name = connection.creation._get_test_db_name()
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    call_command("createcachetable", database=connection.alias)
    return name


def create_test_db_from_saved_copy(connection):
    """A replacement for ``connection.creation.create_test_db`` (same arguments)."""
    migrate = connection.creation.create_test_db

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        path = saved_copy_path()
        with _locked(path):
            if not path.exists():
                name = migrate(verbosity, autoclobber, serialize, keepdb)
                _save(connection, path)
                return name
        name = _load(connection, path)
        if serialize:
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
        return name

    return create_test_db
