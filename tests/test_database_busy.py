"""A database busy with another writer answers 503 with Retry-After, never 500."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction
from rest_framework.test import APIClient

from experiments import lifecycle
from experiments.models import StatusChange
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory


def locked(**kwargs):
    raise OperationalError("database is locked")


@pytest.fixture
def in_review(operator):
    return put_in_status(ExperimentFactory(owner=operator), "in_review")


@pytest.mark.django_db
def test_it_answers_503_over_the_api(cmo, in_review, monkeypatch):
    monkeypatch.setitem(lifecycle.STEP_SERVICES, "approve", locked)
    client = APIClient()
    client.force_authenticate(cmo)

    response = client.post(
        f"/api/v1/experiments/{in_review.pk}/steps/approve/",
        {"expected_status": "in_review"},
        format="json",
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "busy with another change" in response.json()["detail"]
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_it_answers_503_to_a_page(client, cmo, in_review, monkeypatch):
    monkeypatch.setitem(lifecycle.STEP_SERVICES, "approve", locked)
    client.force_login(cmo)

    response = client.post(
        f"/experiments/{in_review.pk}/steps/approve/", {"expected_status": "in_review"}
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "busy with another change" in response.content.decode()


@pytest.mark.django_db
def test_other_database_errors_are_not_hidden(cmo, in_review, monkeypatch):
    def broken(**kwargs):
        raise OperationalError("no such table: experiments_experiment")

    monkeypatch.setitem(lifecycle.STEP_SERVICES, "approve", broken)
    client = APIClient(raise_request_exception=True)
    client.force_authenticate(cmo)
    with pytest.raises(OperationalError, match="no such table"):
        client.post(
            f"/api/v1/experiments/{in_review.pk}/steps/approve/",
            {"expected_status": "in_review"},
            format="json",
        )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own locking")
def test_concurrent_writers_on_sqlite_wait_for_each_other(tmp_path, django_db_blocker):
    """Read-then-write transactions on a file database, as the step services run them.

    With SQLite's default deferred transactions two readers that both go on to write deadlock,
    and SQLite fails one at once with "database is locked" whatever the timeout.
    """
    alias, writers = "concurrent_writers", 8
    connections.settings[alias] = {**connection.settings_dict, "NAME": str(tmp_path / "w.db")}
    barrier = threading.Barrier(writers)
    failures: list[str] = []

    def write():
        try:
            barrier.wait()
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT n FROM tally")
                (n,) = cursor.fetchone()
                time.sleep(0.01)  # the other writers read meanwhile
                cursor.execute("UPDATE tally SET n = %s", [n + 1])
        except OperationalError as exc:
            failures.append(str(exc))
        finally:
            connections[alias].close()

    try:
        with django_db_blocker.unblock():
            with connections[alias].cursor() as cursor:
                cursor.execute("CREATE TABLE tally (n integer)")
                cursor.execute("INSERT INTO tally VALUES (0)")
            threads = [threading.Thread(target=write) for _ in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT n FROM tally")
                total = cursor.fetchone()[0]
            connections[alias].close()
    finally:
        del connections.settings[alias]

    assert failures == []
    assert total == writers
