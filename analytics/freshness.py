"""Keeping results in step with data: mark experiments stale and queue their analysis.

Every writer of observations (uploads, the API, the event roll-up) calls
:func:`observations_changed` inside its transaction. The analysis is queued only after
commit; if the broker is down the upload still succeeds, the experiment stays stale, and
the beat sweep analyses it once the broker is back.
"""

import logging

from django.db import transaction
from django.db.models import F

from .models import AnalysisState

log = logging.getLogger(__name__)


def observations_changed(experiment_ids) -> None:
    """Bump each experiment's data version, mark it stale, and queue analysis on commit."""
    ids = sorted(set(experiment_ids))
    if not ids:
        return
    existing = set(
        AnalysisState.objects.filter(experiment_id__in=ids).values_list("experiment_id", flat=True)
    )
    AnalysisState.objects.bulk_create(
        [AnalysisState(experiment_id=i) for i in ids if i not in existing], ignore_conflicts=True
    )
    AnalysisState.objects.filter(experiment_id__in=ids).update(
        data_version=F("data_version") + 1, stale=True
    )
    transaction.on_commit(lambda: queue_analysis(ids))


def queue_analysis(experiment_ids) -> list[str]:
    """Queue one analysis task per experiment; a broker failure is logged, not raised."""
    from .tasks import experiment_analyse

    task_ids = []
    for experiment_id in experiment_ids:
        try:
            task_ids.append(experiment_analyse.delay(experiment_id).id)
        except Exception:  # broker unreachable: the beat sweep picks the stale flag up later
            log.warning(
                "Could not queue analysis of experiment %s; it stays stale.",
                experiment_id,
                exc_info=True,
            )
    return task_ids
