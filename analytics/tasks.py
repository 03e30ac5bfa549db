"""Celery tasks: thin interfaces to the analytics services. Arguments are ids only."""

from celery import shared_task


@shared_task(bind=True, name="analytics.tasks.events_rollup")
def events_rollup(self):
    """Turn new raw events into daily observations (incremental, idempotent)."""
    from .events import events_rollup_run

    return events_rollup_run(progress=_progress_reporter(self))


@shared_task(bind=True, name="analytics.tasks.portfolio_rollup")
def portfolio_rollup(self):
    """Nightly programme numbers per objective, segment, channel, team and operator."""
    from .portfolio import portfolio_rollup_run

    return portfolio_rollup_run(progress=_progress_reporter(self))


def _progress_reporter(task):
    """A callback ``progress(done, total)`` that publishes percent in the task's meta."""

    def progress(done: int, total: int) -> None:
        if task.request.id is None or task.request.called_directly:
            return
        percent = round(100 * done / total, 1) if total else 100.0
        task.update_state(state="PROGRESS", meta={"done": done, "total": total, "percent": percent})

    return progress


def _transient_errors():
    """Database hiccups worth a retry; a redelivered or retried analysis rewrites the same look."""
    from django.db import InterfaceError, OperationalError

    return (OperationalError, InterfaceError)


RETRY_ON_TRANSIENT_ERRORS = {
    "autoretry_for": _transient_errors(),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(
    bind=True,
    name="analytics.tasks.experiment_analyse",
    **RETRY_ON_TRANSIENT_ERRORS,
)
def experiment_analyse(self, experiment_id: int):
    """Analyse one experiment: results per metric × variant for its current data version."""
    from .analysis import experiments_analyse

    return experiments_analyse([experiment_id])


@shared_task(
    bind=True,
    name="analytics.tasks.experiments_analyse_batch",
    **RETRY_ON_TRANSIENT_ERRORS,
)
def experiments_analyse_batch(self, experiment_ids: list[int]):
    """Analyse many experiments whose data changed together (an events roll-up), vectorised."""
    from .analysis import experiments_analyse

    return experiments_analyse(experiment_ids, progress=_progress_reporter(self))


@shared_task(bind=True, name="analytics.tasks.experiments_analyse_sweep")
def experiments_analyse_sweep(self):
    """Beat: re-analyse stale and running experiments in vectorised chunks; raise overdue alerts."""
    from .alerts import raise_overdue_alerts
    from .analysis import experiments_analyse, experiments_to_sweep

    counts = experiments_analyse(experiments_to_sweep(), progress=_progress_reporter(self))
    counts["overdue_alerts"] = raise_overdue_alerts()
    return counts
