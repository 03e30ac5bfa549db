"""Celery tasks of the analysis: thin interfaces to the pipeline. Arguments are ids only.

The task names stay ``analytics.tasks.*`` (beat's schedule and queued messages use them);
``analytics/tasks.py`` imports this module so that Celery's autodiscovery registers them.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from ..models import AnalysisState
from .alerts import raise_decision_overdue_alerts, raise_overdue_alerts
from .pipeline import experiments_analyse, experiments_to_sweep

# Database hiccups worth a retry; a redelivered or retried analysis rewrites the same look.
RETRY_ON_TRANSIENT_ERRORS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def progress_reporter(task):
    """A callback ``progress(done, total)`` that publishes percent in the task's meta."""

    def progress(done: int, total: int) -> None:
        if task.request.id is None or task.request.called_directly:
            return
        percent = round(100 * done / total, 1) if total else 100.0
        task.update_state(state="PROGRESS", meta={"done": done, "total": total, "percent": percent})

    return progress


@shared_task(bind=True, name="analytics.tasks.experiment_analyse", **RETRY_ON_TRANSIENT_ERRORS)
def experiment_analyse(self, experiment_id: int):
    """Analyse one experiment: results per metric × variant for its current data version
    (nothing to do if a batch or the sweep already analysed that version)."""
    return experiments_analyse(_still_stale([experiment_id]))


@shared_task(
    bind=True, name="analytics.tasks.experiments_analyse_batch", **RETRY_ON_TRANSIENT_ERRORS
)
def experiments_analyse_batch(self, experiment_ids: list[int]):
    """Analyse many experiments whose data changed together (an events roll-up), vectorised."""
    return experiments_analyse(_still_stale(experiment_ids), progress=progress_reporter(self))


def _still_stale(experiment_ids) -> list[int]:
    """Those whose data changed since their last analysis: a queued analysis that arrives
    after another pass read the same data has nothing left to do."""
    return list(
        AnalysisState.objects.filter(experiment_id__in=experiment_ids, stale=True).values_list(
            "experiment_id", flat=True
        )
    )


@shared_task(bind=True, name="analytics.tasks.experiments_analyse_sweep")
def experiments_analyse_sweep(self):
    """Beat: re-analyse stale and running experiments in vectorised chunks; raise overdue alerts
    (running past the plan, decisions past their deadline)."""
    counts = experiments_analyse(experiments_to_sweep(), progress=progress_reporter(self))
    counts["overdue_alerts"] = raise_overdue_alerts()
    counts["decision_overdue_alerts"] = raise_decision_overdue_alerts()
    return counts
