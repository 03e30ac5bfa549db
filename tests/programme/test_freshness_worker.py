"""With a real Celery worker on Redis and PostgreSQL, a decision reaches the ledger within
seconds (docs/portfolio.md, "Freshness"; run by CI, skipped without the services)."""

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import Result
from experiments import lifecycle
from programme import freshness
from programme.models import PortfolioRollup
from programme.portfolio.selectors import objective_ledger
from tests.analytics.test_worker import queue, start_worker, stop, wait_for  # noqa: F401
from tests.programme.test_freshness import EXPECTED_REALISED, completed_winner

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_scaled_winner_reaches_the_ledger_within_five_seconds(queue, cmo, operator, analyst):  # noqa: F811
    cache.delete(freshness.QUEUED_KEY)
    worker = start_worker(queue)
    try:
        objective, experiment = completed_winner(operator, analyst)
        wait_for(lambda: Result.objects.filter(experiment=experiment).exists(), what="results")
        # The worker is up and has rolled the programme up once: the figures before the step.
        assert freshness.queue_programme_refresh()
        rows = PortfolioRollup.objects.filter(dimension="objective", key=str(objective.pk))
        wait_for(rows.exists, what="the first roll-up")
        assert objective_ledger(objective)["realised_impact"] == 0
        before = objective_ledger(objective)["as_of"]

        step_taken = timezone.now()
        started = time.monotonic()
        lifecycle.experiment_conclude(
            experiment_id=experiment.pk,
            actor=cmo,
            decision="scale",
            outcome="won",
            learnings="Logos build trust.",
            override_reason="Scaling on the interviews as well as the data.",
        )
        wait_for(
            lambda: objective_ledger(objective)["realised_impact"] == EXPECTED_REALISED,
            timeout=5,
            what="the ledger to move",
        )
        elapsed = time.monotonic() - started
    finally:
        log = stop(worker)
    ledger = objective_ledger(objective)
    assert ledger["scaled"] == 1
    assert ledger["as_of"] > step_taken > before
    assert ledger["as_of"] - step_taken < dt.timedelta(seconds=5)
    assert elapsed < 5
    assert "programme_refresh" in log
