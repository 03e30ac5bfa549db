"""A database of a benchmark's own, so that a run never touches real data.

PostgreSQL when ``DATABASE_URL`` points at one (a database named after the bench, created
fresh and dropped at the end), otherwise SQLite in a temporary folder. ``DATABASE_URL`` is
rewritten to it before Django starts.
"""

import os
import tempfile
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit


def own_database(name: str) -> Callable[[], None]:
    """Point ``DATABASE_URL`` at a fresh database called ``name``; returns the clean-up."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")

        return cleanup
    folder = tempfile.TemporaryDirectory()
    os.environ["DATABASE_URL"] = f"sqlite:///{folder.name}/{name}.sqlite3"
    return folder.cleanup


def run_on_large_demo(name: str, doc: str, run: Callable, *, repeat: int) -> None:
    """The command line of a bench over ``seed_demo --large``: ``--repeat``, ``--experiments``;
    creates the bench's own database, loads the data, calls ``run(args)``, drops it."""
    import argparse

    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--experiments", type=int, default=5000)
    args = parser.parse_args()
    cleanup = own_database(name)
    try:
        print(large_demo(args.experiments))
        run(args)
    finally:
        cleanup()


def large_demo(experiments: int) -> str:
    """Start Django on the bench's own database and load the demo organisation plus
    ``experiments`` more (``seed_demo --large``); returns a line describing the data."""
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    # The demo's published password works only with DEBUG on; the timings are of the same
    # code either way (templates are cached by the loader in both modes here).
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo.bench import seed_large
    from demo.seed import seed_demo
    from experiments.models import Experiment, Hypothesis

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_demo(out=lambda *a: None)
    seed_large(count=experiments, out=lambda *a: None)
    return (
        f"Data: {Experiment.objects.count():,} experiments, {Hypothesis.objects.count():,} "
        f"hypotheses on {connection.vendor}; loaded in {time.perf_counter() - started:.1f} s"
    )
