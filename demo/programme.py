"""This year's programme: fifteen experiments spread over every status, with their data."""

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from experiments.models import (
    AnalysisMethod,
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    KillReason,
    Metric,
    Objective,
    Outcome,
)
from experiments.services import experiment_create

from .data import (
    DRAWN_PER_USER,
    GUARDRAIL_KEY,
    Deliver,
    days_between,
    deliver_look_by_look,
    plan_test,
)
from .organisation import Organisation
from .walk import backdate, steps_to, walk

S = ExperimentStatus


class Plan(NamedTuple):
    """Where an experiment is walked to, the decision taken once its data is in, its owner."""

    reached: str
    decision: str | None
    owner: str


EXPERIMENT_PLAN = [
    Plan(S.DRAFT, None, "operator"),
    Plan(S.DRAFT, None, "operator2"),
    Plan(S.IN_REVIEW, None, "operator"),
    Plan(S.IN_REVIEW, None, "operator2"),
    Plan(S.APPROVED, None, "operator"),
    Plan(S.RUNNING, None, "operator"),
    Plan(S.RUNNING, None, "operator2"),
    Plan(S.RUNNING, None, "operator2"),
    Plan(S.PAUSED, None, "operator"),
    Plan(S.COMPLETED, None, "operator"),
    Plan(S.COMPLETED, None, "operator2"),
    Plan(S.COMPLETED, "conclude", "operator"),
    Plan(S.COMPLETED, "conclude", "operator2"),
    Plan(S.COMPLETED, "conclude", "operator"),
    # Killed while running: tracking broke.
    Plan(S.RUNNING, "kill", "operator2"),
]

# Relative effect of the treatment per started experiment, so the demo shows wins, losses and noise.
EFFECTS = [0.12, -0.04, 0.0, 0.08, 0.2, 0.03]
# The decision and outcome of each concluded experiment, by its index in the plan.
DECISIONS = [
    (Decision.SCALE, Outcome.WON),
    (Decision.ITERATE, Outcome.INCONCLUSIVE),
    (Decision.ABANDON, Outcome.LOST),
]


def seed_programme(
    org: Organisation, ideas: list[Hypothesis], rng, *, now: dt.datetime
) -> list[Experiment]:
    """Design an experiment for each of the first backlog ideas and walk it as far as its
    plan goes before a decision, weeks before ``now``."""
    experiments = []
    for index, plan in enumerate(EXPERIMENT_PLAN):
        owner = org.users[plan.owner]
        experiment = _design(org, owner, ideas[index], index, rng)
        # Completing waits for the data (run_programme): the operator completes on results.
        steps = [step for step in steps_to(plan.reached) if step != "complete"]
        walk(experiment, steps, owner=owner, cmo=org.cmo, inputs=_inputs(index))
        _backdate(experiment, index, now)
        experiments.append(experiment)
    return experiments


def run_programme(
    org: Organisation, experiments: list[Experiment], rng, *, now: dt.datetime, deliver: Deliver
) -> int:
    """Deliver the started experiments' data (demo/data.py), analyse it, then take the CMO's
    decisions. Returns the observations written."""
    today = timezone.localdate(now)
    started = [
        e
        for e in Experiment.objects.filter(pk__in=[e.pk for e in experiments])
        .select_related("primary_metric")
        .prefetch_related("variants", "secondary_metrics", "guardrail_metrics")
        .order_by("pk")
        if e.start_date is not None
    ]
    plan_index = {e.pk: index for index, e in enumerate(experiments)}

    def uploader(experiment, effect):
        return lambda days: plan_test(experiment, days, effect, rng)

    def last_day(experiment) -> dt.date:
        index = plan_index[experiment.pk]
        if EXPERIMENT_PLAN[index].reached == S.COMPLETED:  # the day its operator completes it
            return timezone.localdate(_step_times(index, now, steps=4)[-1])
        return min(experiment.end_date or today, today)

    written = deliver_look_by_look(
        [
            (
                experiment,
                days_between(experiment.start_date, last_day(experiment)),
                uploader(experiment, EFFECTS[index % len(EFFECTS)]),
            )
            for index, experiment in enumerate(started)
        ],
        deliver,
    )
    # Completing, then decisions, come after the results are in.
    for index, (plan, experiment) in enumerate(zip(EXPERIMENT_PLAN, experiments, strict=True)):
        if plan.reached == S.COMPLETED:
            owner = org.users[plan.owner]
            walk(experiment, ["complete"], owner=owner, cmo=org.cmo, inputs=_inputs(index))
            _backdate(experiment, index, now)
    for index, (plan, experiment) in enumerate(zip(EXPERIMENT_PLAN, experiments, strict=True)):
        if plan.decision:
            owner = org.users[plan.owner]
            walk(experiment, [plan.decision], owner=owner, cmo=org.cmo, inputs=_inputs(index))
            _backdate(experiment, index, now)
    return written


