"""The seeded demo saved once and shared by the test processes of a run (SQLite only).

Seeding the demo costs about 10 s of CPU, and under ``-n auto`` every worker did it. As with
the migrated database (tests/migrated_schema.py), the first process that needs the demo seeds
it, then saves the database and the demo warehouse's DuckDB file to the temporary directory;
the others, and later runs, copy them in. A file lock makes a second process wait for the
first instead of seeding beside it.

The name of the saved copy is a hash of what the seeding reads: the migrated database's name
(the migrations, Django, SQLite), every file of the app and demo code, the pinned
dependencies, and the hour the run started (the demo is dated from today, and its times from
now). A change to any of them seeds anew.

The demo's data source names its warehouse file by path, and each test process has a
warehouse folder of its own (``WAREHOUSE_DEMO_PATH`` in the test settings). A process that
loads a copy seeded elsewhere puts the saved DuckDB file in its own folder and points the
source there; nothing else in the demo names the folder (the saved database is checked for it).
"""

import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .migrated_schema import _locked, saved_copy_path

ROOT = Path(__file__).resolve().parent.parent
# What seeding the demo reads besides the migrations: the code of every app and the demo.
SOURCES = ("analytics", "demo", "experiments", "growthops", "programme", "roles", "warehouse",
           "webhooks")  # fmt: skip


# The hour a run's processes name their saved demo by, set once by the process that starts the
# run: a worker that first needed the demo after the hour turned found no copy of the seeder's
# and seeded another.
RUN_HOUR = "GROWTHOPS_TEST_DEMO_HOUR"


def fix_the_hour_for_this_run() -> None:
    os.environ.setdefault(RUN_HOUR, _this_hour())


def _this_hour() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H")


def _digest(large: bool) -> str:
    digest = hashlib.sha256(f"{saved_copy_path().name} {large}".encode())
    digest.update(os.environ.get(RUN_HOUR, _this_hour()).encode())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(ROOT)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


class SavedDemo:
    """The saved copy for the plain demo or, with ``large``, the cockpit tests' larger one."""

    def __init__(self, *, large: bool):
        self.folder = Path(tempfile.gettempdir()) / f"growthops-test-demo-{_digest(large)}"
        self.database = self.folder / "demo.sqlite3"
        self.printed = self.folder / "printed.txt"
        self.warehouse = self.folder / "warehouse.duckdb"
        self.seeded_in = self.folder / "seeded_in.txt"

    @contextmanager
    def locked(self):
        with _locked(self.folder.with_suffix(".sqlite3")):
            yield

    def exists(self) -> bool:
        return self.seeded_in.exists()  # written last

    def store(self, seeded: sqlite3.Connection, printed: str) -> None:
        partial = self.folder.with_name(f"{self.folder.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        target = sqlite3.connect(partial / self.database.name)
        try:
            seeded.backup(target)
        finally:
            target.close()
        (partial / self.printed.name).write_text(printed)
        warehouse = Path(settings.WAREHOUSE_DEMO_PATH)
        _only_the_source_names(seeded, str(warehouse.parent))
        if warehouse.exists():
            _checkpoint(warehouse)
            shutil.copyfile(warehouse, partial / self.warehouse.name)
        (partial / self.seeded_in.name).write_text(str(warehouse.parent))
        shutil.rmtree(self.folder, ignore_errors=True)
        partial.rename(self.folder)  # no process ever reads a half-written copy
        _forget_old_copies()

    def load(self) -> tuple[sqlite3.Connection, str]:
        """The saved database in memory, moved to this process's warehouse folder, and what
        seeding printed."""
        seeded = sqlite3.connect(":memory:", check_same_thread=False)
        source = sqlite3.connect(self.database)
        try:
            source.backup(seeded)
        finally:
            source.close()
        printed = self.printed.read_text()
        there = self.seeded_in.read_text()
        here = Path(settings.WAREHOUSE_DEMO_PATH)
        if self.warehouse.exists():
            here.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.warehouse, here)
            here.with_suffix(".path").write_text(f"{here}\n")
        if there != str(here.parent):
            seeded.execute(
                "UPDATE warehouse_datasource SET connection_ref = replace(connection_ref, ?, ?)",
                (there, str(here.parent)),
            )
            seeded.commit()
            printed = printed.replace(there, str(here.parent))
        return seeded, printed


def _forget_old_copies(days: int = 2) -> None:
    """Remove saved demos (a few megabytes each) that no run has made for ``days`` days."""
    now = time.time()
    for folder in Path(tempfile.gettempdir()).glob("growthops-test-demo-*"):
        if folder.is_dir() and now - folder.stat().st_mtime > days * 86_400:
            shutil.rmtree(folder, ignore_errors=True)


def _checkpoint(warehouse: Path) -> None:
    """Fold DuckDB's write-ahead log into the file, so that the file alone is the warehouse."""
    import duckdb

    db = duckdb.connect(str(warehouse))
    try:
        db.execute("CHECKPOINT")
    finally:
        db.close()


def _only_the_source_names(seeded: sqlite3.Connection, folder: str) -> None:
    """Refuse to save a demo that names the warehouse folder anywhere but in its data source's
    connection: a copy loaded elsewhere would point there."""
    tables = [
        row[0] for row in seeded.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    for table in tables:
        for column in [row[1] for row in seeded.execute(f'PRAGMA table_info("{table}")')]:
            if (table, column) == ("warehouse_datasource", "connection_ref"):
                continue
            found = seeded.execute(
                f'SELECT 1 FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) LIMIT 1',
                (folder,),
            ).fetchone()
            if found:
                raise AssertionError(f"the demo names its warehouse folder in {table}.{column}")
