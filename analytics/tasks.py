"""Celery tasks of the analytics app: thin interfaces to its services. Arguments are ids only.

Celery's autodiscovery imports this module; the analysis tasks live beside the pipeline in
``analysis/tasks.py`` (the ingest services queue them) and are registered through the import
below.
"""

from celery import shared_task

from .analysis.tasks import (  # noqa: F401  (registered with Celery through this module)
    experiment_analyse,
    experiments_analyse_batch,
    experiments_analyse_sweep,
    progress_reporter,
)
from .ingest.rollup import events_rollup_run


@shared_task(bind=True, name="analytics.tasks.events_rollup")
def events_rollup(self):
    """Turn new raw events into daily observations (incremental, idempotent)."""
    return events_rollup_run(progress=progress_reporter(self))