PARTNER_NAMES = ("Northwind Growth Partners", "Brightline Digital")


def _design(org, owner, hypothesis, index, rng) -> Experiment:
    binomial = hypothesis.metric.kind == Metric.Kind.BINOMIAL
    baseline = rng.choice([0.04, 0.06, 0.12, 0.18]) if binomial else rng.choice([2.5, 8.0, 14.0])
    three_arms = index % 5 == 3
    if three_arms:
        variants = [
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.34},
            {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.33},
            {"key": "c", "name": "Variant C", "is_control": False, "weight": 0.33},
        ]
    else:
        variants = [
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
            {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
        ]
    agency = index % 6 == 5
    guardrail = org.metrics[GUARDRAIL_KEY]
    return experiment_create(
        actor=owner,
        hypothesis=hypothesis,
        name=hypothesis.title[:200],
        key=f"exp-{index + 1:02d}-{hypothesis.metric.key.replace('_', '-')}",
        baseline=baseline,
        baseline_sd=None if binomial else baseline * 1.8,
        mde=hypothesis.expected_mde,
        # At most half of the segment's people a day, as a segment team would allow.
        daily_traffic=min(
            rng.choice([1_500, 4_000, 9_000, 20_000]), hypothesis.segment.monthly_reach // 60
        ),
        method=AnalysisMethod.values[index % 3],
        sequential_tau=0.05 if index % 3 == 2 else None,
        correction="holm" if three_arms else "none",
        reach_per_year=hypothesis.segment.monthly_reach * 12,
        # In the objective's unit: euros for revenue objectives, one customer for the count one.
        value_per_conversion=Decimal(1)
        if hypothesis.objective.unit == Objective.Unit.COUNT
        else Decimal(rng.choice([40, 120, 300, 900])),
        executed_by=Experiment.ExecutedBy.AGENCY if agency else Experiment.ExecutedBy.IN_HOUSE,
        partner=org.partners[PARTNER_NAMES[index // 6 % 2]] if agency else None,
        guardrail_metrics=[] if hypothesis.metric == guardrail else [guardrail],
        secondary_metrics=_measured_alongside(org, index),
        variants=variants,
    )


def _measured_alongside(org, index: int) -> list[Metric]:
    """The tests still running also measure revenue per user, drawn per user in the demo
    warehouse and read with CUPED (demo/warehouse.py): part of their design from the draft."""
    plan = EXPERIMENT_PLAN[index]
    alongside = plan.reached == S.RUNNING and plan.decision is None
    return [org.metrics[DRAWN_PER_USER]] if alongside and DRAWN_PER_USER in org.metrics else []


def _inputs(index: int) -> dict:
    decision, outcome = DECISIONS[index % len(DECISIONS)]
    return {
        "submit": {"note": "Ready for review."},
        "approve": {"note": "Good design; go."},
        "pause": {"note": "Paused during the pricing change."},
        "complete": {
            "analysis": "Stopped at the end of its flight; the results say how far it got.",
            "recommendation": decision,
        },
        "conclude": {
            "decision": decision,
            "outcome": outcome,
            "learnings": "Effect matched the forecast for this segment."
            if outcome == Outcome.WON
            else "No reliable effect; the segment is too small for this change.",
        },
        "kill": {
            "reason": KillReason.BROKEN_SETUP,
            "note": "Tracking dropped half of the variant's events.",
        },
    }


def _drafted(index: int, now: dt.datetime) -> dt.datetime:
    """The later in the plan, the more recently drafted."""
    return now - dt.timedelta(days=12 + (len(EXPERIMENT_PLAN) - index) * 6)


def _step_times(index: int, now: dt.datetime, *, steps: int) -> list[dt.datetime]:
    """A step every four days after the draft."""
    return [_drafted(index, now) + dt.timedelta(days=2 + i * 4, hours=i) for i in range(steps)]


def _backdate(experiment: Experiment, index: int, now: dt.datetime) -> None:
    taken = _step_times(index, now, steps=experiment.status_changes.count())
    backdate(experiment.pk, drafted=_drafted(index, now), taken=taken)
