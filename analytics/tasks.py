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
