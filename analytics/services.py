"""Small writes of the analytics app that belong to no pipeline."""

from django.db import transaction
from django.utils import timezone

from experiments.models import Experiment
from growthops.errors import TransitionNotAllowed
from roles.capabilities import require

from .analysis.freshness import analysis_on_commit
from .models import AnalysisState
from .selectors import unread_notifications


def notifications_mark_read(*, actor) -> int:
    """Mark every unread notification of ``actor``, who asks for their own, read; returns how
    many changed."""
    return unread_notifications(user=actor).update(read_at=timezone.now())


def analysis_request(*, experiment_id: int, actor) -> str:
    """Queue an analysis of the experiment's stored data now (as an upload does); returns the
    task's id. Who may upload data may ask for it; an experiment with no data yet is refused.
    The experiment is marked stale first, so the beat sweep analyses it if the broker is down."""
    experiment = Experiment.objects.get(pk=experiment_id)
    require(actor, "data.upload", experiment)
    with transaction.atomic():
        updated = AnalysisState.objects.filter(
            experiment_id=experiment.pk, data_version__gt=0
        ).update(stale=True)
        if not updated:
            raise TransitionNotAllowed(
                "This experiment has no data yet: upload observations or send events first."
            )
        (task_id,) = analysis_on_commit([experiment.pk])
    return task_id
