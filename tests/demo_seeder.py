"""Seed the saved demo (tests/saved_demo.py) in a process of its own, while the workers of an
``-n`` run collect the suite and run the tests that need no demo.

Seeding takes about 25 s of CPU. Left to the first worker that needs the demo, the other
worker waited for it, idle, as soon as it needed the demo too. ``tests/conftest.py`` starts
this module from the controlling process, which is otherwise idle, on SQLite's in-memory test
database only; the tests that read the demo run last in their group, and find it saved (or
wait on its lock for the rest). If this process fails, the first worker seeds as before.

    python -m tests.demo_seeder
"""

import contextlib
import os


class _Unblocked:
    """What pytest-django's ``django_db_blocker`` gives the snapshot code: here nothing is
    blocked."""

    unblock = staticmethod(contextlib.nullcontext)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.test_settings")
    import django

    django.setup()
    from django.db import connection

    from .demo_snapshots import take_snapshot
    from .migrated_schema import applies_to, create_test_db_from_saved_copy

    if not applies_to(connection):
        return
    create_test_db_from_saved_copy(connection)(verbosity=0, serialize=False)
    demo = take_snapshot(_Unblocked)
    take_snapshot(_Unblocked, on=demo)


if __name__ == "__main__":
    main()
