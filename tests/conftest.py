import os
from pathlib import Path

import pytest
from django.db import connection

from roles.models import Role

from .factories import UserFactory

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
        if "browser" in item.keywords and not os.path.exists("/usr/bin/chromium"):
            _skip_or_fail(item, "needs Debian's chromium at /usr/bin/chromium")


SCREENSHOTS = Path(
    os.environ.get("GROWTHOPS_SCREENSHOTS")
    or Path(__file__).resolve().parent.parent / "screenshots"
)


def screenshot_dir() -> Path:
    """Where browser tests save their screenshots (``screenshots/`` is ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"Browser screenshots: {SCREENSHOTS}")


def _skip_or_fail(item, reason):
    # With GROWTHOPS_REQUIRE_SERVICES=1 (CI) the test runs anyway and fails loudly.
    if not REQUIRE_SERVICES:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def cmo(db):
    return UserFactory(username="cmo", role=Role.CMO, first_name="Carla")


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role=Role.OPERATOR, first_name="Omar")


@pytest.fixture
def operator2(db):
    return UserFactory(username="operator2", role=Role.OPERATOR, first_name="Priya")


@pytest.fixture
def marketer(db):
    return UserFactory(username="marketer", role=Role.MARKETER)


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role=Role.ANALYST)


@pytest.fixture
def outsider(db):
    """A deactivated account: it exists, but may do nothing."""
    return UserFactory(username="outsider", role=Role.CMO, is_active=False)


@pytest.fixture
def cast(cmo, operator, operator2, marketer, analyst):
    return {
        "cmo": cmo,
        "operator": operator,
        "operator2": operator2,
        "marketer": marketer,
        "analyst": analyst,
    }


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


# Debian's chromium, started as this machine allows (Playwright cannot fetch its own browser).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    """Headless chromium for one browser test."""
    # Playwright's sync API runs an event loop; the ORM calls in the test stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()
