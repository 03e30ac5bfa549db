"""A real Celery worker on Redis and PostgreSQL delivers to the local receiver (CI runs it)."""

import json

import pytest

from experiments.lifecycle import experiment_approve
from tests.analytics.test_worker import queue, start_worker, stop, wait_for  # noqa: F401
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory
from webhooks.models import WebhookDelivery
from webhooks.tasks import webhooks_deliver, webhooks_dispatch

from .helpers import documented_verify, endpoint

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_worker_dispatches_and_delivers_once(queue, receiver, cmo, operator, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_HOSTS", "1")
    hook = endpoint(receiver, cmo)
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    experiment_approve(experiment_id=experiment.pk, actor=cmo)
    worker = start_worker(queue)
    try:
        webhooks_dispatch.delay()
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(), what="delivery"
        )
        delivery = WebhookDelivery.objects.get()
        # The broker hands the task out again: the delivered row is not sent twice.
        again = webhooks_deliver.delay(delivery.pk).get(timeout=30)
        assert again == {"delivery": delivery.pk, "status": "skipped"}
        assert webhooks_dispatch.delay().get(timeout=30) == {"queued": 0}
    finally:
        log = stop(worker)
    assert len(receiver.requests) == 1, log
    [request] = receiver.requests
    assert documented_verify()(hook.secret, request.headers, request.body)
    assert json.loads(request.body)["data"]["experiment"]["id"] == experiment.pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
