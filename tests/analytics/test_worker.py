"""A real Celery worker on the real Redis and PostgreSQL (run by CI; skipped without them)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from rest_framework.authtoken.models import Token

from analytics.models import AnalysisState, Observation, Result
from growthops.celery import app
from tests.analytics.helpers import binomial_rows, running_experiment

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(monkeypatch):
    """A queue of this test's own, so nothing left in Redis by another run interferes."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(app.conf, "task_default_queue", name)
    return name


def start_worker(queue: str, *extra: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        # Redeliver a dead worker's unacknowledged task within seconds (GOTCHAS: Celery redelivery).
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "growthops",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> str:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        out, _ = worker.communicate()
    return out.decode(errors="replace")


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def post_json(url: str, token: str, payload) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_observations_posted_over_http_come_back_as_results(live_server, queue, operator, analyst):
    experiment = running_experiment(operator)
    token = Token.objects.create(user=analyst).key
    worker = start_worker(queue)
    try:
        status, body = post_json(
            f"{live_server.url}/api/v1/experiments/{experiment.pk}/observations/",
            token,
            binomial_rows(),
        )
        assert status == 201, body
        wait_for(lambda: Result.objects.filter(experiment=experiment).count() == 2, what="results")
        wait_for(
            lambda: not AnalysisState.objects.get(experiment=experiment).stale, what="fresh state"
        )
    finally:
        log = stop(worker)
    b = Result.objects.get(experiment=experiment, variant__key="b")
    assert (b.look, b.users) == (1, 1000)
    assert b.diff == pytest.approx(0.02)
    assert "experiment_analyse" in log


def test_a_batch_with_one_bad_row_writes_nothing_and_queues_nothing(
    live_server, queue, operator, analyst
):
    experiment = running_experiment(operator)
    token = Token.objects.create(user=analyst).key
    rows = binomial_rows()
    rows[1]["conversions"] = 5000
    status, body = post_json(
        f"{live_server.url}/api/v1/experiments/{experiment.pk}/observations/", token, rows
    )
    assert status == 400
    [problem] = [error for error in body["errors"] if error.get("row") == 2]
    assert "more than the 1000 users" in problem["message"]
    assert not Observation.objects.exists() and not AnalysisState.objects.exists()
    with app.connection_for_write() as conn:
        assert conn.default_channel.client.llen(queue) == 0


def test_a_worker_killed_mid_analysis_has_the_task_redelivered_once(queue, operator, analyst):
    from analytics.ingest.observations import observations_ingest

    experiment = running_experiment(operator)
    observations_ingest(
        experiment_id=experiment.pk, actor=analyst, rows=binomial_rows()
    )  # queues the analysis
    # Hold the experiment's state row so the analysis blocks inside its transaction.
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM analytics_analysisstate WHERE experiment_id = %s FOR UPDATE",
            [experiment.pk],
        )

    first = start_worker(queue)
    try:
        # A worker's start-up while the other test process drives Chromium can take a minute.
        wait_for(lambda: _waiting_on_a_lock(), timeout=150, what="the worker to start the analysis")
        os.killpg(first.pid, signal.SIGKILL)  # dies in the middle of experiment_analyse
        first.wait(timeout=20)
    finally:
        blocker.rollback()
        blocker.close()
    assert not Result.objects.exists()

    second = start_worker(queue)
    try:
        wait_for(
            lambda: Result.objects.filter(experiment=experiment).count() == 2,
            timeout=90,
            what="redelivery",
        )
        time.sleep(3)  # a duplicate delivery, if any, would land now
    finally:
        log = stop(second)
    assert list(Result.objects.values_list("variant__key", "look").order_by("variant__key")) == [
        ("b", 1),
        ("control", 1),
    ]
    assert not AnalysisState.objects.get(experiment=experiment).stale
    assert "experiment_analyse" in log


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%analytics_analysisstate%"],
        )
        return cursor.fetchone()[0] > 0
