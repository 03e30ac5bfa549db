"""Celery tasks of the webhooks app: the beat dispatch and one delivery. Arguments are ids only.

Services queue deliveries with :func:`deliveries_queue`; this module imports no service, so
services and tasks never import each other.
"""

from functools import partial

from celery import shared_task
from django.db import transaction

from . import outbox
from .delivery import attempt


def deliveries_dispatch() -> dict:
    """Make the deliveries of new events (and of stuck ones) and queue them; returns counts."""
    ids = outbox.collect()
    deliveries_queue(ids)
    return {"queued": len(ids)}


def deliveries_queue(delivery_ids: list[int]) -> None:
    """Queue one delivery task per id once the current transaction commits."""
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(webhooks_deliver.delay, delivery_id))


@shared_task(name="webhooks.tasks.webhooks_dispatch")
def webhooks_dispatch():
    """Beat: new lifecycle steps, alerts and significant results → deliveries, queued."""
    return deliveries_dispatch()


@shared_task(
    bind=True,
    name="webhooks.tasks.webhooks_deliver",
    max_retries=None,
    # One try waits at most 10 s per connect / read; far less than the analysis tasks.
    soft_time_limit=60,
    time_limit=90,
)
def webhooks_deliver(self, delivery_id: int):
    """POST one delivery; on failure try again with exponential backoff (6 tries, then failed).

    The delivery row counts the tries and holds the schedule (``delivery.MAX_ATTEMPTS``), so
    Celery's own retry limit is off. A copy of this task that finds the delivery done or held
    by another try does nothing.
    """
    outcome = attempt(delivery_id)
    if self.request.is_eager:
        # In-process (no broker) a raised Retry would surface as the caller's error: try again
        # now instead. A try not yet due is skipped (None) and the dispatch's sweep of stuck
        # deliveries sends it later; the tests make every retry due at once.
        while outcome is not None and outcome.retry_in is not None:
            outcome = attempt(delivery_id)
    if outcome is None:
        return {"delivery": delivery_id, "status": "skipped"}
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return {"delivery": delivery_id, "status": outcome.status}
