"""A longer record of the programme's decisions, for the calibration, false-wins and partners
insights: ``HISTORY_SIZE`` experiments concluded over the past year and more.

Each is lived as the others are: an idea logged, scored and triaged, an experiment designed
and walked to completion, what it cost recorded, its data read from the demo warehouse and
analysed week by week, and the CMO's decision taken on the reading; then its rows are dated
back. True effects follow the
scores only loosely, one scorer is over-confident, e-mail ideas do better than paid ones,
and the CMO now and then calls a win on a promising trend or goes against the operator's
recommendation, so the insights have something to say.
"""

import datetime as dt
import random
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from analytics.stats import sample_size_proportions
from experiments.models import (
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Outcome,
)
from experiments.services import (
    experiment_create,
    experiment_record_cost,
    hypothesis_create,
    hypothesis_triage,
)
from roles.models import Channel

from .data import Deliver, days_between, deliver_look_by_look, plan_primary, primary_reading
from .organisation import PARTNERS, Organisation
from .walk import DEMO_OVERRIDE_REASON, backdate, backdate_idea, steps_to, walk

HISTORY_SIZE = 48
# Experiments run side by side in the record: eight per operator, their capacity.
RUN_TOGETHER = 16
HISTORY_DAYS = 420
AGENCIES = {
    # name: (build cost range, media cost range, how much better than in-house its ideas do)
    "Northwind Growth Partners": ((9_000, 16_000), (4_000, 12_000), 0.012),
    "Brightline Digital": ((2_500, 5_000), (1_000, 4_000), -0.01),
}
IN_HOUSE_COSTS = ((1_500, 6_000), (0, 3_000))
HISTORY_CHANNEL_EFFECT = {Channel.EMAIL: 0.015, Channel.WEB: 0.005, Channel.PAID: -0.01}
# Days before its conclusion that each decision reached each milestone: the idea logged and
# scored, triaged, the experiment drafted, then each lifecycle step.
BEFORE_CONCLUSION = {"logged": 60, "triaged": 48, "drafted": 40}
STEP_DAYS_BEFORE_CONCLUSION = {"submit": 34, "approve": 30, "start": 20, "complete": 4}
# A treatment ahead with a p-value under this was, now and then, called a win anyway.
PROMISING_TREND_P = 0.15


class Plan(NamedTuple):
    """One past decision, before it was taken: who scored the idea and how, where it ran,
    who built it, and the change's true effect."""

    index: int
    concluded: dt.datetime
    scorer: str
    impact: int
    confidence: int
    ease: int
    channel: str
    agency: str
    effect: float


def seed_record(
    org: Organisation, deliver: Deliver, *, count: int = HISTORY_SIZE
) -> list[Experiment]:
    """Live ``count`` past decisions, their data delivered by ``deliver`` (demo/data.py);
    returns their experiments. All wait for their decision at once (a completed experiment
    no longer counts against its operator's capacity)."""
    rng = random.Random(1313)
    plans = _plans(count, rng)
    record = []
    # A few at a time, as the operators' capacity allows: each runs, its data comes in week by
    # week, and its operator completes it on that data.
    for start in range(0, len(plans), RUN_TOGETHER):
        group = plans[start : start + RUN_TOGETHER]
        running = [_run(org, plan, rng) for plan in group]
        deliver_look_by_look(running, deliver)
        for plan, (experiment, _, _) in zip(group, running, strict=True):
            _complete(org, plan, experiment)
            record.append(experiment)
    for plan, experiment in zip(plans, record, strict=True):
        _decide(org, plan, experiment, rng)
    return record


