"""Keeping results in step with data: mark experiments stale and queue their analysis.

Every writer of observations (uploads, the API, the event roll-up) calls
:func:`observations_changed` inside its transaction. The analysis is queued only after
commit; if the broker is down the upload still succeeds, the experiment stays stale, and
the beat sweep analyses it once the broker is back.
"""

import logging
import uuid

from django.db import transaction
from django.db.models import F

from ..models import AnalysisState
from .pipeline import EXPERIMENTS_PER_PASS
from .tasks import experiment_analyse, experiments_analyse_batch

log = logging.getLogger(__name__)


def observations_changed(experiment_ids) -> list[str]:
    """Bump each experiment's data version, mark it stale, and queue analysis on commit.

    Returns the ids the analysis tasks will have (chosen now, queued on commit), so an upload
    can answer with the task to follow at ``/api/v1/tasks/{id}/``."""
    ids = sorted(set(experiment_ids))
    if not ids:
        return []
    existing = set(
        AnalysisState.objects.filter(experiment_id__in=ids).values_list("experiment_id", flat=True)
    )
    AnalysisState.objects.bulk_create(
        [AnalysisState(experiment_id=i) for i in ids if i not in existing], ignore_conflicts=True
    )
    AnalysisState.objects.filter(experiment_id__in=ids).update(
        data_version=F("data_version") + 1, stale=True
    )
    return analysis_on_commit(ids)


def analysis_on_commit(experiment_ids) -> list[str]:
    """Queue the analysis of ``experiment_ids`` once the transaction commits; returns the ids
    its tasks will have."""
    ids = sorted(set(experiment_ids))
    task_ids = [str(uuid.uuid4()) for _ in _batches(ids)]
    transaction.on_commit(lambda: queue_analysis(ids, task_ids=task_ids))
    return task_ids


BATCH_SIZE = EXPERIMENTS_PER_PASS  # experiments per batch task: one vectorised pass each


def _batches(ids: list[int]) -> list[tuple]:
    if len(ids) == 1:
        return [(experiment_analyse, ids[0])]
    return [
        (experiments_analyse_batch, ids[start : start + BATCH_SIZE])
        for start in range(0, len(ids), BATCH_SIZE)
    ]


def queue_analysis(experiment_ids, task_ids: list[str] | None = None) -> list[str]:
    """Queue the analysis of experiments whose data changed; returns the task ids.

    One experiment (an upload) gets its own ``experiment_analyse`` task; many at once (an
    events roll-up) go as ``experiments_analyse_batch`` tasks of up to ``BATCH_SIZE``, which
    the worker analyses in vectorised passes instead of one task per experiment. A broker
    failure is logged, not raised: the experiments stay stale for the beat sweep. ``task_ids``
    (one per batch) names the tasks, as :func:`analysis_on_commit` promised them.
    """
    batches = _batches(sorted(set(experiment_ids)))
    planned = task_ids or [None] * len(batches)
    queued = []
    for (task, argument), task_id in zip(batches, planned, strict=True):
        try:
            queued.append(task.apply_async((argument,), task_id=task_id).id)
        except Exception:  # broker unreachable: the beat sweep picks the stale flag up later
            log.warning("Could not queue analysis of %s; it stays stale.", argument, exc_info=True)
    return queued
