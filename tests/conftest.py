import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import hypothesis
import pytest
from django.db import connection, transaction

from roles.models import Role

from .factories import UserFactory

# Hypothesis times each example and its generation; with both cores busy (xdist workers,
# Chromium, a Celery worker) a draw can wait a second for the CPU, which says nothing about
# the code. The properties themselves are checked as written.
hypothesis.settings.register_profile(
    "suite", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("suite")

# In CI the services are there: a test that needs one must run, not skip.
REQUIRE_SERVICES = os.environ.get("GROWTHOPS_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_broker = bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            _skip_or_fail(item, "needs PostgreSQL (set DATABASE_URL)")
        if "broker" in item.keywords and not (has_broker and on_postgres):
            _skip_or_fail(item, "needs Redis and PostgreSQL (set REDIS_URL and DATABASE_URL)")
        if "browser" in item.keywords and CHROMIUM is None:
            _skip_or_fail(item, "needs Debian's chromium-headless-shell (or chromium) in /usr/bin")


DEMO_FIXTURES = {"demo_snapshot", "large_demo_snapshot", "demo_for_class", "demo_for_test"}


class DemoReadersLast:
    """Puts the tests that read the demo last, before pytest-django orders the tests by kind
    (its sort is stable, so they stay last within their kind): by then the demo is saved
    (tests/demo_seeder.py). Registered in ``pytest_configure``, after pytest-django, so that
    of the two first-called hooks this one runs first."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: bool(DEMO_FIXTURES & set(item.fixturenames)))


# Where browser tests save their screenshots, when asked: ``make screenshots`` names
# ``screenshots/`` (ignored by git). Unset, none are taken (tests/browser.py says why).
SCREENSHOTS = (
    Path(os.environ["GROWTHOPS_SCREENSHOTS"]) if os.environ.get("GROWTHOPS_SCREENSHOTS") else None
)


def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS is not None and SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.jpg")):
        terminalreporter.write_line(f"Browser screenshots: {SCREENSHOTS}")


def _skip_or_fail(item, reason):
    # With GROWTHOPS_REQUIRE_SERVICES=1 (CI) the test runs anyway and fails loudly.
    if not REQUIRE_SERVICES:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's hook "just before the databases are configured": on SQLite's in-memory
    test database, a saved migrated copy replaces ``migrate`` (tests/migrated_schema.py)."""
    from django.db import connection

    from .migrated_schema import applies_to, create_test_db_from_saved_copy

    if applies_to(connection):
        connection.creation.create_test_db = create_test_db_from_saved_copy(connection)


def built_once(django_db_blocker, build):
    """Rows that the tests of a module or class share, built once instead of once per test.

    Use as ``yield from built_once(django_db_blocker, build)`` in a module- or class-scoped
    fixture that asks for ``django_db_setup``, with a function-scoped fixture beside it that
    hands each test ``copy.deepcopy`` of what was built (so no test sees another's changes to
    the objects in memory). ``build()`` runs inside a transaction left open around those tests:
    each test's own transaction is a savepoint within it and rolls back what the test wrote, as
    always, and the whole is rolled back after the last test. Only for plain ``django_db``
    tests: a ``transaction=True`` test commits and flushes."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# The signed-in people most tests use, by username.
PEOPLE = {
    "cmo": {"role": Role.CMO, "first_name": "Carla"},
    "operator": {"role": Role.OPERATOR, "first_name": "Omar"},
    "operator2": {"role": Role.OPERATOR, "first_name": "Priya"},
    "marketer": {"role": Role.MARKETER},
    "analyst": {"role": Role.ANALYST},
}


def person(username):
    return UserFactory(username=username, **PEOPLE[username])


@pytest.fixture
def cmo(db):
    return person("cmo")


@pytest.fixture
def operator(db):
    return person("operator")


@pytest.fixture
def operator2(db):
    return person("operator2")


@pytest.fixture
def marketer(db):
    return person("marketer")


@pytest.fixture
def analyst(db):
    return person("analyst")


@pytest.fixture
def outsider(db):
    """A deactivated account: it exists, but may do nothing."""
    return UserFactory(username="outsider", role=Role.CMO, is_active=False)


@pytest.fixture
def superuser_cmo(cmo):
    """The CMO as a superuser, for the admin site."""
    cmo.is_staff = cmo.is_superuser = True
    cmo.save()
    return cmo


@pytest.fixture
def cast(cmo, operator, operator2, marketer, analyst):
    return {
        "cmo": cmo,
        "operator": operator,
        "operator2": operator2,
        "marketer": marketer,
        "analyst": analyst,
    }


def client_for(user):
    """An API client signed in as ``user`` (``None``: anonymous)."""
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api(analyst):
    """The API as the analyst."""
    return client_for(analyst)


@pytest.fixture
def anonymous_api():
    """The API as nobody: a client that has not signed in (``force_authenticate`` signs it in)."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def tasks_run_in_process(request):
    """Queued tasks run in-process in every test but those that bring a real worker."""
    from growthops.celery import app

    if "broker" in request.keywords:
        yield
        return
    previous = (
        app.conf.task_always_eager,
        app.conf.task_eager_propagates,
        app.conf.task_store_eager_result,
    )
    app.conf.task_always_eager = app.conf.task_eager_propagates = (
        app.conf.task_store_eager_result
    ) = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates, app.conf.task_store_eager_result = (
        previous
    )


# Debian's Chromium (Playwright cannot fetch its own browser here): its headless shell, the
# build Playwright itself runs for headless tests, where installed: the same Blink for about a
# third less CPU than the full browser in headless mode (docs/testing.md). The full browser
# serves a machine without it.
CHROMIUM = next(
    (
        path
        for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
        if os.path.exists(path)
    ),
    None,
)
# Started as this machine allows.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium, started once per test process, at its first browser test: starting
    Playwright's driver and a browser for each module cost about 2 s of CPU each time. The
    browser tests run last (pytest-django puts ``transaction=True`` tests after the others), and
    from the first of them Playwright's sync API keeps an event loop open in this thread, so the
    ORM calls of the tests that follow are allowed to run beside it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()


@pytest.fixture
def browser(chromium):
    """Headless chromium for one browser test. Each page it opens has a browser context of its
    own (no cookies or storage shared), and every one is closed when the test ends, once the
    live server has answered the requests its pages still had open (a request still running
    when the test's data is flushed away finds its tables locked)."""
    yield chromium
    from .browser import answered

    for context in chromium.contexts:
        for page in context.pages:
            answered(page)
        context.close()


@pytest.fixture
def keep_the_test_connection():
    """The real WSGI handler closes "old" connections as each request starts and ends. Inside
    the test's transaction that closes the test's own connection (on PostgreSQL; SQLite's
    in-memory database ignores it), so, as Django's test client does, leave it open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker):
    """The demo organisation seeded once for this test process (see tests/demo_snapshots.py)."""
    from .demo_snapshots import take_snapshot

    return take_snapshot(django_db_blocker)


@pytest.fixture(scope="session")
def large_demo_snapshot(demo_snapshot, django_db_blocker):
    """The demo with the cockpit tests' benchmark experiments, seeded once for this process."""
    from .demo_snapshots import take_snapshot

    return take_snapshot(django_db_blocker, on=demo_snapshot)


@pytest.fixture(scope="class")
def demo_for_class(demo_snapshot, django_db_blocker):
    """The demo in the database for a module's or class's ``django_db`` tests (each test's
    writes roll back); gives what ``seed_demo`` printed."""
    from .demo_snapshots import demo_loaded

    with demo_loaded(demo_snapshot, django_db_blocker) as printed:
        yield printed


@pytest.fixture
def demo_for_test(demo_snapshot, django_db_blocker, transactional_db):
    """The demo in the database for one ``transaction=True`` test (a browser flow)."""
    from .demo_snapshots import demo_loaded

    with demo_loaded(demo_snapshot, django_db_blocker, committed=True) as printed:
        yield printed


def pytest_configure(config):
    """The suite makes millions of short-lived objects (ORM rows, requests, templates): a
    collection every 700 allocations, the default, costs about 6 % of its CPU. Collect less
    often, and never look again at what Django and the app loaded at start. Under ``-n``,
    the controlling process seeds the demo meanwhile (tests/demo_seeder.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    config.pluginmanager.register(DemoReadersLast(), "growthops-demo-readers-last")
    if not hasattr(config, "workerinput"):
        from .saved_demo import fix_the_hour_for_this_run

        fix_the_hour_for_this_run()  # before the workers and the seeder start: they inherit it
    if _controls_workers(config):
        _start_the_demo_seeder(config)


def pytest_sessionfinish(session):
    """pytest's last look for unraisable exceptions collects garbage five times over, and each
    collection traversed everything the run had loaded (about 1.5 s per process). Frozen, that is
    skipped; the per-test checks for unraisable exceptions ran already."""
    gc.freeze()


def pytest_unconfigure(config):
    seeder = config.stash.get(DEMO_SEEDER, None)
    if seeder is not None and seeder.poll() is None:
        seeder.terminate()  # the run ended first (-x, Ctrl-C): a half-seeded demo is not saved
        seeder.wait(timeout=30)


DEMO_SEEDER = pytest.StashKey[subprocess.Popen]()


def _controls_workers(config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))


def _start_the_demo_seeder(config) -> None:
    from django.db import connection

    from .migrated_schema import applies_to

    if not applies_to(connection):  # PostgreSQL seeds the demo where it is used
        return
    log = open(Path(tempfile.gettempdir()) / "growthops-test-demo-seeder.log", "w")  # noqa: SIM115
    config.stash[DEMO_SEEDER] = subprocess.Popen(
        [sys.executable, "-m", "tests.demo_seeder"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