def _plans(count: int, rng) -> list[Plan]:
    scorers = ["operator", "operator2", "cmo"]
    channels = [Channel.EMAIL, Channel.WEB, Channel.PAID]
    now = timezone.now()
    plans = []
    for i in range(count):
        # Conclusions spread evenly from HISTORY_DAYS − 20 days ago to 20 days ago.
        concluded = now - dt.timedelta(days=HISTORY_DAYS - 20 - i * (HISTORY_DAYS - 40) // count)
        scorer = scorers[i % 3]
        impact, ease = rng.randint(3, 9), rng.randint(2, 9)
        honest = rng.randint(2, 9)
        # operator2 rates almost everything 8 or 9, whatever the idea is worth.
        confidence = rng.randint(8, 9) if scorer == "operator2" else honest
        channel = channels[i % 3]
        agency = list(AGENCIES)[i % 2] if i % 4 == 3 else ""
        effect = (
            0.01
            + 0.006 * (impact + honest + ease - 16)
            + HISTORY_CHANNEL_EFFECT[channel]
            + (AGENCIES[agency][2] if agency else 0)
            + rng.gauss(0, 0.025)
        )
        plans.append(Plan(i, concluded, scorer, impact, confidence, ease, channel, agency, effect))
    return plans


def _before(plan: Plan, days: int) -> dt.datetime:
    return plan.concluded - dt.timedelta(days=days)


def _idea(org: Organisation, plan: Plan) -> Hypothesis:
    """Logged and scored by the plan's scorer, triaged into the backlog by an operator."""
    metrics = [
        m
        for m in org.metrics.values()
        if m.kind == Metric.Kind.BINOMIAL and m.direction == Metric.Direction.HIGHER
    ]
    segments = [s for s in org.segments.values() if s.parent_id is not None]
    objectives = [o for o in org.objectives if o.unit != Objective.Unit.COUNT]
    metric = metrics[plan.index % len(metrics)]
    idea = hypothesis_create(
        # An agency's idea is logged by its own person, as a partner's people do.
        actor=_owner(org, plan) if plan.agency else org.users[plan.scorer],
        title=f"Earlier test {plan.index + 1:02d}: {metric.name.lower()} via "
        f"{Channel(plan.channel).label.lower()}",
        observation="last year's funnel review showed a drop at this step",
        change="a change the team tested last year",
        effect="a better conversion rate",
        metric=metric,
        expected_mde=0.05,
        channel=plan.channel,
        objective=objectives[plan.index % len(objectives)],
        segment=segments[(plan.index * 3) % len(segments)],
        impact=plan.impact,
        confidence=plan.confidence,
        ease=plan.ease,
    )
    return hypothesis_triage(
        hypothesis_id=idea.pk, actor=org.users["operator"], status=Hypothesis.Status.BACKLOG
    )


def _run(org: Organisation, plan: Plan, rng):
    """From the idea to a running experiment with its cost, dated back; returns it with its
    days of data and the plan of their rows (:func:`demo.data.deliver_look_by_look`)."""
    idea = _idea(org, plan)
    owner = _owner(org, plan)
    users_per_arm = rng.choice([12_000, 20_000, 35_000, 60_000])
    baseline = rng.choice([0.04, 0.06, 0.09, 0.12])
    experiment = experiment_create(
        actor=owner,
        hypothesis=idea,
        name=idea.title,
        key=f"hist-{plan.index + 1:03d}",
        baseline=baseline,
        # Planned for the traffic it had (a day's rounding spare): it completes on its sample.
        mde=_detectable_lift(users_per_arm - 100, baseline),
        daily_traffic=users_per_arm // 14,
        reach_per_year=idea.segment.monthly_reach * 12,
        value_per_conversion=Decimal(rng.choice([120, 300, 900])),
        executed_by=Experiment.ExecutedBy.AGENCY if plan.agency else Experiment.ExecutedBy.IN_HOUSE,
        partner=org.partners[plan.agency] if plan.agency else None,
        variants=[
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
            {"key": "b", "name": "B", "is_control": False, "weight": 0.5},
        ],
    )
    if plan.index % 9 != 8:  # now and then an invoice never came
        build, media = AGENCIES[plan.agency][:2] if plan.agency else IN_HOUSE_COSTS
        experiment_record_cost(
            experiment_id=experiment.pk,
            actor=org.cmo if plan.agency else owner,  # an agency's invoice reaches the CMO
            build_cost=Decimal(rng.randint(*build)),
            media_cost=Decimal(rng.randint(*media)),
        )
    walk(experiment, steps_to(ExperimentStatus.RUNNING), owner=owner, cmo=org.cmo)
    _backdate(plan, experiment)
    experiment.refresh_from_db()
    completed = _before(plan, STEP_DAYS_BEFORE_CONCLUSION["complete"]) - _hours(plan)
    days = days_between(experiment.start_date, timezone.localdate(completed))

    def planned(some_days):
        return plan_primary(
            experiment, some_days, plan.effect, rng, users=users_per_arm // len(days)
        )

    return experiment, days, planned


def _complete(org: Organisation, plan: Plan, experiment: Experiment) -> None:
    """The operator completes the test on its data, with their recommendation."""
    inputs = {"complete": {"analysis": "Ran its planned weeks.", "recommendation": _advice(plan)}}
    walk(experiment, ["complete"], owner=_owner(org, plan), cmo=org.cmo, inputs=inputs)
    _backdate(plan, experiment)


def _detectable_lift(users: int, baseline: float) -> float:
    """The smallest relative lift (in steps of half a point) that ``users`` a variant detect
    at the default α and power."""
    mde = 0.02
    while sample_size_proportions(baseline, mde)[()] > users:
        mde += 0.005
    return round(mde, 3)


def _advice(plan: Plan) -> str:
    """The operator's recommendation: how the change looked to them, before the reading."""
    if plan.effect > 0.03:
        return Decision.SCALE
    return Decision.ITERATE if plan.effect > 0 else Decision.ABANDON


def _owner(org: Organisation, plan: Plan):
    """The operator who ran it, or the agency's own person (demo/organisation.py)."""
    if plan.agency:
        return org.users[next(p[6] for p in PARTNERS if p[0] == plan.agency)]
    return org.users["operator" if plan.index % 2 else "operator2"]


def _decide(org: Organisation, plan: Plan, experiment: Experiment, rng) -> None:
    """The CMO's decision on the reading; an iteration it asks for was passed over."""
    reading = primary_reading(experiment)
    if reading.significant:
        outcome = Outcome.WON if reading.lift > 0 else Outcome.LOST
    elif reading.lift > 0 and reading.p_value < PROMISING_TREND_P and rng.random() < 0.6:
        outcome = Outcome.WON  # called a win on a promising trend (an override, with its reason)
    else:
        outcome = Outcome.INCONCLUSIVE
    decision = {Outcome.WON: Decision.SCALE, Outcome.LOST: Decision.ABANDON}.get(
        outcome, rng.choice([Decision.ITERATE, Decision.ABANDON])
    )
    conclude = {
        "decision": decision,
        "outcome": outcome,
        "learnings": "From the programme's history.",
        # Used only where the call goes against the verdict (the guard decides).
        "override_reason": "A promising trend, and the quarter's plan needed the change live."
        if outcome == Outcome.WON and not reading.significant
        else DEMO_OVERRIDE_REASON,
    }
    walk(
        experiment,
        ["conclude"],
        owner=_owner(org, plan),
        cmo=org.cmo,
        inputs={"conclude": conclude},
    )
    _backdate(plan, experiment)
    concluded = plan.concluded
    for follow_up in Hypothesis.objects.filter(iterates_on_experiment=experiment):
        hypothesis_triage(
            hypothesis_id=follow_up.pk,
            actor=org.users["operator"],
            status=Hypothesis.Status.REJECTED,
        )
        backdate_idea(follow_up.pk, logged=concluded, triaged=concluded + dt.timedelta(days=3))


def _hours(plan: Plan) -> dt.timedelta:
    return dt.timedelta(hours=plan.index % 5)


def _backdate(plan: Plan, experiment: Experiment) -> None:
    """Date the experiment's steps taken so far, and its idea, back to their milestones."""
    hours = _hours(plan)
    days = [*STEP_DAYS_BEFORE_CONCLUSION.values(), 0]
    taken = [_before(plan, d) - hours for d in days[: experiment.status_changes.count()]]
    backdate(experiment.pk, drafted=_before(plan, BEFORE_CONCLUSION["drafted"]), taken=taken)
    triaged = _before(plan, BEFORE_CONCLUSION["triaged"])
    backdate_idea(
        experiment.hypothesis_id, logged=_before(plan, BEFORE_CONCLUSION["logged"]), triaged=triaged
    )
