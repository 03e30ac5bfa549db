"""Asking for a refresh: who may, whether the experiment can take data, and the queued task."""

import uuid

from django.db import transaction

from analytics.ingest.observations import status_refusal
from experiments.models import Experiment
from growthops.errors import TransitionNotAllowed, ValidationFailed
from roles.capabilities import require

from .models import ExperimentSource, RefreshRun
from .tasks import experiment_refresh


def refresh_request(*, actor, experiment_id: int) -> RefreshRun:
    """Queue a refresh of the experiment (sent on commit); returns its run, whose ``task_id``
    is followed at ``/api/v1/tasks/{id}/``."""
    experiment = Experiment.objects.get(pk=experiment_id)
    require(actor, "warehouse.refresh", experiment)
    if not ExperimentSource.objects.filter(experiment=experiment).exists():
        raise ValidationFailed(
            {"source": "Name the experiment's exposure source in a warehouse first."}
        )
    if reason := status_refusal(experiment):
        raise TransitionNotAllowed(reason)
    with transaction.atomic():
        run = RefreshRun.objects.create(
            experiment=experiment, requested_by=actor, task_id=str(uuid.uuid4())
        )
        transaction.on_commit(
            lambda: experiment_refresh.apply_async((experiment.pk, run.pk), task_id=run.task_id)
        )
    return run
