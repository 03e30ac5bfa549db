"""How the demo moves experiments: through the lifecycle services, then back in time.

Every demo experiment reaches its status by the steps a user would take, each taken by
whoever the capability table lets take it, so its audit trail is the one the lifecycle
writes. The services date every row they write today; a programme with months of history
needs those rows earlier, and :func:`backdate` and :func:`backdate_idea` are the only code
that moves them. Neither touches a status.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils import timezone

from experiments import lifecycle
from experiments.models import LIVE, Experiment, ExperimentStatus, Hypothesis, StatusChange
from programme.models import Notice, Postmortem
from programme.postmortems import DAYS_TO_WRITE
from roles.capabilities import STEP_ABILITIES, can


def steps_to(status: str, *, start: str = ExperimentStatus.DRAFT) -> list[str]:
    """The shortest run of steps from ``start`` to ``status``, read from the transition
    table (``experiments.lifecycle.STEPS``)."""
    paths: dict[str, list[str]] = {start: []}
    frontier = [start]
    while frontier and status not in paths:
        reached = []
        for source in frontier:
            for name, step in lifecycle.STEPS.items():
                if source in step.sources and step.target not in paths:
                    paths[step.target] = [*paths[source], name]
                    reached.append(step.target)
        frontier = reached
    if status not in paths:
        raise ValueError(f"No run of lifecycle steps leads from {start} to {status}.")
    return paths[status]


def walk(
    experiment: Experiment,
    steps: Sequence[str],
    *,
    owner,
    cmo,
    inputs: Mapping[str, Mapping] | None = None,
) -> Experiment:
    """Take ``steps`` in turn through the lifecycle services: each by the owner if the
    capability table lets them, else by the CMO, with that step's ``inputs``."""
    inputs = inputs or {}
    for step in steps:
        actor = owner if can(owner, STEP_ABILITIES[step], experiment) else cmo
        given = dict(inputs.get(step, {}))
        if step in GUARDED_STEPS:
            # The data is in before these calls; where the story calls against the plan or the
            # verdict all the same, the call is on record as an override, saying so.
            given.setdefault("override_reason", DEMO_OVERRIDE_REASON)
        experiment = lifecycle.STEP_SERVICES[step](
            experiment_id=experiment.pk, actor=actor, **given
        )
    return experiment


# The steps that go against a plan or a verdict only with a reason (docs/decisions.md).
GUARDED_STEPS = frozenset(name for name, t in lifecycle.STEPS.items() if t.guard is not None)
DEMO_OVERRIDE_REASON = "Demo history: called where the story stops, on the data it had then."


def backdate(experiment_id: int, *, drafted: dt.datetime, taken: Sequence[dt.datetime]) -> None:
    """Move an experiment's life into the past, as if it had been lived then.

    The experiment was drafted at ``drafted``; its k-th status change (in the order the
    lifecycle wrote them) was taken at ``taken[k]``. The dates the steps set from the day
    they ran follow their change: the start date is the day it went live, the end date the
    day it stopped being live (completed or killed). Only dates the services set are moved.
    """
    changes = list(
        StatusChange.objects.filter(experiment_id=experiment_id)
        .order_by("id")
        .values_list("id", "from_status", "to_status", "created_at")
    )
    if len(taken) != len(changes):
        raise ValueError(f"{len(changes)} status changes to date, {len(taken)} times given.")
    if list(taken) != sorted(taken) or (taken and taken[0] < drafted):
        raise ValueError("Steps are taken in order, after the experiment was drafted.")
    went_live = stopped = None
    for (change_id, from_status, to_status, created_at), when in zip(changes, taken, strict=True):
        if created_at != when:  # dated already by an earlier call
            StatusChange.objects.filter(pk=change_id).update(created_at=when)
        _backdate_follow_ups(experiment_id, to_status, when)
        if to_status in LIVE and from_status not in LIVE and went_live is None:
            went_live = timezone.localdate(when)
        elif from_status in LIVE and to_status not in LIVE:
            stopped = timezone.localdate(when)
    experiment = Experiment.objects.filter(pk=experiment_id)
    experiment.update(created_at=drafted)
    # Only dates a step set are moved (a design killed before it started has no end date).
    if went_live is not None:
        experiment.filter(start_date__isnull=False).update(start_date=went_live)
    if stopped is not None:
        experiment.filter(end_date__isnull=False).update(end_date=stopped)


# What the programme wrote at a step (the post-mortem a decision opened, the notices each step
# sent) is dated with it; keyed by the status the step led to.
NOTICES_AT = {
    ExperimentStatus.APPROVED: [Notice.Kind.APPROVAL],
    ExperimentStatus.RUNNING: [Notice.Kind.START],
    ExperimentStatus.CONCLUDED: [Notice.Kind.DECISION, Notice.Kind.POSTMORTEM_OPENED],
    ExperimentStatus.KILLED: [Notice.Kind.DECISION, Notice.Kind.POSTMORTEM_OPENED],
}


def _backdate_follow_ups(experiment_id: int, to_status: str, when: dt.datetime) -> None:
    if to_status in (ExperimentStatus.CONCLUDED, ExperimentStatus.KILLED):
        Postmortem.objects.filter(experiment_id=experiment_id).update(
            opened_at=when,
            due_date=timezone.localdate(when) + dt.timedelta(days=DAYS_TO_WRITE),
        )
    kinds = NOTICES_AT.get(to_status)
    if kinds:
        Notice.objects.filter(experiment_id=experiment_id, kind__in=kinds).update(created_at=when)


def backdate_idea(hypothesis_id: int, *, logged: dt.datetime, triaged: dt.datetime | None = None):
    """Move a hypothesis's times into the past: logged, and triaged if it was."""
    if triaged is not None and triaged < logged:
        raise ValueError("An idea is triaged after it was logged.")
    times = {"created_at": logged}
    if triaged is not None:
        times["triaged_at"] = triaged
        Notice.objects.filter(hypothesis_id=hypothesis_id, kind=Notice.Kind.TRIAGE).update(
            created_at=triaged
        )
    Hypothesis.objects.filter(pk=hypothesis_id).update(**times)
