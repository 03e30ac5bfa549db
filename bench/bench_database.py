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
