"""The demo's post-mortems: every conclude and kill of its story opened one (through the
lifecycle); here the older ones are written as their owners would have, with actions, through
``postmortem_update``. The latest stay drafts, one of them overdue."""

import datetime as dt
import random

from django.utils import timezone

from experiments.models import Experiment, KillReason, Outcome
from experiments.selectors import is_partner
from programme.models import Notice, Postmortem
from programme.postmortems import (
    postmortem_refresh_results,
    postmortem_update,
    postmortems_overdue_notify,
)

from .organisation import Organisation

# Why each kind of ending came about, and what went wrong in the process: (cause, fault sets).
KILL_STORIES = {
    KillReason.BROKEN_SETUP: ("measurement", [["data"], ["data", "execution"], ["execution"]]),
    KillReason.HARMFUL: ("idea_wrong", [["design"], ["design", "execution"]]),
    KillReason.NO_TRAFFIC: ("effect_too_small", [["design"], ["timing"], ["data"]]),
    KillReason.STRATEGY_CHANGE: ("priorities", [["timing"], ["none"]]),
    KillReason.DUPLICATE: ("priorities", [["design"], ["timing"]]),
    KillReason.OTHER: ("other", [["timing"], ["data"]]),
}
OUTCOME_STORIES = {
    Outcome.WON: ("idea_held", [["none"], ["none"], ["timing"]]),
    Outcome.LOST: ("idea_wrong", [["none"], ["design"]]),
    Outcome.INCONCLUSIVE: ("effect_too_small", [["design"], ["data"], ["none"]]),
}
ACTIONS = {
    "design": "Size the next test on the segment's real traffic before approval",
    "data": "Check the tracking plan against staging before launch",
    "execution": "Add a launch checklist to the template",
    "timing": "Keep tests clear of campaign and holiday weeks",
    "partner": "Agree tracking and launch dates with the agency up front",
    "none": "Share the result with the segment team",
}
# Decided this recently: still being written (the oldest of them is past its due date).
WRITING_DAYS = 14


def seed_postmortems(org: Organisation, rng: random.Random, *, now: dt.datetime) -> dict:
    """Write the post-mortems of experiments decided more than ``WRITING_DAYS`` ago, read the
    results the others opened without, and send the overdue notices the daily task would."""
    written = drafts = 0
    postmortems = Postmortem.objects.select_related("experiment__owner").order_by("opened_at")
    for postmortem in postmortems:
        experiment = postmortem.experiment
        postmortem_refresh_results(experiment_id=experiment.pk)
        if (now - postmortem.opened_at).days <= WRITING_DAYS:
            drafts += 1
            continue
        _write(org, experiment, postmortem, rng)
        written += 1
    # What happened more than two weeks ago has been read by now.
    Notice.objects.filter(created_at__lt=now - dt.timedelta(days=14)).update(read_at=now)
    overdue = postmortems_overdue_notify(today=timezone.localdate(now))
    return {"written": written, "drafts": drafts, "overdue": overdue}


def _write(org: Organisation, experiment: Experiment, postmortem: Postmortem, rng) -> None:
    if experiment.status == "killed":
        cause, fault_sets = KILL_STORIES[experiment.kill_reason]
    else:
        cause, fault_sets = OUTCOME_STORIES[experiment.outcome]
    faults = list(rng.choice(fault_sets))
    if experiment.executed_by == Experiment.ExecutedBy.AGENCY and "none" not in faults:
        faults.append("partner")
    opened = timezone.localdate(postmortem.opened_at)
    owners = [experiment.owner, org.users["operator"], org.users["operator2"], org.cmo]
    actions = []
    for i, fault in enumerate(faults[:2]):
        due = opened + dt.timedelta(days=14 + 14 * i)
        actions.append(
            {
                "text": ACTIONS[fault],
                "owner": owners[(experiment.pk + i) % len(owners)],
                "due_date": due,
                # Most are done; one in seven is still open, late by now.
                "done": (experiment.pk + i) % 7 != 0,
            }
        )
    postmortem_update(
        experiment_id=experiment.pk,
        # An agency's test is written up by the CMO (a partner's people write none).
        actor=org.cmo if is_partner(user=experiment.owner) else experiment.owner,
        cause=cause,
        why=_why(experiment, cause),
        faults=faults,
        actions=actions,
        status="complete",
    )
    finished = postmortem.opened_at + dt.timedelta(days=rng.randint(2, 6))
    Postmortem.objects.filter(pk=postmortem.pk).update(completed_at=finished)
    postmortem.actions.filter(done_at__isnull=False).update(done_at=finished)
    Notice.objects.filter(kind=Notice.Kind.POSTMORTEM_COMPLETED, experiment=experiment).update(
        created_at=finished
    )


def _why(experiment: Experiment, cause: str) -> str:
    if experiment.status == "killed":
        return f"Stopped early: {experiment.kill_note}"
    return experiment.learnings or "As the results show."
