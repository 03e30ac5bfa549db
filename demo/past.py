"""The programme's past year, for the insights (docs/insights.md): experiments decided months
ago, shipped winners whose holdout kept sending data; and designs queued for the busiest
segments, for the capacity planner."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from experiments.models import Decision, Experiment, ExperimentStatus, Objective, Outcome
from experiments.services import experiment_create, hypothesis_create, hypothesis_triage
from roles.models import Channel

from .data import Deliver, days_between, deliver_look_by_look, plan_primary
from .organisation import Organisation
from .walk import backdate, backdate_idea, steps_to, walk

S = ExperimentStatus

# title, metric, channel, segment, days ago it was drafted, lift in the test, lift since the
# ship (None: not shipped).
PAST_EXPERIMENTS = [
    ("Annual-plan discount banner", "trial_to_paid", Channel.WEB, "SMB", 330, 0.15, 0.14),
    ("Onboarding checklist e-mails", "signup_conversion", Channel.EMAIL, "Self-serve trials",
     290, 0.14, 0.03),
    ("Case-study landing pages", "demo_request_rate", Channel.CONTENT, "Mid-market", 250, 0.12,
     0.11),
    ("Exit-intent trial offer", "signup_conversion", Channel.WEB, "SMB", 210, 0.1, -0.01),
    ("Partner webinar series", "demo_request_rate", Channel.SOCIAL, "Mid-market", 170, 0.01,
     None),
    ("Usage-based upgrade nudges", "trial_to_paid", Channel.LIFECYCLE, "Self-serve trials", 140,
     0.12, 0.1),
    ("Retargeting pricing-page visitors", "signup_conversion", Channel.PAID, "Freelancers", 110,
     -0.02, None),
    ("Comparison pages against competitors", "signup_conversion", Channel.SEO, "SMB", 75, 0.13,
     0.11),
]  # fmt: skip
# A stream (docs/streams.md): each of these ideas builds on the shipped winner of the other.
BUILDS_ON = {"Comparison pages against competitors": "Annual-plan discount banner"}
# Days after the draft that each past experiment took its steps to completion.
PAST_STEP_DAYS = [4, 7, 9, 30]
# Designs queued for the busiest segments: title, metric, channel, segment, status to reach,
# people a day, value per conversion.
QUEUED_DESIGNS = [
    ("Pricing-page plan quiz", "signup_conversion", Channel.WEB, "SMB", S.APPROVED, 3_500, 300),
    ("Trial-extension offer on day 12", "trial_to_paid", Channel.LIFECYCLE, "SMB", S.APPROVED,
     2_500, 900),
    ("Founder video on the home page", "signup_conversion", Channel.CONTENT, "SMB", S.IN_REVIEW,
     3_000, 120),
    ("Seat-based upgrade prompt", "trial_to_paid", Channel.WEB, "Self-serve trials", S.APPROVED,
     900, 300),
    ("Weekly usage digest e-mail", "trial_to_paid", Channel.EMAIL, "Self-serve trials", S.DRAFT,
     800, 40),
]  # fmt: skip
PAST_BASELINE = 0.06
PAST_DAILY_TRAFFIC = 4_000
# Each past change touched one page or e-mail that a tenth of its segment sees in a year; with
# the whole segment the demo's objectives would read several times their targets.
PAST_REACH_SHARE = 0.1
# How long after its holdout data starts a shipped winner's data stops.
HOLDOUT_DAYS = 100


def _owner(org: Organisation, index: int):
    return org.users["operator" if index % 2 else "operator2"]


def seed_past_year(org: Organisation, rng, deliver: Deliver) -> list[Experiment]:
    """The past year's experiments: run months ago, their test data delivered (demo/data.py)
    and analysed week by week, completed and concluded on it, and the holdout data of those
    shipped."""
    now = timezone.now()
    drafts, deliveries = {}, []
    ideas = {}

    def _up(experiment, lift):
        return lambda days: plan_primary(experiment, days, lift, rng)

    for index, (title, metric, channel, segment, days_ago, lift, _) in enumerate(PAST_EXPERIMENTS):
        experiment = _design(
            org, f"past-{index + 1:02d}", title, org.metrics[metric], channel,
            org.segments[segment], _objective(org, index, ideas.get(BUILDS_ON.get(title))),
            owner=_owner(org, index), daily=PAST_DAILY_TRAFFIC, value=300,
            reach_share=PAST_REACH_SHARE, builds_on=ideas.get(BUILDS_ON.get(title)),
        )  # fmt: skip
        ideas[title] = experiment.hypothesis
        drafted = now - dt.timedelta(days=days_ago)
        walk(experiment, steps_to(S.RUNNING), owner=_owner(org, index), cmo=org.cmo)
        backdate(experiment.pk, drafted=drafted, taken=_past_steps(drafted)[:-1])
        backdate_idea(
            experiment.hypothesis_id,
            logged=drafted - dt.timedelta(days=12),
            triaged=drafted - dt.timedelta(days=9),
        )
        experiment.refresh_from_db()
        drafts[experiment] = drafted
        deliveries.append(
            (
                experiment,
                days_between(experiment.start_date, timezone.localdate(_past_steps(drafted)[-1])),
                _up(experiment, lift),
            )
        )
    # The data comes in week by week; the operators complete on it, and the decisions read
    # these results, as the re-checks later compare with them.
    deliver_look_by_look(deliveries, deliver)
    for index, (experiment, drafted) in enumerate(drafts.items()):
        shipped = PAST_EXPERIMENTS[index][6] is not None
        walk(
            experiment, ["complete"], owner=_owner(org, index), cmo=org.cmo,
            inputs=_inputs(shipped=shipped),
        )  # fmt: skip
        backdate(experiment.pk, drafted=drafted, taken=_past_steps(drafted))
    holdouts = []
    for index, (experiment, drafted) in enumerate(drafts.items()):
        since = PAST_EXPERIMENTS[index][6]
        walk(
            experiment, ["conclude"], owner=_owner(org, index), cmo=org.cmo,
            inputs=_inputs(shipped=since is not None),
        )  # fmt: skip
        concluded = drafted + dt.timedelta(days=33 + index % 3 * 4)
        backdate(experiment.pk, drafted=drafted, taken=[*_past_steps(drafted), concluded])
        if since is not None:
            experiment.refresh_from_db()
            first = experiment.end_date + dt.timedelta(days=1)
            last = min(timezone.localdate(), experiment.end_date + dt.timedelta(days=HOLDOUT_DAYS))
            holdouts.append(
                (experiment, plan_primary(experiment, days_between(first, last), since, rng))
            )
    deliver(holdouts)
    return list(drafts)


def _objective(org: Organisation, index: int, builds_on) -> Objective:
    """An idea that builds on another serves the same objective."""
    return builds_on.objective if builds_on is not None else org.objectives[index % 3]


def _past_steps(drafted: dt.datetime) -> list[dt.datetime]:
    return [drafted + dt.timedelta(days=days) for days in PAST_STEP_DAYS]


def _inputs(*, shipped: bool) -> dict:
    decision = Decision.SCALE if shipped else Decision.ABANDON
    return {
        "complete": {"analysis": "Reached the planned sample.", "recommendation": decision},
        "conclude": {
            "decision": decision,
            "outcome": Outcome.WON if shipped else Outcome.LOST,
            "learnings": "Shipped to the whole segment." if shipped else "No lift.",
        },
    }


def seed_queued_designs(org: Organisation) -> list[Experiment]:
    """Designs for the busiest segments, drafted over the past fortnight and walked to
    review or approval."""
    now = timezone.now()
    queued = []
    for index, (title, metric, channel, segment, status, daily, value) in enumerate(QUEUED_DESIGNS):
        experiment = _design(
            org, f"plan-{index + 1:02d}", title, org.metrics[metric], channel,
            org.segments[segment], org.objectives[index % len(org.objectives)],
            owner=_owner(org, index), daily=daily, value=value,
        )  # fmt: skip
        steps = steps_to(status)
        walk(experiment, steps, owner=_owner(org, index), cmo=org.cmo)
        drafted = now - dt.timedelta(days=12 - index * 2)
        taken = [drafted + dt.timedelta(days=2 + 2 * i) for i in range(len(steps))]
        backdate(experiment.pk, drafted=drafted, taken=taken)
        queued.append(experiment)
    return queued


def _design(
    org,
    key,
    title,
    metric,
    channel,
    segment,
    objective,
    *,
    owner,
    daily,
    value,
    reach_share=1.0,
    builds_on=None,
) -> Experiment:
    """A logged and triaged idea (building on the hypothesis ``builds_on``, if given), and its
    experiment's design (two arms, MDE 10 %)."""
    hypothesis = hypothesis_create(
        actor=org.users["marketer"],
        title=title,
        observation="the last quarter's funnel review pointed at this step",
        change=title.lower(),
        effect=f"a higher {metric.name.lower()}",
        metric=metric,
        expected_mde=0.1,
        channel=channel,
        objective=objective,
        segment=segment,
        impact=5 + len(title) % 4,
        confidence=4 + len(title) % 5,
        ease=6,
        iterates_on_hypothesis=builds_on,
    )
    hypothesis = hypothesis_triage(
        hypothesis_id=hypothesis.pk, actor=org.users["operator"], status="backlog"
    )
    return experiment_create(
        actor=owner,
        hypothesis=hypothesis,
        name=title,
        key=f"{key}-{metric.key.replace('_', '-')}",
        baseline=PAST_BASELINE,
        mde=0.1,
        daily_traffic=daily,
        reach_per_year=round(segment.monthly_reach * 12 * reach_share),
        # In the objective's unit: one customer for the objective that counts them.
        value_per_conversion=Decimal(1)
        if objective.unit == Objective.Unit.COUNT
        else Decimal(value),
        variants=[
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
            {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
        ],
    )
