"""Celery tasks of the warehouse refresh: thin interfaces to ``refresh.py``. Arguments are ids.

A redelivered task (acks_late, GOTCHAS.md) runs its refresh again from nothing: the run row is
restarted and the observations are upserted by variant × metric × day, so a second delivery
rewrites the same rows.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from experiments.models import ExperimentStatus

from .models import ExperimentSource, RefreshRun
from .refresh import refresh_batch, refresh_experiment

RETRY_ON_TRANSIENT_ERRORS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 3,
}
BATCH = 200  # experiments per batched query (each key is a literal of the query's IN list)


@shared_task(bind=True, name="warehouse.tasks.experiment_refresh", **RETRY_ON_TRANSIENT_ERRORS)
def experiment_refresh(self, experiment_id: int, run_id: int):
    """Refresh one experiment from its warehouse (the API's and the page's Refresh; who may
    ask was checked when it was queued: ``requests.refresh_request``)."""
    if self.request.id and not self.request.called_directly:
        self.update_state(state="PROGRESS", meta={"done": 0, "total": 1, "percent": 10.0})
    run = refresh_experiment(experiment_id, actor=None, run_id=run_id)
    return {"run": run.pk, "status": run.status, "written": run.written, "error": run.error}


@shared_task(bind=True, name="warehouse.tasks.warehouse_refresh_running")
def warehouse_refresh_running(self):
    """Beat: refresh every running experiment that names an exposure source, in batches
    (one query per metric definition per batch)."""
    ids = list(
        ExperimentSource.objects.filter(experiment__status=ExperimentStatus.RUNNING)
        .order_by("experiment_id")
        .values_list("experiment_id", flat=True)
    )
    counts = {"experiments": len(ids), "succeeded": 0, "failed": 0}
    for start in range(0, len(ids), BATCH):
        for run in refresh_batch(ids[start : start + BATCH]):
            counts["succeeded" if run.status == RefreshRun.Status.SUCCEEDED else "failed"] += 1
        if self.request.id and not self.request.called_directly:
            done = min(start + BATCH, len(ids))
            meta = {"done": done, "total": len(ids), "percent": round(100 * done / len(ids), 1)}
            self.update_state(state="PROGRESS", meta=meta)
    return counts
