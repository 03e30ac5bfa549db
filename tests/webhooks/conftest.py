import pytest

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def allow_private(settings):
    """The receiver listens on 127.0.0.1, which the default rules refuse."""
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries come at once (tasks run in-process, so a retry runs inside the first call)."""
    monkeypatch.setattr("webhooks.delivery.retry_countdown", lambda attempts: 0)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(fn, ...)``: call fn and run what it queued on commit (the test's
    transaction never commits)."""

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call
